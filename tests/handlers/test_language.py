"""Language negotiation: /language, Telegram language codes, detection, the default.

Texts are compared with the shipped catalogs' translations (``fr(...)``), so a reworded
translation does not break these tests, but a missing one does (see ``_translated``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakebot import ChatUser, sent_texts
from tests.handlers.conftest import BotEnv, consented_user, detected_languages, in_survey

#: A French sentence long enough for detection (≥ 20 characters).
FRENCH = "Bonjour, je voudrais savoir comment participer à cette consultation, s'il vous plaît."
SWAHILI = "Habari, ningependa kujua jinsi ya kushiriki katika mashauriano haya tafadhali."


def _translated(env: BotEnv, language: str, msgid: str) -> str:
    text = env.services.translations.translator(language).gettext(msgid)
    assert text != msgid, f"{msgid!r} has no {language} translation"
    return text


async def _stored_language(env: BotEnv, user: ChatUser) -> str | None:
    storage = env.services.storage
    preference = await storage.preferences.get(storage.secret.participant_key(user.user_id))
    return preference.language if preference is not None else None


async def test_language_buttons_are_labelled_in_their_own_language(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/language")
    assert user.last_message().button_labels() == [
        "✓ English", "العربية", "Español", "Français", "Русский", "Kiswahili"]
    assert user.last_message().text == "Which language should I use?"


async def test_choice_switches_at_once_and_is_stored_under_the_pseudonym(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/language")
    choice = user.last_message()
    calls = await user.press("Français")
    assert choice.text == _translated(env, "fr", "From now on I will write to you in English.")
    assert [c["text"] for c in user.answered_callbacks(calls) if "text" in c] == []
    assert await _stored_language(env, user) == "fr"
    await user.command("/cancel")
    assert user.texts()[-1] == _translated(env, "fr", "You are not taking a survey right now.")
    await user.command("/language")
    assert "✓ Français" in user.last_message().button_labels()


async def test_choice_persists_across_a_restart(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/language")
    await user.press("Русский")
    await env.restart()
    await user.command("/cancel")
    assert user.texts()[-1] == _translated(env, "ru", "You are not taking a survey right now.")


async def test_choice_wins_over_the_telegram_language(env: BotEnv) -> None:
    user = await consented_user(env, language_code="fr")
    await user.command("/language")
    await user.press("العربية")
    await user.command("/cancel")
    assert user.texts()[-1] == _translated(env, "ar", "You are not taking a survey right now.")


async def test_choice_before_consent_is_held_in_memory_until_agreement(env: BotEnv) -> None:
    user = env.user()
    await user.command("/language")
    await user.press("Español")
    assert await _stored_language(env, user) is None  # nothing stored before consent
    await user.command("/start")
    assert _translated(env, "es", "I agree") in user.last_message().button_labels()
    await user.press(_translated(env, "es", "I agree"))
    assert await _stored_language(env, user) == "es"


async def test_switching_mid_survey_asks_the_current_question_in_the_new_language(
        env: BotEnv) -> None:
    user = await in_survey(env)
    await user.command("/language")
    await user.press("Français")
    question = user.last_message()
    assert "Dans quel secteur travaillez-vous ?" in (question.text or "")
    assert question.button_labels() == ["Textile", "Mines"]
    await user.press("Textile")
    assert "Combien de semaines impayees ?" in (user.last_message().text or "")


async def test_forged_or_unknown_language_button_changes_nothing(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/language")
    message = user.last_message()
    calls = await user.press_data("lg|xx|AAAAAAAA", message)
    assert user.answered_callbacks(calls)[0]["text"] == "This button is not valid any more."
    assert await _stored_language(env, user) is None


async def test_forget_erases_the_choice(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/language")
    await user.press("Kiswahili")
    await user.command("/forget")
    await user.press(_translated(env, "sw", "Yes, erase everything"))
    assert await _stored_language(env, user) is None
    await user.command("/cancel")
    assert user.texts()[-1] == "You are not taking a survey right now."


@pytest.mark.parametrize(("code", "language"), [
    ("fr", "fr"), ("fr-CA", "fr"), ("FR_be", "fr"), ("es-419", "es"), ("ar", "ar"),
    ("ru", "ru"), ("sw", "sw"), ("pt-BR", "en"), ("zh-hans", "en"), ("de", "en"), (None, "en"),
    ("", "en"), ("x-klingon", "en"),
])
async def test_telegram_language_codes(env: BotEnv, code: str | None, language: str) -> None:
    user = env.user(language_code=code)
    await user.command("/start")
    agree = env.services.translations.translator(language).gettext("I agree")
    assert user.last_message().button_labels() == [agree]


async def test_detection_on_the_first_long_message_when_telegram_gives_nothing(
        env: BotEnv) -> None:
    user = await consented_user(env, language_code=None)
    calls = await user.send_text("Bonjour")  # too short to be trusted
    assert sent_texts(calls) == ["To take a survey, use /surveys. For help, use /help."]
    calls = await user.send_text(FRENCH)
    assert sent_texts(calls) == [
        _translated(env, "fr", "To take a survey, use /surveys. For help, use /help.")]
    await user.send_text("Hello, this is clearly written in English now, thank you.")
    assert user.texts()[-1] == sent_texts(calls)[0]  # only the first long message counts


async def test_detection_also_for_unsupported_telegram_languages(env: BotEnv) -> None:
    user = await consented_user(env, language_code="de-AT")
    calls = await user.send_text(SWAHILI)
    assert sent_texts(calls) == [
        _translated(env, "sw", "To take a survey, use /surveys. For help, use /help.")]


async def test_no_detection_when_the_telegram_language_is_supported(env: BotEnv) -> None:
    user = await consented_user(env, language_code="en")
    calls = await user.send_text(FRENCH)
    assert sent_texts(calls) == ["To take a survey, use /surveys. For help, use /help."]
    assert detected_languages(env) == {}


async def test_no_detection_after_a_language_was_chosen(env: BotEnv) -> None:
    user = await consented_user(env, language_code=None)
    await user.command("/language")
    await user.press("Русский")
    calls = await user.send_text(FRENCH)
    assert sent_texts(calls) == [
        _translated(env, "ru", "To take a survey, use /surveys. For help, use /help.")]
    assert detected_languages(env) == {}


async def test_detected_language_also_chooses_survey_labels(env: BotEnv) -> None:
    user = await consented_user(env, language_code=None)
    await user.send_text(FRENCH)
    await user.command("/surveys")
    await user.press("La voix des travailleurs")
    assert "Dans quel secteur travaillez-vous ?" in (user.last_message().text or "")


def _commands(calls: list[Any], language: str | None) -> list[str]:
    return [command["description"] for call in calls if call.method == "setMyCommands"
            and call.params.get("language_code") == language
            and call.params["scope"]["type"] == "all_private_chats"
            for command in call.params["commands"]]


async def test_command_menus_are_set_in_every_language(env: BotEnv) -> None:
    calls = env.telegram.calls
    english = _commands(calls, None)
    assert "Choose the language I write in" in english
    for language in ("fr", "es", "ar", "ru", "sw"):
        translated = _commands(calls, language)
        assert len(translated) == len(english)
        assert _translated(env, language, "Choose the language I write in") in translated


async def test_moderators_see_the_language_a_report_was_written_in(env: BotEnv) -> None:
    from tests.handlers.moderator_helpers import fresh_code
    from tests.handlers.report_helpers import MODERATOR_ID, file_report, report_id_of

    reporter = env.user(7_300_001, language_code="en")  # no detection: Telegram says en
    receipt = await file_report(
        reporter, "El encargado del turno de noche no pagó las horas extra a todo el equipo.")
    report_id = await report_id_of(env, receipt)
    moderator = env.user(MODERATOR_ID, first_name="Mod", username="mod_one", language_code="fr")
    await fresh_code(env, moderator)
    await moderator.command("/reports")
    calls = await moderator.press(_translated(env, "fr", "Open {id}").format(id=report_id))
    opened = next(c.text or "" for c in calls if c.method == "sendMessage")
    assert _translated(env, "fr", "Language of the description: {language}").format(
        language="espagnol") in opened


async def test_the_welcome_shows_the_way_to_another_language(env: BotEnv) -> None:
    user = env.user(language_code="ru")  # e.g. a phone set to Russian by someone else
    await user.command("/start")
    assert (user.last_message().text or "").endswith("\n\n🌐 /language")
