"""Every participant in their own language, against the emulator and a real ``consultbot run``.

* Users whose Telegram ``language_code`` is fr, es, ar, ru or sw get the welcome, the
  buttons and the survey in that language (survey labels where the survey has them).
* /language switches the bot's language at once, and the choice survives a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.i18n import load_translations
from surveys.loading import load_survey
from tests.e2e.harness import BotProcess, TelegramUser, find_leaks

EXAMPLES = Path(__file__).resolve().parents[2] / "surveys" / "examples"
HUMAN_RIGHTS = load_survey(EXAMPLES / "human-rights-dialogue.yaml")
PARTNERSHIP = load_survey(EXAMPLES / "economic-partnership.xlsx")
TRANSLATIONS = load_translations()


def _(language: str, msgid: str) -> str:
    text = TRANSLATIONS.translator(language).gettext(msgid)
    assert language == "en" or text != msgid, f"{msgid!r} is not translated into {language}"
    return text


def consent(user: TelegramUser, language: str) -> None:
    user.send_command("/start")
    welcome = user.wait_for_bot(predicate=lambda m: _(language, "I agree") in m.button_labels)
    assert welcome.text.startswith(_(language, "Welcome! This bot runs consultations: short "
                                               "surveys whose results help organisations act on "
                                               "what people like you say."))
    user.press(_(language, "I agree"))
    user.wait_for_bot(contains=_(language, "Which survey would you like to take?"))


def test_telegram_language_codes_choose_the_bot_and_survey_language(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
    data_dir: Path,
) -> None:
    bot = start_bot(surveys=EXAMPLES)
    users = {language: make_user(language_code=code)
             for language, code in (("fr", "fr"), ("es", "es-419"), ("ar", "ar"),
                                    ("ru", "ru"), ("sw", "sw"))}
    for language, user in users.items():
        consent(user, language)
        user.send_command("/help")
        user.wait_for_bot(contains=_(language, "What you can do here:"))

    # French: survey labels in French, the bot's own text in French, to the first answer.
    amara = users["fr"]
    amara.send_command("/start", HUMAN_RIGHTS.id)
    question = amara.wait_for_bot(predicate=lambda m: "À quel titre répondez-vous ?" in m.text)
    assert question.text.startswith(HUMAN_RIGHTS.title.get("fr", "en"))
    assert _("fr", "Choose one answer.") in question.text
    assert "Syndicat" in question.button_labels
    amara.press("Syndicat", question.message_id)
    assert amara.wait_for_callback_answer().get("text", "").startswith("✓")
    multi = amara.wait_for_bot(predicate=lambda m: _("fr", "Done") in m.button_labels)
    assert "Quels sujets devraient être abordés" in multi.text

    # Arabic: the XLSForm example has Arabic labels.
    layla = users["ar"]
    layla.send_command("/start", PARTNERSHIP.id)
    question = layla.wait_for_bot(predicate=lambda m: "ما هي الجهة التي تمثلونها؟" in m.text)
    assert "نقابة عمالية" in question.button_labels
    assert _("ar", "Choose one answer.") in question.text

    # A survey without the reader's language falls back to its default, the bot does not.
    juma = users["sw"]
    juma.send_command("/start", HUMAN_RIGHTS.id)
    question = juma.wait_for_bot(predicate=lambda m: "In which capacity are you answering?" in m.text)
    assert _("sw", "Choose one answer.") in question.text

    assert bot.stop() == 0
    assert find_leaks([data_dir, bot.log_path], list(users.values())) == []


def test_language_command_switches_at_once_and_survives_a_restart(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
) -> None:
    bot = start_bot(surveys=EXAMPLES)
    user = make_user(language_code="en")
    consent(user, "en")

    user.send_command("/language")
    choice = user.wait_for_bot(predicate=lambda m: "Français" in m.button_labels)
    assert choice.button_labels == ["✓ English", "العربية", "Español", "Français", "Русский",
                                    "Kiswahili"]
    user.press("Français", choice.message_id)
    user.wait_for_bot(predicate=lambda m: m.message_id == choice.message_id
                      and m.text == _("fr", "From now on I will write to you in English."))
    user.send_command("/help")
    user.wait_for_bot(contains=_("fr", "What you can do here:"))

    bot.restart()
    user.send_command("/cancel")
    user.wait_for_bot(contains=_("fr", "You are not taking a survey right now."))
    user.send_command("/start", HUMAN_RIGHTS.id)  # survey labels follow the choice too
    user.wait_for_bot(predicate=lambda m: "À quel titre répondez-vous ?" in m.text)

    user.send_command("/language")
    choice = user.wait_for_bot(predicate=lambda m: "✓ Français" in m.button_labels)
    user.press("العربية", choice.message_id)
    # Mid-survey, the current question comes again in the new language.
    question = user.wait_for_bot(predicate=lambda m: _("ar", "Choose one answer.") in m.text)
    assert HUMAN_RIGHTS.question("role").label.get("en", "en") in question.text  # no ar labels
    assert bot.stop() == 0
