"""Moderators in Telegram, through the real Application, real Update JSON and the offline fake."""

from __future__ import annotations

import csv
import datetime as dt
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.context import BotContext
from bot.delivery import OutboxSender
from handlers.participant.updates import offer_updates
from tests.fakebot import BOT_USERNAME, ChatUser
from tests.handlers.conftest import BotEnv
from tests.handlers.moderator_helpers import fresh_code
from tests.moderation_fixtures import SURVEY, seed

ADMIN = 4242
REFUSAL = "Sorry, this command is for moderators."
EXAMPLES = Path(__file__).resolve().parents[2] / "surveys" / "examples"

BROKEN_YAML = b"""id: broken survey
title: Broken
languages: [en]
questions:
  - id: q1
    type: single
    label: Pick one
  - id: q2
    type: sliders
    label: What?
"""

VALID_YAML = b"""id: town-hall
title: {en: Town hall}
languages: [en, fr]
questions:
  - id: topic
    type: single
    label: {en: Topic, fr: Sujet}
    choices:
      - {id: rent, label: {en: Rent, fr: Loyer}}
      - {id: jobs, label: {en: Jobs, fr: Emplois}}
  - id: note
    type: note
    label: {en: Thanks, fr: Merci}
"""


def texts(calls: list[Any]) -> list[str]:
    return [c.params.get("text") or c.params.get("caption") or "" for c in calls
            if c.method in ("sendMessage", "sendDocument", "sendPhoto")]


async def upload(user: ChatUser, data: bytes, name: str) -> list[Any]:
    return await user.send_document(data, name)


MODERATOR_COMMANDS = [
    ("/summary", ("wages-2026",)),
    ("/summary", ("wages-2026", "by", "region")),
    ("/export", ("wages-2026", "csv")),
    ("/publish", ("town-hall",)),
    ("/close", ("workers-voice",)),
    ("/announce", ("workers-voice",)),
    ("/mods", ()),
    ("/addmod", ("99", "analyst")),
    ("/delmod", ("99",)),
    ("/reports", ()),
]


@pytest.mark.parametrize(("command", "args"), MODERATOR_COMMANDS)
async def test_everyone_else_gets_the_same_single_refusal(env: BotEnv, command: str,
                                                          args: tuple[str, ...]) -> None:
    await seed(env.services.storage)
    stranger = env.user(7_000_002)
    calls = await stranger.command(command, *args)
    assert texts(calls) == [REFUSAL]
    assert not [c for c in calls if c.method in ("sendDocument", "sendPhoto", "sendMediaGroup",
                                                 "setMyCommands")]


async def test_a_survey_file_from_a_non_moderator_gets_the_same_refusal(env: BotEnv) -> None:
    calls = await upload(env.user(7_000_002), VALID_YAML, "town.yaml")
    assert texts(calls) == [REFUSAL]
    assert await env.services.storage.surveys.versions("town-hall") == []


async def test_upload_broken_then_valid_then_publish_and_close(env: BotEnv) -> None:
    admin = env.user(ADMIN)
    calls = await upload(admin, BROKEN_YAML, "broken.yaml")
    [reply] = texts(calls)
    assert "nothing was stored" in reply
    assert "broken.yaml: line 1:" in reply  # the id is not [a-z0-9_-]
    assert "broken.yaml: line 9: question 'q2' has unknown type" in reply
    assert await env.services.storage.surveys.versions("broken survey") == []

    [preview] = texts(await upload(admin, VALID_YAML, "town.yaml"))
    assert "Saved as a draft: “Town hall” (town-hall), version 1." in preview
    assert "1 question" in preview and "Languages: en, fr" in preview

    [published] = texts(await admin.command("/publish", "town-hall"))
    assert f"https://t.me/{BOT_USERNAME}?start=town-hall" in published
    record = await env.services.storage.surveys.published("town-hall")
    assert record is not None and record.version == 1

    assert "Closed town-hall" in texts(await admin.command("/close", "town-hall"))[0]
    assert "is not open" in texts(await admin.command("/close", "town-hall"))[0]
    assert "no survey with the id" in texts(await admin.command("/publish", "nope"))[0]
    actions = [e.action for e in await env.services.storage.audit.entries()]
    assert actions == ["survey.draft", "survey.publish", "survey.close"]


async def test_an_xlsform_upload_is_validated_with_the_same_loader(env: BotEnv) -> None:
    admin = env.user(ADMIN)
    data = (EXAMPLES / "economic-partnership.xlsx").read_bytes()
    [preview] = texts(await upload(admin, data, "economic-partnership.xlsx"))
    assert preview.startswith("Saved as a draft")


async def test_admins_add_and_remove_moderators_with_their_menus(env: BotEnv) -> None:
    admin = env.user(ADMIN)
    # Changing who moderates needs a fresh second factor.
    assert texts(await admin.command("/addmod", "555", "analyst")) == [
        "This needs a second factor. Set one up with /2fa, then try again."]
    await fresh_code(env, admin)
    calls = await admin.command("/addmod", "555", "analyst")
    assert texts(calls) == ["555 is now analyst."]
    menus = [c for c in calls if c.method == "setMyCommands"]
    assert menus and all(c.params["scope"] == {"type": "chat", "chat_id": 555} for c in menus)
    menu = {cmd["command"] for cmd in menus[0].params["commands"]}
    assert {"summary", "export", "publish", "2fa", "start"} <= menu  # an analyst's menu
    assert not menu & {"reports", "addmod", "audit"}

    moderator = env.user(555)
    # Only admins manage moderators; an analyst gets the stranger's refusal, byte for byte.
    assert texts(await moderator.command("/mods")) == [REFUSAL]
    assert texts(await moderator.command("/delmod", "555")) == [REFUSAL]
    mods = texts(await admin.command("/mods"))[0]
    assert "555: analyst" in mods and str(ADMIN) in mods
    calls = await admin.command("/delmod", "555")
    assert texts(calls) == ["555 is no longer a moderator."]
    assert [c for c in calls if c.method == "deleteMyCommands"]
    assert texts(await moderator.command("/summary", "wages-2026")) == [REFUSAL]
    # The audit log never holds the raw ids, not even of the moderator who was added.
    for entry in await env.services.storage.audit.entries():
        assert "555" not in str(entry.details) and str(ADMIN) not in entry.actor


async def test_summary_by_question_hides_small_groups_and_sends_charts(env: BotEnv) -> None:
    await seed(env.services.storage)
    admin = env.user(ADMIN)
    calls = await admin.command("/summary", "wages-2026", "by", "region")
    text = "\n".join(c.params["text"] for c in calls if c.method == "sendMessage")
    # Every published count carries a small consistent noise (README, "Privacy").
    assert re.search(r"Respondents: (1[0-4])\b", text)
    assert re.search(r"North: [5-9] ", text) and "South: hidden" in text and "East: hidden" in text
    assert "because their groups have fewer than 5 people" in text
    assert "3" not in text.split("Broken down by")[1].split("\n")[2]  # no "South: 3" anywhere
    albums = [c for c in calls if c.method == "sendMediaGroup"]
    assert albums and 2 <= len(albums[0].params["media"]) <= 10
    assert albums[0].params["media"][0]["caption"] == "Where do you work?"
    assert "parse_mode" not in calls[0].params
    usage = texts(await admin.command("/summary", "wages-2026", "by", "issues"))
    assert "single-choice" in usage[0]


async def test_export_arrives_as_a_neutralised_csv_and_is_audited(env: BotEnv) -> None:
    await seed(env.services.storage)
    admin = env.user(ADMIN)
    calls = await admin.command("/export", "wages-2026", "csv")
    [document] = [c for c in calls if c.method == "sendDocument"]
    name, content, _mime = next(iter(document.files.values()))
    assert name.startswith("wages-2026-") and name.endswith(".csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(content.decode("utf-8-sig").splitlines()))
    assert len(rows) == 12
    # The export from the chat is the protected one: no free text, no day.
    assert "remedy" not in rows[0] and "submitted_on" not in rows[0]
    assert b"HYPERLINK" not in content
    [entry] = [e for e in await env.services.storage.audit.entries() if e.action == "export"]
    assert entry.details["rows"] == 12 and entry.details["format"] == "csv"
    assert entry.actor.startswith("mod:")
    xlsx = await admin.command("/export", "wages-2026", "xlsx")
    assert [c for c in xlsx if c.method == "sendDocument"]


async def subscribe(env: BotEnv, user: ChatUser, survey_id: str = SURVEY.id) -> None:
    assert env.app is not None
    await offer_updates(BotContext(env.app), user.chat_id, user.user_id, survey_id)
    await user.press("Get updates")


class NoSleep:
    async def __call__(self, seconds: float) -> None:
        return None


def sender(env: BotEnv) -> OutboxSender:
    return OutboxSender(env.services, sleep=NoSleep())


def updates_in(user: ChatUser) -> list[str]:
    return [t for t in user.texts() if t.startswith("Update about")]


async def test_announce_reaches_exactly_the_opted_in(env: BotEnv) -> None:
    await seed(env.services.storage)
    followers = [env.user(8_000_001), env.user(8_000_002)]
    bystander = env.user(8_000_003)
    for follower in followers:
        await subscribe(env, follower)
    admin = env.user(ADMIN)
    assert "2 people asked for updates" in texts(await admin.command("/announce", SURVEY.id))[0]
    calls = await admin.send_text("We took your proposal on overtime to the ministry.")
    assert "Preview of the update" in texts(calls)[0]
    await admin.press("Send to 2")
    assert "queued for 2 subscribers" in admin.texts()[-1]
    assert env.app is not None
    assert await sender(env).deliver_due(env.app.bot) == 2
    for follower in followers:
        [update] = updates_in(follower)
        assert "We took your proposal on overtime to the ministry." in update
    assert updates_in(bystander) == []
    assert await sender(env).deliver_due(env.app.bot) == 0  # nothing twice
    listed = texts(await followers[0].command("/updates"))[0]
    assert "We took your proposal" in listed
    await followers[0].press(followers[0].message_with_button(
        "Stop updates about “Wages survey”").button_labels()[0])
    assert await env.services.storage.subscriptions.surveys_of(8_000_001) == []


async def test_cancel_drops_the_draft_and_the_text_goes_nowhere(env: BotEnv) -> None:
    await seed(env.services.storage)
    admin = env.user(ADMIN)
    await admin.command("/announce", SURVEY.id)
    assert texts(await admin.command("/cancel")) == ["The update was not sent."]
    await admin.send_text("a stray message")
    assert await env.services.storage.outbox.due(now=1e12) == []


async def test_outbox_resumes_after_a_restart_without_sending_twice(env: BotEnv) -> None:
    await seed(env.services.storage)
    followers = [env.user(8_100_000 + i) for i in range(4)]
    for follower in followers:
        await subscribe(env, follower)
    storage = env.services.storage
    await storage.outbox.announce(SURVEY.id, "Results are out.")
    assert env.app is not None
    assert await sender(env).deliver_due(env.app.bot, limit=2) == 2
    [interrupted] = (await storage.outbox.due(now=1e12))[:1]
    await storage.outbox.claim(interrupted)  # the bot dies while sending this one
    await env.restart()
    assert env.app is not None
    assert await sender(env).deliver_due(env.app.bot) == 1
    received = [len(updates_in(f)) for f in followers]
    assert sorted(received) == [0, 1, 1, 1]  # never two; the interrupted one is not resent


async def test_a_subscriber_who_blocked_the_bot_is_dropped(env: BotEnv) -> None:
    await seed(env.services.storage)
    follower, blocker = env.user(8_200_001), env.user(8_200_002)
    await subscribe(env, follower)
    await subscribe(env, blocker)
    env.telegram.blocked_chats.add(blocker.chat_id)
    storage = env.services.storage
    await storage.outbox.announce(SURVEY.id, "News")
    assert env.app is not None
    assert await sender(env).deliver_due(env.app.bot) == 1
    assert await storage.subscriptions.surveys_of(blocker.chat_id) == []
    assert await storage.subscriptions.surveys_of(follower.chat_id) == [SURVEY.id]


async def test_retry_after_pauses_and_the_message_stays_queued(env: BotEnv) -> None:
    await seed(env.services.storage)
    storage = env.services.storage
    await storage.subscriptions.subscribe(SURVEY.id, 8_300_001)
    await storage.outbox.announce(SURVEY.id, "Later")
    now = [1000.0]

    class FloodedBot:
        async def send_message(self, chat_id: int, text: str) -> None:
            with warnings.catch_warnings():  # ptb 22 warns about its own constructor
                warnings.simplefilter("ignore")
                error = RetryAfter(dt.timedelta(seconds=30))
            raise error

    outbox = OutboxSender(env.services, clock=lambda: now[0], sleep=NoSleep())
    assert await outbox.deliver_due(FloodedBot()) == 0  # type: ignore[arg-type]  # a stand-in Bot
    assert await storage.outbox.due(now=now[0] + 29) == []
    [item] = await storage.outbox.due(now=now[0] + 30)
    assert item.chat_id == 8_300_001


async def test_forget_erases_subscriptions(env: BotEnv) -> None:
    await seed(env.services.storage)
    follower = env.user(8_400_001)
    await subscribe(env, follower)
    for erase in env.services.erasers:
        await erase(follower.user_id)
    assert await env.services.storage.subscriptions.surveys_of(follower.chat_id) == []


async def test_updates_reach_subscribers_in_the_language_they_subscribed_in(env: BotEnv) -> None:
    await seed(env.services.storage)
    follower = env.user(8_000_011, language_code="fr")
    await offer_updates(BotContext(env.app), follower.chat_id, follower.user_id, SURVEY.id,
                        env.services.translations.translator("fr"))
    await follower.press(follower.last_message().button_labels()[0])
    admin = env.user(ADMIN)
    await admin.command("/announce", SURVEY.id)
    await admin.send_text("Nous avons porté votre proposition au ministère.")
    await admin.press("Send to 1")
    assert env.app is not None
    assert await sender(env).deliver_due(env.app.bot) == 1
    delivered = follower.texts()[-1]
    assert delivered.startswith("Nouvelle concernant"), delivered
    assert "Nous avons porté votre proposition" in delivered


async def test_mydata_lists_the_surveys_a_person_follows(env: BotEnv) -> None:
    await seed(env.services.storage)
    follower = env.user(8_400_002)
    await follower.command("/mydata")
    assert not any("You receive updates" in text for text in follower.texts())
    await subscribe(env, follower)
    await follower.command("/mydata")
    shown = follower.texts()[-1]
    assert "You receive updates about" in shown
    assert SURVEY.title.get("en", SURVEY.default_language) in shown


async def test_submitting_a_survey_offers_updates_once(env: BotEnv) -> None:
    from tests.handlers.conftest import in_survey

    user = await in_survey(env, 8_500_001)
    for label in ("Mining", "Pay", "Done", "5", "Skip", "Skip"):
        await user.press(label)
    review = user.last_message()
    submit = next(b["callback_data"] for b in review.buttons() if b["text"] == "Submit")
    await user.press("Submit")
    assert "Thank you! Your answers were submitted." in user.texts()[-2]
    offer = user.last_message()
    assert offer.button_labels() == ["Get updates"]
    assert await user.press_data(submit, review)  # a second tap offers nothing more
    assert user.last_message() is offer or user.last_message().message_id == offer.message_id
    await user.press("Get updates")
    assert await env.services.storage.subscriptions.surveys_of(user.chat_id) == ["workers-voice"]
    # Nothing about the subscription is next to the response: only (survey, chat) is stored.
    # The pseudonym finds only "has responded"; the answers are under a random id.
    response = await env.services.storage.responses.get(
        "workers-voice", env.services.storage.secret.respondent_key("workers-voice", user.user_id))
    assert response is not None and response.marker


VERSION_2 = b"""id: wages-2026
title: Wages survey
languages: [en]
questions:
  - id: region
    type: single
    label: Where do you work?
    choices:
      - {id: north, label: North}
      - {id: south, label: South}
      - {id: east, label: East}
  - id: contract
    type: single
    label: Do you have a written contract?
    choices:
      - {id: "yes", label: "Yes"}
      - {id: "no", label: "No"}
"""


async def test_a_new_version_keeps_old_responses_attached_to_their_version(env: BotEnv) -> None:
    await seed(env.services.storage)
    admin = env.user(ADMIN)
    assert "version 2" in texts(await upload(admin, VERSION_2, "wages-v2.yaml"))[0]
    await admin.command("/publish", "wages-2026")
    calls = await admin.command("/export", "wages-2026", "csv")
    [document] = [c for c in calls if c.method == "sendDocument"]
    _name, content, _mime = next(iter(document.files.values()))
    rows = list(csv.DictReader(content.decode("utf-8-sig").splitlines()))
    assert {r["version"] for r in rows} == {"1"} and len(rows) == 12
    # New questions come first; questions only the old version asked are kept, not dropped.
    assert list(rows[0])[3:] == ["region", "contract", "issues/wages", "issues/safety", "safe"]
    summary = "\n".join(texts(await admin.command("/summary", "wages-2026")))
    assert re.search(r"Respondents: (1[0-4])\b", summary)
    assert "Do you have a written contract?" in summary


def test_long_summaries_are_split_without_losing_a_line() -> None:
    from handlers.moderation.results import split_message

    blocks = ["\n".join(f"question {q} line {n}: {'x' * 40}" for n in range(30)) for q in range(20)]
    text = "\n\n".join(blocks)
    chunks = split_message(text, limit=1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert [line for chunk in chunks for line in chunk.split("\n") if line] == [
        line for line in text.split("\n") if line]
