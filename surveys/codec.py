"""JSON round-trip of the survey model and of answers, for storage.

A published survey is stored as its *validated model*, not only as the uploaded file: a later
change to a loader must never change what a survey that people already answered means.
The encoding is explicit (every field written, a ``format`` number on top) so that a stored
definition stays readable by the next version of consultbot, and strict on the way back in,
so that a damaged row fails loudly instead of becoming a subtly different survey.

Pure and synchronous like the rest of ``surveys/``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from surveys.model import Answer, Answers, Calculation, Choice, Question, QuestionType, Survey, Text

__all__ = [
    "FORMAT",
    "CodecError",
    "answer_to_json",
    "answers_from_json",
    "answers_to_json",
    "survey_from_json",
    "survey_to_json",
]

#: Version of the stored survey encoding; bump it (and keep reading the old one) on change.
#: 2 added choice properties, ``choice_filter`` and calculations; a format-1 survey has none.
FORMAT = 2
_READABLE_FORMATS = (1, 2)


class CodecError(ValueError):
    """A stored survey or answer set is not what this codec writes."""


# ensure_ascii=False keeps Arabic/French labels readable in the database and compact;
# allow_nan=False because NaN is not JSON and would not survive other readers. One encoder
# for every call: json.dumps with options builds a new one each time (a third of the cost
# of encoding an answer set, which happens on every answer).
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _dumps(value: object) -> str:
    return _ENCODER.encode(value)


def _loads(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CodecError(f"not valid JSON: {error}") from error


# --- surveys -------------------------------------------------------------------------------


def _text_to_dict(text: Text | None) -> dict[str, str] | None:
    return None if text is None else text.to_dict()


def _question_to_dict(question: Question) -> dict[str, object]:
    return {
        "id": question.id,
        "type": question.type.value,
        "label": question.label.to_dict(),
        "hint": _text_to_dict(question.hint),
        "choices": [{"id": c.id, "label": c.label.to_dict(), "properties": dict(c.properties)} for c in question.choices],
        "required": question.required,
        "relevant": question.relevant,
        "constraint": question.constraint,
        "constraint_message": _text_to_dict(question.constraint_message),
        "min": question.min,
        "max": question.max,
        "integer": question.integer,
        "max_length": question.max_length,
        "line": question.line,
        "choice_filter": question.choice_filter,
    }


def _calculation_to_dict(calculation: Calculation) -> dict[str, object]:
    return {
        "id": calculation.id,
        "expression": calculation.expression,
        "position": calculation.position,
        "relevant": calculation.relevant,
        "line": calculation.line,
    }


def survey_to_json(survey: Survey) -> str:
    """Encode a survey as JSON text.

    Args:
        survey: A validated survey.

    Returns:
        Compact JSON; equal surveys give equal text, so the text can be compared to detect
        an unchanged definition.
    """
    return _dumps(
        {
            "format": FORMAT,
            "id": survey.id,
            "title": survey.title.to_dict(),
            "languages": list(survey.languages),
            "questions": [_question_to_dict(q) for q in survey.questions],
            "calculations": [_calculation_to_dict(c) for c in survey.calculations],
        }
    )


def _expect(value: object, kind: type | tuple[type, ...], where: str) -> Any:
    # bool is an int in Python but never a valid number, id or bound here.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise CodecError(f"{where}: unexpected boolean")
    if not isinstance(value, kind):
        raise CodecError(f"{where}: expected {kind}, got {type(value).__name__}")
    return value


def _text_from(value: object, where: str) -> Text:
    mapping = _expect(value, dict, where)
    for language, text in mapping.items():
        _expect(text, str, f"{where}.{language}")
    return Text(mapping)


def _optional_text_from(value: object, where: str) -> Text | None:
    return None if value is None else _text_from(value, where)


def _optional(value: object, kind: type | tuple[type, ...], where: str) -> Any:
    return None if value is None else _expect(value, kind, where)


def _question_from(data: object, index: int) -> Question:
    where = f"questions[{index}]"
    fields = _expect(data, dict, where)
    try:
        question_type = QuestionType(fields["type"])
        choices = tuple(
            Choice(
                id=_expect(choice["id"], str, f"{where}.choices[{n}].id"),
                label=_text_from(choice["label"], f"{where}.choices[{n}].label"),
                properties=_text_from(choice.get("properties", {}), f"{where}.choices[{n}].properties").translations,
            )
            for n, choice in enumerate(_expect(fields["choices"], list, f"{where}.choices"))
        )
        return Question(
            id=_expect(fields["id"], str, f"{where}.id"),
            type=question_type,
            label=_text_from(fields["label"], f"{where}.label"),
            hint=_optional_text_from(fields["hint"], f"{where}.hint"),
            choices=choices,
            required=_expect(fields["required"], bool, f"{where}.required"),
            relevant=_optional(fields["relevant"], str, f"{where}.relevant"),
            constraint=_optional(fields["constraint"], str, f"{where}.constraint"),
            constraint_message=_optional_text_from(
                fields["constraint_message"], f"{where}.constraint_message"
            ),
            min=_optional(fields["min"], (int, float), f"{where}.min"),
            max=_optional(fields["max"], (int, float), f"{where}.max"),
            integer=_expect(fields["integer"], bool, f"{where}.integer"),
            max_length=_optional(fields["max_length"], int, f"{where}.max_length"),
            line=_optional(fields["line"], int, f"{where}.line"),
            choice_filter=_optional(fields.get("choice_filter"), str, f"{where}.choice_filter"),
        )
    except KeyError as error:
        raise CodecError(f"{where}: missing field {error}") from error
    except (TypeError, ValueError) as error:
        if isinstance(error, CodecError):
            raise
        raise CodecError(f"{where}: {error}") from error


def _calculation_from(data: object, index: int) -> Calculation:
    where = f"calculations[{index}]"
    fields = _expect(data, dict, where)
    try:
        return Calculation(
            id=_expect(fields["id"], str, f"{where}.id"),
            expression=_expect(fields["expression"], str, f"{where}.expression"),
            position=_expect(fields["position"], int, f"{where}.position"),
            relevant=_optional(fields["relevant"], str, f"{where}.relevant"),
            line=_optional(fields["line"], int, f"{where}.line"),
        )
    except KeyError as error:
        raise CodecError(f"{where}: missing field {error}") from error


def survey_from_json(text: str | bytes) -> Survey:
    """Decode a survey written by :func:`survey_to_json`.

    Args:
        text: The stored JSON.

    Returns:
        The survey, equal to the one that was encoded.

    Raises:
        CodecError: The text is not a survey in a format this version understands.
    """
    data = _expect(_loads(text), dict, "survey")
    if data.get("format") not in _READABLE_FORMATS:
        raise CodecError(f"unknown survey format {data.get('format')!r}")
    try:
        return Survey(
            id=_expect(data["id"], str, "id"),
            title=_text_from(data["title"], "title"),
            languages=tuple(
                _expect(language, str, "languages")
                for language in _expect(data["languages"], list, "languages")
            ),
            questions=tuple(
                _question_from(question, index)
                for index, question in enumerate(_expect(data["questions"], list, "questions"))
            ),
            calculations=tuple(
                _calculation_from(calculation, index)
                for index, calculation in enumerate(_expect(data.get("calculations", []), list, "calculations"))
            ),
        )
    except KeyError as error:
        raise CodecError(f"survey: missing field {error}") from error


# --- answers -------------------------------------------------------------------------------


#: Answer types stored and read back unchanged (checked by exact type: bool is excluded).
_PLAIN: frozenset[type] = frozenset({str, int})


def _answer_to_json_value(question_id: str, answer: Answer) -> object:
    if answer is None or isinstance(answer, str):
        return answer
    if isinstance(answer, bool):
        raise CodecError(f"{question_id}: a boolean is not an answer")
    if isinstance(answer, int):
        return answer
    if isinstance(answer, float):
        if not math.isfinite(answer):
            raise CodecError(f"{question_id}: {answer} is not a storable number")
        return answer
    if isinstance(answer, tuple) and all(isinstance(item, str) for item in answer):
        return list(answer)
    raise CodecError(f"{question_id}: cannot store an answer of type {type(answer).__name__}")


def answer_to_json(question_id: str, answer: Answer) -> str:
    """Encode one answer alone, as :func:`answers_to_json` encodes it inside the set.

    Raises:
        CodecError: ``answer`` is not an :data:`~surveys.model.Answer`, or holds text that
            is not Unicode (a lone surrogate, which no UTF-8 database can store: checked
            here so that it fails alone, not in the middle of a batch of other answers).
    """
    encoded = _dumps(answer if answer is None or type(answer) in _PLAIN
                     else _answer_to_json_value(question_id, answer))
    if not encoded.isascii():
        try:
            encoded.encode("utf-8")
        except UnicodeEncodeError:
            raise CodecError(f"{question_id}: the text is not valid Unicode") from None
    return encoded


def answers_to_json(answers: Answers) -> str:
    """Encode answers (question id -> answer) as a JSON object.

    Multi-select tuples become lists; ``None`` (skipped) stays ``null`` so that a skipped
    question is distinguishable from an unanswered one.

    Raises:
        CodecError: A value is not an :data:`~surveys.model.Answer`.
    """
    # Plain values (text, whole numbers, skipped) pass as they are, checked by their exact
    # type (a bool is not an int here); everything else goes through the full check.
    return _dumps(
        {
            (question_id if type(question_id) is str else _expect(question_id, str, "question id")):
            (answer if answer is None or type(answer) in _PLAIN
             else _answer_to_json_value(question_id, answer))
            for question_id, answer in answers.items()
        }
    )


def _answer_from_json_value(question_id: str, value: object) -> Answer:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise CodecError(f"{question_id}: a boolean is not an answer")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise CodecError(f"{question_id}: not an answer: {type(value).__name__}")


def answers_from_json(text: str | bytes) -> dict[str, Answer]:
    """Decode answers written by :func:`answers_to_json`.

    Returns:
        A new dict (question id -> answer) with multi-select answers as tuples.

    Raises:
        CodecError: The text is not an answers object.
    """
    data = _loads(text)
    if not isinstance(data, Mapping):
        raise CodecError("answers: expected an object")
    return {
        question_id: v if v is None or type(v) in _PLAIN else _answer_from_json_value(question_id, v)
        for question_id, v in data.items()
    }
