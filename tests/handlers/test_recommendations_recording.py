"""Recording a recommendation from the chat (/recs → a survey → "New recommendation"), asking
late followers "was this addressed?", and the participants' /recs list in pages.

Everything goes through the real Application and real Update JSON on the offline Bot API.
"""

from __future__ import annotations

import pytest

from bot import recommendations as recs
from storage.audit import CLI_ACTOR
from surveys.model import Text
from tests.handlers.conftest import BotEnv
from tests.handlers.test_recommendations_chat import (
    ADMIN,
    REC,
    REFUSAL,
    TITLE,
    current,
    deliver,
    follow,
    raw_rows,
    recommendation,
    tr,
)
from tests.moderation_fixtures import SURVEY, seed


async def test_a_moderator_records_a_recommendation_in_their_language(env: BotEnv) -> None:
    await seed(env.services.storage)
    admin = env.user(ADMIN, language_code="fr")
    await admin.command("/recs")
    await admin.press("Wages survey (0)")
    assert admin.texts()[-1] == "Aucune recommandation issue de « Wages survey » pour l'instant."
    await admin.press(tr(env, "fr", "New recommendation"))
    assert "Wages survey" in admin.texts()[-1]
    await admin.send_text("Payer les salaires à temps")
    await admin.send_text("Les salaires arrivent en retard dans le nord.")
    assert admin.texts()[-2] == tr(env, "fr", "Recommendation recorded.")
    assert "Payer les salaires à temps" in admin.texts()[-1]
    assert tr(env, "fr", "Move to: {status}").format(
        status=tr(env, "fr", "Under consideration")) in admin.last_message().button_labels()
    (stored,) = await recs.list_recommendations(env.services.storage, SURVEY.id)
    assert stored.recommendation_id == "payer-les-salaires-a-temps"
    assert dict(stored.title.translations) == {"fr": "Payer les salaires à temps"}
    assert dict(stored.body.translations) == {"fr": "Les salaires arrivent en retard dans le nord."}
    assert stored.status == "received" and stored.survey_id == SURVEY.id
    (added,) = [e for e in await env.services.storage.audit.entries()
                if e.action == "recommendation.add"]
    assert added.actor != CLI_ACTOR and str(ADMIN) not in added.actor
    assert dict(added.details)["survey_id"] == SURVEY.id
    await admin.send_text("a message after the dialog")  # the dialog is over: nothing more
    assert len(await recs.list_recommendations(env.services.storage)) == 1


async def test_skip_leaves_the_text_empty_and_ids_stay_unique(env: BotEnv) -> None:
    await recommendation(env)  # "pay-on-time" exists
    admin = env.user(ADMIN)
    for _ in range(2):
        await admin.command("/recs")
        await admin.press("Wages survey (1)" if _ == 0 else "Wages survey (2)")
        await admin.press("New recommendation")
        await admin.send_text("Pay on time!")
        await admin.send_text("skip")
    ids = [rec.recommendation_id for rec in await recs.list_recommendations(
        env.services.storage, SURVEY.id)]
    assert ids == ["pay-on-time", "pay-on-time-2", "pay-on-time-3"]
    new = await recs.get_recommendation(env.services.storage, "pay-on-time-3")
    assert not new.body and dict(new.title.translations) == {"en": "Pay on time!"}


async def test_cancel_or_another_button_abandons_it_with_nothing_stored(env: BotEnv) -> None:
    await seed(env.services.storage)
    admin = env.user(ADMIN)
    await admin.command("/recs")
    await admin.press("Wages survey (0)")
    await admin.press("New recommendation")
    await admin.send_text("x" * 201)
    assert admin.texts()[-1] == "Please send the title as text, at most 200 characters."
    await admin.send_text("Safer night shifts")
    await admin.command("/cancel")
    assert admin.texts()[-1] == "Nothing was changed."
    await admin.send_text("More lighting in the car park")
    assert await recs.list_recommendations(env.services.storage) == []
    await admin.command("/recs")
    await admin.press("Wages survey (0)")
    await admin.press("New recommendation")
    await admin.send_text("Safer night shifts")
    await admin.press("New recommendation")  # starts over
    await admin.send_text("Second title")
    await admin.send_text("skip")
    assert [rec.recommendation_id for rec in await recs.list_recommendations(
        env.services.storage)] == ["second-title"]
    assert raw_rows(env, "SELECT count(*) FROM recommendations") == [(1,)]


async def test_a_participant_cannot_record_one(env: BotEnv) -> None:
    await seed(env.services.storage)
    admin = env.user(ADMIN)
    await admin.command("/recs")
    await admin.press("Wages survey (0)")
    made_for_admin = admin.message_with_button("New recommendation")
    data = next(b["callback_data"] for b in made_for_admin.buttons()
                if b["text"] == "New recommendation")
    participant = env.user(8_610_001)
    calls = await participant.press_data(data, made_for_admin)
    assert participant.answered_callbacks(calls)[0]["text"] == (
        "This button is not valid any more.")
    await participant.send_text("Abolish moderators")
    assert await recs.list_recommendations(env.services.storage) == []
    analyst = env.user(8_610_002)
    await env.services.storage.moderators.add(analyst.user_id, added_by=ADMIN, role="analyst")
    await analyst.command("/recs")
    await analyst.press("Wages survey (0)")
    await analyst.press("New recommendation")
    await analyst.send_text("A title")
    await env.services.storage.moderators.remove(analyst.user_id)  # demoted meanwhile
    await analyst.send_text("skip")
    assert analyst.texts()[-1] == REFUSAL
    assert await recs.list_recommendations(env.services.storage) == []


async def test_a_late_follower_of_an_implemented_one_is_asked_once(env: BotEnv) -> None:
    await recommendation(env)
    storage = env.services.storage
    for status in ("under_consideration", "accepted", "implemented"):
        await recs.change_status(storage, CLI_ACTOR, REC, status)
    await deliver(env)
    late = env.user(8_620_001, language_code="fr")
    await follow(env, late)
    asked = late.last_message()
    assert asked.button_labels() == [tr(env, "fr", label) for label in ("Yes", "Partly", "No")]
    assert TITLE["fr"] in (asked.text or "")
    await late.press(tr(env, "fr", "Partly"), asked)
    assert raw_rows(env, "SELECT answer FROM addressed_answers") == [("partly",)]
    await late.press(tr(env, "fr", "Stop following"))
    await follow(env, late)  # following again does not ask again
    assert late.last_message().button_labels() != asked.button_labels()
    assert raw_rows(env, "SELECT count(*) FROM addressed_answers") == [(1,)]


async def test_following_one_not_implemented_yet_asks_nothing(env: BotEnv) -> None:
    await recommendation(env)
    follower = env.user(8_620_101)
    await follow(env, follower)
    assert "Yes" not in follower.last_message().button_labels()
    assert (await current(env)).status == "received"


async def test_the_participants_list_comes_in_pages(env: BotEnv) -> None:
    storage = env.services.storage
    await seed(storage)
    for number in range(45):
        await recs.add_recommendation(
            storage, CLI_ACTOR, recommendation_id=f"rec-{number:02d}", survey_id=SURVEY.id,
            title=Text({"en": f"Recommendation {number:02d}"}), body=Text({}))
    participant = env.user(8_630_001)
    await participant.command("/recs")
    first = participant.last_message()
    labels = first.button_labels()
    assert labels[:20] == [f"Recommendation {n:02d}" for n in range(20)]
    assert labels[20:] == ["More"]
    assert "Recommendation 20" not in (first.text or "")
    assert "Recommendations 1 to 20 of 45." in (first.text or "")
    await participant.press("More", first)
    second = participant.last_message()
    assert second.button_labels()[:20] == [f"Recommendation {n:02d}" for n in range(20, 40)]
    await participant.press("More", second)
    third = participant.last_message()
    assert third.button_labels() == [f"Recommendation {n:02d}" for n in range(40, 45)]
    await participant.press("Recommendation 42", third)
    assert participant.texts()[-1].startswith("Recommendation 42")


async def test_a_translation_added_in_the_chat_reaches_followers_in_their_language(
        env: BotEnv) -> None:
    storage = env.services.storage
    await seed(storage)
    await recs.add_recommendation(
        storage, CLI_ACTOR, recommendation_id=REC, survey_id=SURVEY.id,
        title=Text({"en": "Pay wages on time"}), body=Text({"en": "Wages were late."}))
    spanish = env.user(8_640_001, language_code="es")
    await follow(env, spanish)
    admin = env.user(ADMIN)
    await admin.command("/recs")
    await admin.press("Wages survey (1)")
    await admin.press(admin.last_message().button_labels()[0])
    assert "Written in: English." in admin.texts()[-1]
    await admin.press("Add a translation")
    await admin.press("Español")
    assert admin.texts()[-1] == ("Send the title of “Pay wages on time” in Español. /cancel "
                                 "stops and stores nothing.")
    await admin.send_text("Pagar los salarios a tiempo")
    await admin.send_text("skip")  # keeps no Spanish text: readers get the English one
    assert admin.texts()[-2] == "Translation recorded."
    assert "Written in: English, Español." in admin.texts()[-1]
    rec = await current(env)
    assert dict(rec.title.translations) == {"en": "Pay wages on time",
                                            "es": "Pagar los salarios a tiempo"}
    assert dict(rec.body.translations) == {"en": "Wages were late."}
    entries = [e for e in await storage.audit.entries()
               if e.action == "recommendation.translation"]
    assert [dict(e.details) for e in entries] == [{"recommendation_id": REC, "language": "es"}]
    assert "Pagar" not in str(entries[0].details)  # the log holds ids, never the texts
    await admin.press(tr(env, "en", "Move to: {status}").format(status="Under consideration"))
    await deliver(env)
    assert "Pagar los salarios a tiempo" in spanish.texts()[-1]


async def test_cancel_drops_a_translation_half_typed(env: BotEnv) -> None:
    await recommendation(env)
    admin = env.user(ADMIN)
    await admin.command("/recs")
    await admin.press("Wages survey (1)")
    await admin.press(admin.last_message().button_labels()[0])
    await admin.press("Add a translation")
    await admin.press("Русский")
    await admin.send_text("Платить зарплату вовремя")
    await admin.command("/cancel")
    assert "ru" not in (await current(env)).title.languages
    assert not [e for e in await env.services.storage.audit.entries()
                if e.action == "recommendation.translation"]


async def test_the_forget_confirmation_names_followed_recommendations(env: BotEnv) -> None:
    for language in ("en", "fr"):
        person = env.user(8_650_000 + len(language) + ord(language[0]), language_code=language)
        await person.command("/forget")
        wanted = tr(env, language, (
            "This erases your unfinished answers, your settings, your update subscriptions "
            "and the recommendations you follow. It cannot be undone. Submitted answers are "
            "stored without your name: to erase them, send /forget followed by their "
            "deletion code. That you took part in a survey is kept, so that each person "
            "answers only once. Are you sure?"))
        assert person.texts()[-1] == wanted
    assert "recommandations que vous suivez" in wanted


async def test_ids_from_titles_without_latin_letters_and_bad_translations(env: BotEnv) -> None:
    from bot.recommendation_texts import new_recommendation_id, translate

    await recommendation(env)
    storage = env.services.storage
    assert await new_recommendation_id(storage, "دفع الأجور في موعدها") == "rec"
    assert await new_recommendation_id(storage, "Élever  l'âge — 2026!") == "elever-l-age-2026"
    assert await new_recommendation_id(storage, "Pay on time") == "pay-on-time-2"
    with pytest.raises(recs.RecommendationError, match="Unknown language"):
        await translate(storage, CLI_ACTOR, REC, "French!", "Payer", None)
    with pytest.raises(recs.RecommendationError, match="needs a title"):
        await translate(storage, CLI_ACTOR, REC, "fr", "  ", None)
    with pytest.raises(recs.RecommendationError, match="no recommendation 'nope'"):
        await translate(storage, CLI_ACTOR, "nope", "fr", "Payer", None)
