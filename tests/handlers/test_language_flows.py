"""Whole survey flows in French and Arabic through the offline fake.

Every text the bot shows (messages, edits, button labels, callback answers) must be in
the participant's language: besides checking chosen texts, each flow fails if any
English sentence of the catalog whose translation differs shows up anywhere, or any
English survey label where the survey has a translation.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.survey_files import SurveyFile
from handlers.shared.localized import FSI, PDI
from surveys.loading import load_survey_bytes
from surveys.model import Survey
from tests.fakebot import ApiCall, ChatUser
from tests.handlers.conftest import BotEnv, stored_response

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "surveys" / "examples"


def _example(name: str) -> SurveyFile:
    data = (EXAMPLES / name).read_bytes()
    return SurveyFile(Path(name), load_survey_bytes(data, name), data)


@pytest.fixture
async def examples_env(tmp_path: Path) -> AsyncIterator[BotEnv]:
    environment = BotEnv(tmp_path / "data", [_example("economic-partnership.xlsx"),
                                              _example("human-rights-dialogue.yaml")],
                         frozenset())
    environment.users = []
    await environment.start()
    try:
        yield environment
    finally:
        await environment.stop()


def _english_fragments(language: str) -> set[str]:
    """Pieces of English message ids (between placeholders) whose translation differs."""
    path = ROOT / "locales" / language / "LC_MESSAGES" / "consultbot.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    fragments = set()
    translated = []
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        translated.extend(strings)
        for msgid in ids:
            if msgid in strings:
                continue
            for piece in re.split(r"\{[^{}]*\}|\n", msgid):
                fragment = piece.strip(" :.,;!?()'“”•\N{EN DASH}—«»·")
                if len(fragment) >= 4 and re.search(r"[A-Za-z]{3}", fragment):
                    fragments.add(fragment)
    # Words both languages share ("question", "Corruption") are not a sign of English.
    everything = "\n".join(translated)
    return {f for f in fragments if f not in everything}


def _survey_english(survey: Survey, language: str) -> set[str]:
    """English labels of ``survey`` that have a ``language`` translation."""
    texts = [survey.title, *(q.label for q in survey.questions),
             *(q.hint for q in survey.questions if q.hint),
             *(c.label for q in survey.questions for c in q.choices)]
    found = set()
    for text in texts:
        english, translated = text.translations.get("en"), text.translations.get(language)
        if translated and english != translated:
            found.add(english)
    return found


def _everything_shown(user: ChatUser, calls: Iterable[ApiCall]) -> list[str]:
    shown = []
    for message in user.messages():
        shown.append(message.text or "")
        shown.extend(message.button_labels())
    shown.extend(str(c.params.get("text", "")) for c in calls if c.method == "answerCallbackQuery")
    shown.extend(c.text or "" for c in calls if c.method == "editMessageText")
    return shown


def _assert_no_english(shown: list[str], language: str, survey: Survey) -> None:
    fragments = _english_fragments(language)
    leaks = sorted({f for text in shown for f in fragments
                    if re.search(rf"(?<![A-Za-z]){re.escape(f)}(?![A-Za-z])", text)})
    assert not leaks, f"English bot text in a {language} flow: {leaks}"
    labels = sorted({label for text in shown for label in _survey_english(survey, language)
                     if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text)})
    assert not labels, f"English survey labels in a {language} flow: {labels}"


def _press_survey(user: ChatUser, words: str) -> str:
    return next(label for label in user.last_message().button_labels() if words in label)


async def test_a_french_participant_takes_the_human_rights_survey_in_french(
        examples_env: BotEnv) -> None:
    env = examples_env
    fr = env.services.translations.translator("fr").gettext
    user = env.user(language_code="fr-CA")
    calls = []
    calls += await user.command("/start")
    assert fr("I agree") != "I agree"
    assert user.last_message().button_labels() == [fr("I agree")]
    calls += await user.press(fr("I agree"))
    assert user.texts()[-1] == fr("Which survey would you like to take?")
    calls += await user.press(_press_survey(user, "Dialogue sur les droits humains 2026"))
    assert "À quel titre répondez-vous ?" in (user.last_message().text or "")
    assert fr("{title} · question {number} of {total}").format(
        title="Dialogue sur les droits humains 2026 — consultation de la société civile",
        number=1, total=9) in (user.last_message().text or "")
    calls += await user.press("Syndicat")
    for choice in ("Droits du travail", "Liberté d'expression et de la presse",
                   "Détention arbitraire et procès équitable",
                   "Discriminations et droits des minorités"):
        calls += await user.press(choice)
    calls += await user.press(fr("Done"))
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"][-1] \
        == "Veuillez choisir trois sujets au maximum."  # the survey's French constraint
    calls += await user.press("✓ Discriminations et droits des minorités")
    calls += await user.press(fr("Done"))
    calls += await user.press("Oui")
    calls += await user.send_text("douze")
    assert user.texts()[-1].startswith(fr("Please enter a whole number, for example 12.") + "\n\n")
    calls += await user.send_text("12")
    calls += await user.send_text("2025-03-14")
    calls += await user.press("2")  # safety scale
    calls += await user.send_text("Une protection réelle des syndicalistes.")
    calls += await user.press("4")  # dialogue trust
    calls += await user.press(fr("Skip"))
    review = user.last_message()
    assert (review.text or "").startswith(fr("Please check your answers:"))
    assert "14 mars 2025" in (review.text or "")  # babel's French date
    assert review.button_labels()[0] == fr("Submit")
    calls += await user.press(fr("Submit"))
    assert fr("Submitted. Thank you!") in [c.params.get("text") for c in calls
                                           if c.method == "answerCallbackQuery"]
    _assert_no_english(_everything_shown(user, calls), "fr",
                       env.survey_files[1].survey)
    response = await stored_response(env, user, "human-rights-dialogue-2026")
    assert response.submitted and response.language == "fr"


async def test_an_arabic_participant_takes_the_economic_survey_in_arabic(
        examples_env: BotEnv) -> None:
    env = examples_env
    ar = env.services.translations.translator("ar").gettext
    user = env.user(language_code="ar")
    calls = []
    calls += await user.command("/start")
    calls += await user.press(ar("I agree"))
    survey_button = _press_survey(user, "Stakeholder consultation")  # the title has no ar
    assert survey_button.startswith(FSI)  # an English title is isolated among Arabic
    calls += await user.press(survey_button)
    assert "تجمع هذه الاستشارة آراء الأطراف المعنية" in "\n".join(user.texts())  # the note
    question = user.last_message()
    assert (question.text or "").startswith(
        f"{FSI}Stakeholder consultation on the economic partnership{PDI} · ")
    assert "ما هي الجهة التي تمثلونها؟" in (question.text or "")
    calls += await user.press("نقابة عمالية")
    for sector in ("الزراعة والأغذية", "الصناعة التحويلية", "الخدمات", "الطاقة"):
        calls += await user.press(sector)
    calls += await user.press(ar("Done"))
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"][-1] \
        == "يرجى اختيار ثلاثة قطاعات على الأكثر."
    calls += await user.press("✓ الطاقة")
    calls += await user.press(ar("Done"))
    calls += await user.press("4")  # familiarity
    calls += await user.press("إيجابي جدًا")
    calls += await user.press("معايير العمل")
    calls += await user.press(ar("Done"))
    calls += await user.send_text("Freedom of association.")  # an English answer
    calls += await user.press("نعم")
    calls += await user.send_text("2025-06-30")
    calls += await user.press(ar("Skip"))
    review = user.last_message()
    text = review.text or ""
    assert text.startswith(ar("Please check your answers:"))
    assert f"{FSI}30 يونيو 2025{PDI}" in text  # babel's Arabic date, isolated
    # The English answer keeps its full stop at its own end inside the Arabic review.
    assert f"{FSI}Freedom of association.{PDI}" in text
    assert review.button_labels()[0] == ar("Submit")
    calls += await user.press(ar("Submit"))
    _assert_no_english(_everything_shown(user, calls), "ar",
                       env.survey_files[0].survey)
    response = await stored_response(env, user, "economic-partnership-2026")
    assert response.submitted and response.language == "ar"


async def test_french_numbers_in_the_review_use_french_separators(examples_env: BotEnv) -> None:
    env = examples_env
    fr = env.services.translations.translator("fr").gettext
    user = env.user(language_code="fr")
    await user.command("/start")
    await user.press(fr("I agree"))
    await user.press(_press_survey(user, "Stakeholder consultation"))
    await user.press("Entreprise ou organisation patronale")
    await user.send_text("25000")
    await user.press(fr("« Back"))
    assert fr("Your current answer: {answer}").format(answer="25\u202f000") \
        in (user.last_message().text or "")


def test_the_english_detector_knows_english_and_spares_shared_words() -> None:
    fragments = _english_fragments("fr")
    assert {"Please check your answers", "Submit", "Skip"} <= fragments
    assert "question" not in fragments  # French uses the word too
