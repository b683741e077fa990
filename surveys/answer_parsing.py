"""Turning what a participant typed into a typed answer, one function per question type.

These functions only understand the *shape* of an answer (is it a number, a date, one
of the options?). Bounds, length limits and constraints are checked afterwards by
:func:`surveys.engine.check_answer`, which also handles button answers that never went
through here.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

from surveys.messages import N_, Message
from surveys.model import Answer, Question, QuestionType

__all__ = ["InvalidAnswer", "parse_date", "parse_multi", "parse_number", "parse_raw", "parse_scale", "parse_single"]


class InvalidAnswer(ValueError):
    """The participant's answer cannot be accepted; ``message`` says why, for them."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render())
        self.message = message


# Western digits and any other Unicode decimal digits (e.g. Arabic-Indic), an optional
# sign, and "." / "," / the Arabic decimal separator as the decimal mark.
_NUMBER = re.compile(r"([-+]?)(\d+)(?:[.,\u066b](\d+))?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_raw(question: Question, raw: str) -> Answer:
    """Read ``raw`` as an answer to ``question``; empty input means "skipped" (``None``).

    Raises:
        InvalidAnswer: When the text does not have the shape the question expects.
    """
    text = raw.strip()
    if not text or question.type is QuestionType.NOTE:
        return None
    match question.type:
        case QuestionType.NUMBER:
            return parse_number(text, integer=question.integer)
        case QuestionType.SCALE:
            return parse_scale(question, text)
        case QuestionType.DATE:
            return parse_date(text)
        case QuestionType.SINGLE:
            return parse_single(question, text)
        case QuestionType.MULTI:
            return parse_multi(question, text)
        case _:
            return text


def parse_number(text: str, *, integer: bool) -> int | float:
    """Accept ``12``, ``-3``, ``12.5`` and ``12,5`` (comma as decimal mark, as in French).

    A thousands separator is not accepted: ``1,000`` would be ambiguous between
    languages, so it is read as one (1.000) only if the question takes decimals.
    """
    match = _NUMBER.fullmatch(text.replace(" ", "").replace("\u00a0", ""))
    if not match:
        raise InvalidAnswer(Message(N_("Please enter a number, for example 12 or 12.5.")) if not integer else Message(N_("Please enter a whole number, for example 12.")))
    sign, whole, fraction = (_ascii_digits(group or "") for group in match.groups())
    if integer:
        if fraction.strip("0"):
            raise InvalidAnswer(Message(N_("Please enter a whole number, without decimals.")))
        return int(sign + whole)
    return float(f"{sign}{whole}.{fraction or '0'}")


def _ascii_digits(text: str) -> str:
    """Arabic-Indic and other decimal digits as ASCII, so ``float`` sees one notation."""
    return "".join(str(unicodedata.digit(char)) if char.isdecimal() else char for char in text)


def parse_scale(question: Question, text: str) -> int:
    """A scale answer is one whole number; bounds are checked later."""
    try:
        return int(parse_number(text, integer=True))
    except InvalidAnswer:
        raise InvalidAnswer(_scale_message(question)) from None


def _scale_message(question: Question) -> Message:
    return Message(N_("Please choose a whole number from {min} to {max}."), {"min": question.min, "max": question.max})


def parse_date(text: str) -> str:
    """Accept ``YYYY-MM-DD`` and day-first ``DD/MM/YYYY``; return ISO ``YYYY-MM-DD``.

    Month-first dates (US style) are not accepted: ``03/04/2026`` means 3 April.
    """
    if iso := _ISO_DATE.fullmatch(text):
        year, month, day = iso.groups()
    elif day_first := _DAY_FIRST_DATE.fullmatch(text):
        day, month, year = day_first.groups()
    else:
        raise InvalidAnswer(Message(N_("Please enter a date as YYYY-MM-DD, for example 2026-03-31.")))
    try:
        return _dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise InvalidAnswer(Message(N_("{date} is not a date in the calendar."), {"date": text})) from None


def parse_single(question: Question, text: str) -> str:
    """One option, given as its number in the list, its id, or its label in any language."""
    choice_id = _choice_id(question, text)
    if choice_id is None:
        raise InvalidAnswer(Message(N_("Please choose one of the options by its number (1 to {count})."), {"count": len(question.choices)}))
    return choice_id


def parse_multi(question: Question, text: str) -> tuple[str, ...]:
    """Several options separated by commas (numbers, ids or labels), kept in list order."""
    chosen: set[str] = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        choice_id = _choice_id(question, item)
        if choice_id is None:
            raise InvalidAnswer(
                Message(
                    N_("'{item}' is not one of the options. Enter their numbers separated by commas, for example 1,3."),
                    {"item": item},
                )
            )
        chosen.add(choice_id)
    return tuple(choice.id for choice in question.choices if choice.id in chosen)


def _choice_id(question: Question, text: str) -> str | None:
    if text.isdecimal() and 1 <= int(text) <= len(question.choices):
        return question.choices[int(text) - 1].id
    if question.choice(text) is not None:
        return text
    folded = text.casefold()
    for choice in question.choices:
        if any(label.casefold() == folded for label in choice.label.translations.values()):
            return choice.id
    return None
