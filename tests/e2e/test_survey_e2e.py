"""New participants complete each example survey against the emulator, as people would.

A real ``consultbot run`` process loads ``surveys/examples`` and talks to the
telegram-test-api emulator; users consent, answer every question type (buttons, multi-select
toggles, scales, typed numbers, dates and texts, Skip, Back), survive a bot restart in the
middle, submit, and then ``consultbot export`` shows their stored answers. Afterwards neither
the data directory nor the bot's log holds their Telegram id or name.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.i18n import load_translations
from handlers.shared.localized import format_day
from surveys.loading import load_survey
from surveys.model import Survey
from tests.e2e.harness import BotProcess, TelegramUser, find_leaks

EXAMPLES = Path(__file__).resolve().parents[2] / "surveys" / "examples"
HUMAN_RIGHTS = EXAMPLES / "human-rights-dialogue.yaml"
PARTNERSHIP = EXAMPLES / "economic-partnership.xlsx"

#: (question id, how to answer): ("choose", choice id) | ("multi", [choice ids]) |
#: ("scale", n) | ("type", text) | ("skip", None) | ("invalid", text that must be refused)
Step = tuple[str, str, object]


class Participant:
    """Drives one survey in one language, finding each question by its label."""

    def __init__(self, user: TelegramUser, survey: Survey, language: str) -> None:
        self.user = user
        self.survey = survey
        self.language = language
        self._ = load_translations().translator(language).gettext

    def label(self, question_id: str) -> str:
        question = self.survey.question(question_id)
        assert question is not None
        return question.label.get(self.language, self.survey.default_language)

    def choice(self, question_id: str, choice_id: str) -> str:
        question = self.survey.question(question_id)
        assert question is not None
        choice = question.choice(choice_id)
        assert choice is not None
        return choice.label.get(self.language, self.survey.default_language)

    def wait_for_question(self, question_id: str) -> int:
        """The message asking this question: new, or a previous question edited into it."""
        label = self.label(question_id)
        title = self.survey.title.get(self.language, self.survey.default_language)
        message = self.user.wait_for_bot(
            predicate=lambda m: m.text.startswith(title) and label in m.text)
        return message.message_id

    def answer(self, question_id: str, how: str, value: object) -> None:
        prompt = self.wait_for_question(question_id)
        user = self.user
        if how == "choose":
            user.press(self.choice(question_id, str(value)), prompt)
        elif how == "scale":
            user.press(str(value), prompt)
        elif how == "multi":
            assert isinstance(value, list)
            for choice_id in value:
                label = self.choice(question_id, choice_id)
                user.press(label, prompt)
                user.wait_for_bot(predicate=lambda m, label=label: m.message_id == prompt
                                  and f"✓ {label}" in m.button_labels)
            user.press(self._("Done"), prompt)
        elif how == "skip":
            user.press(self._("Skip"), prompt)
        elif how == "type":
            # One call per typed answer: the next question (or the review) follows the
            # answer, and the next step waits for it.
            user.send_text(str(value))
            return
        else:
            raise AssertionError(how)
        # A button answer is acknowledged with a toast naming it.
        assert user.wait_for_callback_answer().get("text", "").startswith("✓")

    def refused(self, question_id: str, text: str, error: str) -> None:
        """Type an answer the survey refuses; the error is shown and the question asked again."""
        self.wait_for_question(question_id)
        self.user.send_text(text)
        self.user.wait_for_bot(contains=error)

    def review_and_submit(self, expected: list[str]) -> None:
        review = self.user.wait_for_bot(predicate=lambda m: self._("Submit") in m.button_labels)
        for shown in expected:
            assert shown in review.text, f"{shown!r} missing from the review: {review.text!r}"
        self.user.press(self._("Submit"), review.message_id)
        thanks = self._(
            "Thank you! Your answers were submitted.\n\n"
            "Your deletion code: {code}\n\n"
            "Write it down and keep it safe: it is shown only this once. Your answers are "
            "stored without your name or Telegram account, so without this code nobody, not "
            "even the server, can find which answers are yours. To see them, send /mydata "
            "{code}; to erase them, send /forget {code}.\n\n"
            "Use /surveys to see other open surveys.")
        self.user.wait_for_bot(contains=thanks.split("\n")[0])


def consent_via_deep_link(user: TelegramUser, survey_id: str, language: str) -> None:
    _ = load_translations().translator(language).gettext
    user.send_command("/start", survey_id)
    user.wait_for_bot(predicate=lambda m: _("I agree") in m.button_labels)
    user.press(_("I agree"))


def export_rows(data_dir: Path, survey_id: str, tmp_path: Path) -> list[dict[str, str]]:
    output = tmp_path / f"{survey_id}.csv"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULTBOT_")}
    env["CONSULTBOT_DATA_DIR"] = str(data_dir)
    # The key the bot process uses (tests/e2e/harness/botprocess.py), never ~/.config.
    env["CONSULTBOT_KEY_FILE"] = str(data_dir.parent / f"{data_dir.name}-key" / "secret.key")
    result = subprocess.run(
        # The raw export (audited): the protected one has no free text and no row of today.
        [sys.executable, "-m", "bot.cli", "export", survey_id, "--format", "csv", "--include-text",
         "--output", str(output)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    with output.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_human_rights_dialogue_with_a_restart_in_the_middle(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
    data_dir: Path, tmp_path: Path,
) -> None:
    survey = load_survey(HUMAN_RIGHTS)
    bot = start_bot(surveys=EXAMPLES)
    alice = make_user(language_code="en")
    walk = Participant(alice, survey, "en")

    consent_via_deep_link(alice, survey.id, "en")
    alice.wait_for_bot(contains="Thank you for taking part.")  # the note, shown without waiting
    walk.answer("role", "choose", "ngo")
    walk.answer("priorities", "multi", ["expression", "detention"])
    walk.answer("restrictions_experienced", "choose", "yes")
    walk.refused("restriction_count", "500", "Please enter a whole number between 1 and 100.")

    bot.restart()  # mid-survey: the bot cannot know what was on screen, so it asks again
    alice.send_text("3")
    alice.wait_for_bot(contains="was not saved. Here is the current question")
    alice.send_text("3")
    walk.answer("last_incident", "type", "2025-06-01")
    walk.answer("safety", "scale", 2)
    walk.answer("safety_concerns", "type", "Police visits to our office")
    walk.answer("dialogue_trust", "scale", 4)
    walk.answer("recommendation", "type", "Release detained defenders")
    walk.review_and_submit(["Human rights organisation", "3", format_day("2025-06-01", "en"),
                            "Police visits to our office", "Release detained defenders"])

    alice.send_command("/start", survey.id)  # cannot submit twice; sees the answers instead
    alice.wait_for_bot(contains="You already submitted")

    assert bot.stop() == 0
    rows = export_rows(data_dir, survey.id, tmp_path)
    assert len(rows) == 1
    row = rows[0]
    assert row["role"] == "ngo"
    assert row["priorities/expression"] == "1" and row["priorities/assembly"] == "0"
    assert row["restriction_count"] == "3"
    assert row["recommendation"] == "Release detained defenders"
    assert find_leaks([data_dir, bot.log_path], [alice]) == []
    assert "Traceback" not in bot.log_text()


def test_economic_partnership_xlsform_in_french_with_skip_and_back(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
    data_dir: Path, tmp_path: Path,
) -> None:
    survey = load_survey(PARTNERSHIP)
    bot = start_bot(surveys=EXAMPLES)
    amara = make_user(language_code="fr")
    walk = Participant(amara, survey, "fr")
    _ = walk._

    consent_via_deep_link(amara, survey.id, "fr")
    walk.answer("stakeholder_type", "choose", "union")  # employees, export_share: not relevant
    walk.answer("sectors", "multi", ["agriculture", "energy"])
    walk.answer("familiarity", "scale", 3)
    walk.answer("expected_impact", "choose", "positive")
    walk.answer("concerns", "multi", ["labour", "environment"])
    walk.answer("labour_details", "skip", None)
    walk.answer("consulted_before", "choose", "yes")
    walk.answer("last_consulted", "type", "2020-05-17")
    walk.answer("recommendation", "type", "Protéger les petits producteurs")

    review = amara.wait_for_bot(predicate=lambda m: _("Submit") in m.button_labels)
    amara.press(_("« Back"), review.message_id)  # back from the review to the last question
    walk.wait_for_question("recommendation")
    amara.press(_("Keep answer"))
    walk.review_and_submit([format_day("2020-05-17", "fr"), "Protéger les petits producteurs"])

    assert bot.stop() == 0
    rows = export_rows(data_dir, survey.id, tmp_path)
    assert len(rows) == 1
    row = rows[0]
    assert row["stakeholder_type"] == "union"
    assert row["sectors/agriculture"] == "1" and row["sectors/energy"] == "1"
    assert row["sectors/digital"] == "0"
    assert row["last_consulted"] == "2020-05-17"
    assert row["recommendation"] == "Protéger les petits producteurs"
    assert find_leaks([data_dir, bot.log_path], [amara]) == []


def test_stale_and_forged_buttons_against_the_emulator(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
) -> None:
    survey = load_survey(HUMAN_RIGHTS)
    start_bot(surveys=EXAMPLES)
    bob = make_user(language_code="en")
    walk = Participant(bob, survey, "en")
    consent_via_deep_link(bob, survey.id, "en")
    prompt = walk.wait_for_question("role")
    journalist = next(b.callback_data for row in bob.last_bot_message().buttons for b in row
                      if b.text == walk.choice("role", "journalist"))
    bob.press(walk.choice("role", "ngo"), prompt)
    walk.wait_for_question("priorities")
    bob.send_callback(str(journalist), prompt)  # the old question's button
    assert "earlier question" in bob.wait_for_callback_answer().get("text", "")
    bob.send_callback("a|forged|1|1|v|0|AAAAAAAA", prompt)
    assert bob.wait_for_callback_answer().get("text") == "This button is not valid any more."


def test_unusable_data_directory_stops_start_up_with_a_clear_message(
    start_bot: Callable[..., BotProcess], data_dir: Path,
) -> None:
    data_dir.mkdir(parents=True)
    key = data_dir / "secret.key"
    key.write_bytes(b"too short")
    key.chmod(0o600)
    bot = start_bot(wait=False)
    assert bot.wait() != 0
    log = bot.log_text()
    assert "consultbot: cannot open the data in" in log
    assert "Traceback" not in log
