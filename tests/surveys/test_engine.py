"""The survey engine on every question type: flow, parsing, checks, formatting."""

from __future__ import annotations

import pytest

from surveys.engine import (
    SKIPPED,
    InvalidAnswer,
    check_answer,
    format_answer,
    is_relevant,
    next_question,
    parse_answer,
    previous_question,
    relevant_answers,
)
from surveys.model import Choice, Question, QuestionType, Survey, Text


def t(en: str, fr: str | None = None) -> Text:
    return Text({"en": en, **({"fr": fr} if fr else {})})


SECTOR = Question(
    "sector", QuestionType.SINGLE, t("Sector?"),
    choices=(Choice("garment", t("Garment", "Textile")), Choice("mining", t("Mining", "Mines"))),
)
WEEKS = Question(
    "weeks", QuestionType.NUMBER, t("Weeks unpaid?"), integer=True, relevant="${sector} = 'garment'",
    constraint=". >= 0 and . <= 52", constraint_message=t("Enter a number between 0 and 52", "Entrez un nombre entre 0 et 52"),
)
INTRO = Question("intro", QuestionType.NOTE, t("Welcome"))
ISSUES = Question(
    "issues", QuestionType.MULTI, t("Issues?"),
    choices=(Choice("pay", t("Pay", "Salaire")), Choice("safety", t("Safety", "Sécurité")), Choice("hours", t("Hours", "Horaires"))),
    constraint="count-selected(.) <= 2",
)
DETAILS = Question("details", QuestionType.TEXT, t("Details?"), required=False, max_length=10, relevant="selected(${issues}, 'safety')")
SAFETY = Question("safety_scale", QuestionType.SCALE, t("How safe?"), min=1, max=5)
SINCE = Question("since", QuestionType.DATE, t("Since when?"), required=False, constraint=". >= '2020-01-01'")
SHARE = Question("share", QuestionType.NUMBER, t("Share?"), min=0, max=100)

SURVEY = Survey("s", t("S"), ("en", "fr"), (INTRO, SECTOR, WEEKS, ISSUES, DETAILS, SAFETY, SINCE, SHARE))


def ids(question: Question | None) -> str | None:
    return question.id if question else None


# ----------------------------------------------------------------------------- flow


def test_next_question_starts_with_the_first_and_includes_notes() -> None:
    assert ids(next_question(SURVEY, {}, None)) == "intro"
    assert ids(next_question(SURVEY, {}, "intro")) == "sector"


def test_skip_logic_skips_irrelevant_questions() -> None:
    assert ids(next_question(SURVEY, {"sector": "mining"}, "sector")) == "issues"
    assert ids(next_question(SURVEY, {"sector": "garment"}, "sector")) == "weeks"
    assert ids(next_question(SURVEY, {"sector": "mining", "issues": ("pay",)}, "issues")) == "safety_scale"
    assert ids(next_question(SURVEY, {"sector": "mining", "issues": ("safety",)}, "issues")) == "details"


def test_next_question_is_none_at_the_end() -> None:
    assert next_question(SURVEY, {}, "share") is None


def test_previous_question_skips_notes_and_irrelevant_questions() -> None:
    answers = {"sector": "mining", "issues": ("pay",)}
    assert ids(previous_question(SURVEY, answers, "safety_scale")) == "issues"
    assert ids(previous_question(SURVEY, answers, "issues")) == "sector"
    assert previous_question(SURVEY, answers, "sector") is None


def test_changed_answer_drops_answers_of_questions_no_longer_relevant() -> None:
    answers = {"sector": "mining", "weeks": 3, "issues": ("safety",), "details": "x"}
    assert relevant_answers(SURVEY, answers) == {"sector": "mining", "issues": ("safety",), "details": "x"}
    # Once 'weeks' is dropped, skip logic that read it must not see it either.
    assert not is_relevant(WEEKS, {"sector": "mining"})


def test_relevant_answers_keeps_question_order_and_skips() -> None:
    answers = {"share": 4.0, "sector": "garment", "since": None}
    assert list(relevant_answers(SURVEY, answers)) == ["sector", "since", "share"]


# ---------------------------------------------------------------------- every type


def test_single_by_number_id_or_label_in_any_language() -> None:
    assert parse_answer(SECTOR, "2", {}) == "mining"
    assert parse_answer(SECTOR, "garment", {}) == "garment"
    assert parse_answer(SECTOR, "textile", {}) == "garment"
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(SECTOR, "3", {})
    assert "1 to 2" in caught.value.message.render()


def test_single_button_answer_must_be_a_choice() -> None:
    assert check_answer(SECTOR, "mining", {}) == "mining"
    with pytest.raises(InvalidAnswer):
        check_answer(SECTOR, "fishing", {})


def test_multi_comma_separated_in_choice_order_without_duplicates() -> None:
    assert parse_answer(ISSUES, "3, 1, 1", {}) == ("pay", "hours")
    assert parse_answer(ISSUES, "safety,Pay", {}) == ("pay", "safety")
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(ISSUES, "1,9", {})
    assert "'9'" in caught.value.message.render()


def test_multi_constraint_with_default_message() -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(ISSUES, "1,2,3", {})
    assert "not accepted" in caught.value.message.render()


def test_multi_required_needs_at_least_one() -> None:
    with pytest.raises(InvalidAnswer):
        check_answer(ISSUES, (), {})
    with pytest.raises(InvalidAnswer):
        check_answer(ISSUES, ("pay", "nope"), {})


@pytest.mark.parametrize(("raw", "value"), [("12", 12.0), ("12.5", 12.5), ("12,5", 12.5), ("-0.5", None), (" 7 ", 7.0), ("١٢", 12.0)])
def test_number_parsing(raw: str, value: float | None) -> None:
    if value is None:
        with pytest.raises(InvalidAnswer) as caught:
            parse_answer(SHARE, raw, {})
        assert "from 0 to 100" in caught.value.message.render()
    else:
        assert parse_answer(SHARE, raw, {}) == value


@pytest.mark.parametrize(
    ("raw", "integer", "value"),
    [("1,000", True, 1000), ("1 000", True, 1000), ("2.500", True, 2500), ("1,000,000", False, 1000000.0),
     ("1.234,5", False, 1234.5), ("1,234.5", False, 1234.5), ("12 345,67", False, 12345.67), ("0,125", False, 0.125),
     ("12,50", False, 12.5), ("\u0661\u0662\u066b\u0665", False, 12.5), (".5", False, 0.5)],
)
def test_thousands_separators_and_decimal_marks(raw: str, integer: bool, value: float) -> None:
    question = Question("n", QuestionType.NUMBER, t("?"), integer=integer)
    assert parse_answer(question, raw, {}) == value


@pytest.mark.parametrize("raw", ["1,000", "2.500"])
def test_a_decimal_that_could_be_a_thousand_is_asked_again(raw: str) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(SHARE, raw, {})
    assert "could mean two numbers" in caught.value.message.render()


@pytest.mark.parametrize("raw", ["1,2,3", "1e5", "12..5", "1.2.3", "--4", "4-"])
def test_malformed_numbers(raw: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_answer(SHARE, raw, {})


def test_number_rejects_text() -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(SHARE, "twelve", {})
    assert "number" in caught.value.message.render()


def test_integer_question_rejects_decimals_and_returns_int() -> None:
    answer = parse_answer(WEEKS, "12", {"sector": "garment"})
    assert answer == 12 and isinstance(answer, int)
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(WEEKS, "12.5", {})
    assert "whole number" in caught.value.message.render()


def test_constraint_message_in_the_participants_language() -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(WEEKS, "53", {}, language="fr", default_language="en")
    assert caught.value.message.render() == "Entrez un nombre entre 0 et 52"
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(WEEKS, "53", {}, language="ar", default_language="en")
    assert caught.value.message.render() == "Enter a number between 0 and 52"


def test_scale_bounds() -> None:
    assert parse_answer(SAFETY, "5", {}) == 5
    for raw in ("0", "6", "2.5", "high"):
        with pytest.raises(InvalidAnswer) as caught:
            parse_answer(SAFETY, raw, {})
        assert "from 1 to 5" in caught.value.message.render()
    with pytest.raises(InvalidAnswer):
        check_answer(SAFETY, 9, {})


def test_text_max_length_and_required() -> None:
    text = Question("t", QuestionType.TEXT, t("?"), max_length=5)
    assert parse_answer(text, "  hello ", {}) == "hello"
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(text, "too long", {})
    assert "8 characters" in caught.value.message.render()
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(text, "   ", {})
    assert "needs an answer" in caught.value.message.render()


def test_optional_questions_accept_a_skip() -> None:
    assert parse_answer(DETAILS, "", {}) is None
    assert check_answer(DETAILS, None, {}) is None
    assert parse_answer(SINCE, "", {}) is None  # constraint is not applied to a skip


@pytest.mark.parametrize(("raw", "iso"), [("2024-03-05", "2024-03-05"), ("2024-3-5", "2024-03-05"), ("05/03/2024", "2024-03-05")])
def test_date_formats(raw: str, iso: str) -> None:
    assert parse_answer(SINCE, raw, {}) == iso


@pytest.mark.parametrize("raw", ["2024-02-30", "March 5", "2024/03/05", "03-05-2024"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(InvalidAnswer):
        parse_answer(SINCE, raw, {})


def test_date_constraint_compares_iso_dates() -> None:
    with pytest.raises(InvalidAnswer):
        parse_answer(SINCE, "2019-12-31", {})


def test_note_takes_no_answer() -> None:
    assert parse_answer(INTRO, "anything", {}) is None
    assert check_answer(INTRO, None, {}) is None


def test_constraint_may_read_earlier_answers() -> None:
    question = Question("until", QuestionType.DATE, t("Until?"), constraint=". >= ${since}")
    assert parse_answer(question, "2024-05-01", {"since": "2024-01-01"}) == "2024-05-01"
    with pytest.raises(InvalidAnswer):
        parse_answer(question, "2023-05-01", {"since": "2024-01-01"})


# ------------------------------------------------------------------------ formatting


def test_format_answer_per_type() -> None:
    assert format_answer(SECTOR, "garment", "fr") == "Textile"
    assert format_answer(ISSUES, ("pay", "hours"), "fr") == "Salaire, Horaires"
    assert format_answer(ISSUES, ("pay",), "de", "en") == "Pay"
    assert format_answer(SHARE, 12.0, "en") == "12"
    assert format_answer(SHARE, 12.5, "en") == "12.5"
    assert format_answer(WEEKS, 3, "en") == "3"
    assert format_answer(SAFETY, 4, "en") == "4"
    assert format_answer(SINCE, "2024-03-05", "en") == "2024-03-05"
    assert format_answer(DETAILS, None, "en") == SKIPPED == "—"
    assert format_answer(SECTOR, "removed", "en") == "removed"
