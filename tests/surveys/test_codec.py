"""JSON round-trip of surveys and answers (pure: no event loop)."""

from __future__ import annotations

import json

import pytest

from surveys.codec import (
    CodecError,
    answers_from_json,
    answers_to_json,
    survey_from_json,
    survey_to_json,
)
from surveys.model import Calculation, Choice, Question, QuestionType, Survey, Text


def full_survey() -> Survey:
    """Every question type and every optional field, in three scripts."""
    return Survey(
        id="partnership-2026",
        title=Text({"en": "Partnership", "fr": "Partenariat", "ar": "الشراكة"}),
        languages=("en", "fr", "ar"),
        questions=(
            Question(
                id="role",
                type=QuestionType.SINGLE,
                label=Text({"en": "Your role?", "ar": "دورك؟"}),
                hint=Text({"en": "Pick one"}),
                choices=(
                    Choice("ngo", Text({"en": "NGO"})),
                    Choice("union", Text({"en": "Union"})),
                ),
                line=3,
            ),
            Question(
                id="topics",
                type=QuestionType.MULTI,
                label=Text({"en": "Topics"}),
                choices=(
                    Choice("trade", Text({"en": "Trade"})),
                    Choice("labour", Text({"en": "Labour"})),
                ),
                required=False,
                relevant="${role} = 'ngo'",
                constraint="count-selected(.) <= 2",
                constraint_message=Text({"en": "At most two", "fr": "Deux au plus"}),
            ),
            Question(
                id="trust", type=QuestionType.SCALE, label=Text({"en": "Trust"}), min=1, max=5
            ),
            Question(
                id="staff",
                type=QuestionType.NUMBER,
                label=Text({"en": "Staff"}),
                min=0,
                integer=True,
            ),
            Question(
                id="share", type=QuestionType.NUMBER, label=Text({"en": "Share"}), min=0.5, max=99.5
            ),
            Question(id="since", type=QuestionType.DATE, label=Text({"en": "Since"})),
            Question(
                id="comment", type=QuestionType.TEXT, label=Text({"en": "Comment"}), max_length=2000
            ),
            Question(id="thanks", type=QuestionType.NOTE, label=Text({"en": "Thanks"})),
        ),
    )


def test_survey_round_trip_is_exact() -> None:
    survey = full_survey()
    decoded = survey_from_json(survey_to_json(survey))
    assert decoded == survey
    # int and float bounds keep their type (an integer question must not become 1.0).
    assert type(decoded.question("trust").min) is int
    assert type(decoded.question("share").min) is float


def test_equal_surveys_encode_to_equal_text() -> None:
    assert survey_to_json(full_survey()) == survey_to_json(full_survey())


def test_text_stays_readable_in_its_script() -> None:
    assert "الشراكة" in survey_to_json(full_survey())


def test_survey_from_bytes() -> None:
    assert survey_from_json(survey_to_json(full_survey()).encode()) == full_survey()


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("questions"),
        lambda d: d.update(format=99),
        lambda d: d["questions"][0].update(type="essay"),
        lambda d: d["questions"][0].pop("choices"),
        lambda d: d["questions"][0].update(required="yes"),
        lambda d: d["questions"][2].update(min=True),
        lambda d: d["title"].update(en=5),
    ],
)
def test_damaged_survey_json_is_refused(damage) -> None:
    data = json.loads(survey_to_json(full_survey()))
    damage(data)
    with pytest.raises(CodecError):
        survey_from_json(json.dumps(data))


def test_not_json_is_refused() -> None:
    with pytest.raises(CodecError):
        survey_from_json("{not json")
    with pytest.raises(CodecError):
        survey_from_json("[]")


def test_answers_round_trip_with_every_answer_type() -> None:
    answers = {
        "role": "ngo",
        "topics": ("trade", "labour"),
        "none_selected": (),
        "trust": 4,
        "share": 12.5,
        "since": "2024-02-29",
        "comment": "Égalité — مساواة",
        "skipped": None,
    }
    text = answers_to_json(answers)
    assert json.loads(text)["topics"] == ["trade", "labour"]
    decoded = answers_from_json(text)
    assert decoded == answers
    assert isinstance(decoded["topics"], tuple)
    assert type(decoded["trust"]) is int and type(decoded["share"]) is float


def test_empty_answers() -> None:
    assert answers_from_json(answers_to_json({})) == {}


@pytest.mark.parametrize("value", [True, ["a", 1], {"a": 1}, float("nan"), b"bytes"])
def test_values_that_are_not_answers_are_refused(value) -> None:
    with pytest.raises(CodecError):
        answers_to_json({"q": value})


@pytest.mark.parametrize("text", ['{"q": true}', '{"q": [1]}', '{"q": {}}', "[1]", "nope"])
def test_stored_answers_that_are_not_answers_are_refused(text: str) -> None:
    with pytest.raises(CodecError):
        answers_from_json(text)


def test_choice_properties_filters_and_calculations_round_trip() -> None:
    survey = Survey(
        id="s", title=Text({"en": "S"}), languages=("en",),
        questions=(
            Question("region", QuestionType.SINGLE, Text({"en": "R"}), choices=(Choice("n", Text({"en": "N"})),)),
            Question("district", QuestionType.SINGLE, Text({"en": "D"}), choice_filter="region = ${region}",
                     choices=(Choice("n1", Text({"en": "N1"}), {"region": "n"}),)),
        ),
        calculations=(Calculation("north", "${region} = 'n'", 1, None, 4),),
    )
    assert survey_from_json(survey_to_json(survey)) == survey


def test_a_survey_stored_in_format_1_is_still_read() -> None:
    survey = full_survey()
    stored = json.loads(survey_to_json(survey))
    stored["format"] = 1
    del stored["calculations"]
    for question in stored["questions"]:
        del question["choice_filter"]
        for choice in question["choices"]:
            del choice["properties"]
    assert survey_from_json(json.dumps(stored)) == survey
