"""Recommendations in the chat: /recs for moderators and participants, following one,
status changes told in each follower's language, "was this addressed?", and /results.

Everything goes through the real Application and real Update JSON on the offline Bot API.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from bot import recommendations as recs
from bot.delivery import OutboxSender
from bot.publication import build_summary
from bot.recommendation_updates import recommendation_ref
from handlers.moderation.results import split_message
from handlers.shared.button_data import RecsModeration, RecsModerationAction
from handlers.shared.buttons import button_data
from storage.audit import CLI_ACTOR
from surveys.model import Text
from surveys.summary_text import render_summary
from tests.fakebot import ChatUser
from tests.handlers.conftest import BotEnv
from tests.moderation_fixtures import SURVEY, seed

ADMIN = 4242
REC = "pay-on-time"
TITLE = {"en": "Pay wages on time", "fr": "Payer les salaires à temps"}
REFUSAL = "Sorry, this command is for moderators."


class NoSleep:
    async def __call__(self, seconds: float) -> None:
        return None


def sender(env: BotEnv) -> OutboxSender:
    return OutboxSender(env.services, sleep=NoSleep())


async def deliver(env: BotEnv) -> int:
    assert env.app is not None
    return await sender(env).deliver_due(env.app.bot)


async def recommendation(env: BotEnv, scale: str = "yes_partly_no") -> None:
    storage = env.services.storage
    await seed(storage)
    await recs.add_recommendation(
        storage, CLI_ACTOR, recommendation_id=REC, survey_id=SURVEY.id, title=Text(TITLE),
        body=Text({"en": "Wages were late in the north."}), addressed_scale=scale)


def tr(env: BotEnv, language: str, msgid: str) -> str:
    return env.services.translations.translator(language).gettext(msgid)


async def follow(env: BotEnv, user: ChatUser) -> None:
    language = user.language_code or "en"
    await user.command("/recs")
    await user.press(TITLE.get(language, TITLE["en"]))
    await user.press(tr(env, language, "Follow"))


async def move_by_buttons(admin: ChatUser, status_label: str) -> list[Any]:
    await admin.command("/recs")
    await admin.press("Wages survey (1)")
    opened = admin.messages()[-1]
    await admin.press(opened.button_labels()[0])
    return await admin.press(f"Move to: {status_label}")


def status_of(rec: Any) -> str:
    return str(rec.status)


async def current(env: BotEnv) -> Any:
    return await recs.get_recommendation(env.services.storage, REC)


def raw_rows(env: BotEnv, sql: str) -> list[tuple[Any, ...]]:
    path = env.config.data_dir / "consultbot.sqlite3"
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


async def test_a_status_moved_by_buttons_reaches_each_follower_in_their_language(
        env: BotEnv) -> None:
    await recommendation(env)
    french, english = env.user(8_600_001, language_code="fr"), env.user(8_600_002)
    bystander = env.user(8_600_003)
    await follow(env, french)
    await follow(env, english)
    admin = env.user(ADMIN)
    calls = await move_by_buttons(admin, "Under consideration")
    assert status_of(await current(env)) == "under_consideration"
    assert any("2 people follow it." in (c.params.get("text") or "") for c in calls)
    assert await deliver(env) == 2
    said_fr, said_en = french.texts()[-1], english.texts()[-1]
    assert said_fr.startswith("Ce qu'est devenue une recommandation"), said_fr
    assert TITLE["fr"] in said_fr and tr(env, "fr", "Under consideration") in said_fr
    assert tr(env, "fr", "Under consideration") != "Under consideration"
    assert TITLE["en"] in said_en and "Under consideration" in said_en
    assert not any("Under consideration" in text for text in bystander.texts())
    assert await deliver(env) == 0  # nothing twice
    entries = await env.services.storage.audit.entries()
    moved = [e for e in entries if e.action == "recommendation.status"]
    assert [dict(e.details)["to"] for e in moved] == ["under_consideration"]
    assert moved[0].actor != CLI_ACTOR and str(ADMIN) not in moved[0].actor


async def test_survey_subscribers_are_told_too_and_the_cli_path_queues_the_same(
        env: BotEnv) -> None:
    await recommendation(env)
    storage = env.services.storage
    await storage.subscriptions.subscribe(SURVEY.id, 8_600_010, "en")
    await storage.follows.follow(REC, 8_600_010, "en")  # both: one message, not two
    await recs.change_status(storage, CLI_ACTOR, REC, "under_consideration")
    assert await deliver(env) == 1


async def test_unfollowing_stops_the_updates_at_once(env: BotEnv) -> None:
    await recommendation(env)
    follower = env.user(8_600_101)
    await follow(env, follower)
    await follower.press("Stop following")
    assert await env.services.storage.follows.followed_by(follower.chat_id) == []
    await recs.change_status(env.services.storage, CLI_ACTOR, REC, "under_consideration")
    assert await deliver(env) == 0
    # Queued but not sent yet: unfollowing drops it too.
    await follower.press("Follow")
    await recs.change_status(env.services.storage, CLI_ACTOR, REC, "accepted")
    await follower.press("Stop following")
    assert await deliver(env) == 0
    assert not any(text.startswith("What became of a recommendation")
                   for text in follower.texts())


async def test_forget_removes_follows_and_mydata_lists_them(env: BotEnv) -> None:
    await recommendation(env)
    follower = env.user(8_600_201)
    await follow(env, follower)
    await env.services.storage.identity.flush()  # written, not only waiting
    assert raw_rows(env, "SELECT chat_id FROM recommendation_follows") == [(8_600_201,)]
    await follower.command("/mydata")
    assert f"You follow the recommendation “{TITLE['en']}”" in follower.texts()[-1]
    await follower.command("/forget")
    await follower.press("Yes, erase everything")
    assert await env.services.storage.follows.followed_by(follower.chat_id) == []
    assert raw_rows(env, "SELECT * FROM recommendation_follows") == []
    await recs.change_status(env.services.storage, CLI_ACTOR, REC, "under_consideration")
    assert await deliver(env) == 0


async def test_follows_wait_in_shuffled_batches_like_subscriptions(env: BotEnv) -> None:
    await recommendation(env)
    storage = env.services.storage
    storage.identity.max_pending = 100
    follower = env.user(8_600_301)
    await follow(env, follower)
    assert raw_rows(env, "SELECT * FROM recommendation_follows") == []  # still in memory
    assert await storage.follows.is_following(REC, follower.chat_id)  # yet it counts
    await storage.identity.flush()
    assert raw_rows(env, "SELECT chat_id FROM recommendation_follows") == [(8_600_301,)]


async def test_implemented_asks_followers_once_and_the_answer_has_no_identity(
        env: BotEnv) -> None:
    await recommendation(env)
    storage = env.services.storage
    follower, subscriber = env.user(8_600_401), env.user(8_600_402)
    await follow(env, follower)
    await storage.subscriptions.subscribe(SURVEY.id, subscriber.chat_id, "en")
    for status in ("under_consideration", "accepted"):
        await recs.change_status(storage, CLI_ACTOR, REC, status)
    await deliver(env)
    admin = env.user(ADMIN)
    await move_by_buttons(admin, "Implemented")
    assert await deliver(env) == 2
    asked = follower.messages()[-1]
    assert asked.button_labels() == ["Yes", "Partly", "No"]
    assert subscriber.messages()[-1].button_labels() == []  # subscribers are not asked
    data = {b["text"]: b["callback_data"] for b in asked.buttons()}
    calls = await follower.press("Partly", asked)
    assert follower.answered_callbacks(calls)[0]["text"].startswith("Thank you")
    calls = await follower.press_data(data["Yes"], asked)  # the old buttons, tapped again
    assert follower.answered_callbacks(calls)[0]["text"] == (
        "You already answered; your first answer counts.")
    assert raw_rows(env, "SELECT answer FROM addressed_answers") == [("partly",)]
    for table in ("addressed_answers", "addressed_answered"):
        for row in raw_rows(env, f"SELECT * FROM {table}"):
            assert all(str(follower.user_id) not in str(value) for value in row)
    [answer_columns] = [raw_rows(env, "SELECT group_concat(name) FROM "
                                      "pragma_table_info('addressed_answers')")[0]]
    assert answer_columns == ("answer_id,recommendation_id,answer,answered_on",)


async def test_results_show_exactly_the_published_summary(env: BotEnv) -> None:
    storage = env.services.storage
    await seed(storage)
    await storage.invites.set_mode("workers-voice", "invite")  # not taken part: not shown
    participant = env.user(8_600_501)
    await participant.command("/results")
    assert participant.last_message().button_labels() == ["Wages survey"]
    calls = await participant.press("Wages survey")
    shown = [c.params["text"] for c in calls if c.method == "sendMessage"]
    translator = env.services.translations.translator("en")
    expected = render_summary(
        await build_summary(storage, SURVEY.id, min_cell=env.services.settings.min_cell),
        gettext=translator.gettext, ngettext=translator.ngettext, locale="en")
    assert shown == split_message(expected)
    text = "\n".join(shown)
    assert "South: hidden" in text and "East: hidden" in text  # 3 and 2 people: under 5
    assert "South: 3" not in text and "East: 2" not in text


async def test_results_of_an_unknown_or_draft_survey_are_not_shown(env: BotEnv) -> None:
    storage = env.services.storage
    await storage.surveys.save_draft(SURVEY, b"source", "survey.yaml")  # a draft only
    participant = env.user(8_600_502)
    calls = await participant.command("/results", SURVEY.id)
    assert [c.params["text"] for c in calls if c.method == "sendMessage"] == [
        "There are no published results with that id."]


async def test_a_participant_cannot_use_the_moderators_recs_actions(env: BotEnv) -> None:
    await recommendation(env)
    participant = env.user(8_600_601)
    await participant.command("/recs")
    listed = participant.last_message()
    assert "Pay wages on time: Received, 0% done" in (listed.text or "").replace("“", "").replace(
        "”", "")
    assert not any(label.startswith("Move to") for label in listed.button_labels())
    forged = button_data(env.services, participant.user_id, RecsModeration(
        RecsModerationAction.STATUS, recommendation_ref(REC), "under_consideration"))
    calls = await participant.press_data(forged, listed)
    assert participant.answered_callbacks(calls)[0]["text"] == REFUSAL
    admin = env.user(ADMIN)
    await admin.command("/recs")
    await admin.press("Wages survey (1)")
    await admin.press(admin.messages()[-1].button_labels()[0])
    made_for_admin = admin.message_with_button("Move to: Under consideration")
    data = next(b["callback_data"] for b in made_for_admin.buttons()
                if b["text"] == "Move to: Under consideration")
    calls = await participant.press_data(data, made_for_admin)
    assert participant.answered_callbacks(calls)[0]["text"] == (
        "This button is not valid any more.")
    assert status_of(await current(env)) == "received"
    entries = await env.services.storage.audit.entries()
    assert not [e for e in entries if e.action == "recommendation.status"]


async def test_moderators_type_progress_and_milestones(env: BotEnv) -> None:
    await recommendation(env)
    admin = env.user(ADMIN)
    await move_by_buttons(admin, "Under consideration")
    await admin.press("Set progress")
    await admin.send_text("forty")
    assert admin.texts()[-1] == "Please send a number from 0 to 100."
    await admin.send_text("40")
    assert "Progress: 40%." in admin.texts()[-1]
    await admin.press("Add a milestone")
    await admin.send_text("2026-09-01 Payroll audit published")
    assert "Milestone 1 (2026-09-01): Payroll audit published, planned" in admin.texts()[-1]
    await admin.press("Milestone 1 reached")
    assert "Milestone 1 (2026-09-01): Payroll audit published, reached" in admin.texts()[-1]
    rec = await current(env)
    assert rec.progress == 40 and rec.milestones[0].reached
    actions = [e.action for e in await env.services.storage.audit.entries()]
    assert {"recommendation.progress", "recommendation.milestone",
            "recommendation.milestone_reached"} <= set(actions)
    await admin.press("Set progress")
    assert admin.texts()[-1] == "Send the progress as a number from 0 to 100. /cancel stops."
    await admin.command("/cancel")
    assert admin.texts()[-1] == "Nothing was changed."
    await admin.press("Set progress")
    await admin.press("Move to: Accepted")  # another button ends the typed step
    await admin.send_text("90")
    assert (await current(env)).progress == 40


async def test_an_announcement_reaches_each_subscriber_in_their_translation(
        env: BotEnv) -> None:
    await seed(env.services.storage)
    storage = env.services.storage
    await storage.subscriptions.subscribe(SURVEY.id, 8_600_701, "fr")
    await storage.subscriptions.subscribe(SURVEY.id, 8_600_702, "en")
    await storage.subscriptions.subscribe(SURVEY.id, 8_600_703, "es")
    admin = env.user(ADMIN)
    await admin.command("/announce", SURVEY.id)
    await admin.send_text("We took your proposal to the ministry.")
    await admin.press("Add a translation")
    await admin.press("Français")
    await admin.send_text("Nous avons porté votre proposition au ministère.")
    preview = admin.texts()[-1]
    assert "Nous avons porté" in preview and "We took your proposal" in preview
    await admin.press("Send to 3")
    assert await deliver(env) == 3
    french, english, spanish = (env.telegram.chat_messages(c)[-1].text or ""
                                for c in (8_600_701, 8_600_702, 8_600_703))
    assert "Nous avons porté votre proposition au ministère." in french
    assert "We took your proposal" not in french
    assert "We took your proposal to the ministry." in english
    assert "We took your proposal to the ministry." in spanish  # no Spanish text: the first


async def test_a_follower_who_blocked_the_bot_is_dropped(env: BotEnv) -> None:
    await recommendation(env)
    storage = env.services.storage
    await storage.follows.follow(REC, 8_600_801, "en")
    await storage.follows.follow(REC, 8_600_802, "en")
    env.telegram.blocked_chats.add(8_600_802)
    await recs.change_status(storage, CLI_ACTOR, REC, "under_consideration")
    assert await deliver(env) == 1
    assert await storage.follows.followed_by(8_600_802) == []
    assert await storage.follows.followed_by(8_600_801) == [REC]


async def test_updates_lists_status_changes_in_the_readers_language(env: BotEnv) -> None:
    await recommendation(env)
    storage = env.services.storage
    reader = env.user(8_600_901, language_code="fr")
    await storage.subscriptions.subscribe(SURVEY.id, reader.chat_id, "fr")
    await recs.change_status(storage, CLI_ACTOR, REC, "under_consideration")
    await reader.command("/updates")
    assert f"« {TITLE['fr']} » est désormais : À l'étude." in reader.texts()[-1]
