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
from collections.abc import Sequence

from surveys.limits import MAX_NUMBER
from surveys.messages import N_, Message
from surveys.model import Answer, Choice, Question, QuestionType

__all__ = ["InvalidAnswer", "number_too_large", "parse_date", "parse_multi", "parse_number", "parse_raw", "parse_scale", "parse_single"]


class InvalidAnswer(ValueError):
    """The participant's answer cannot be accepted; ``message`` says why, for them."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render())
        self.message = message


# After spaces are removed and digits made ASCII: a sign, then digits with "." or ","
# as decimal mark or thousands separator (sorted out by _split_number).
_NUMBER = re.compile(r"([-+]?)(\d[\d.,]*|[.,]\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_raw(question: Question, raw: str, choices: Sequence[Choice] | None = None) -> Answer:
    """Read ``raw`` as an answer to ``question``; empty input means "skipped" (``None``).

    Args:
        question: The question being answered.
        raw: What the participant typed.
        choices: The choices on offer, numbered from 1 as shown (all of them by default;
            fewer when a ``choice_filter`` applies).

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
            return parse_single(question, text, choices)
        case QuestionType.MULTI:
            return parse_multi(question, text, choices)
        case _:
            return text


def parse_number(text: str, *, integer: bool) -> int | float:
    """Read a number written the way people in the survey's languages write them.

    Accepts ``12``, ``-3``, ``12.5``, ``12,5`` (decimal comma), Arabic-Indic digits with
    the Arabic decimal separator (U+066B), and thousands separators (``1 000``, ``1,000,000``, ``1.234,5``, ``1,234.5``).
    A single separator followed by exactly three digits (``1,000``) means a thousand in
    English and one in French: for a whole-number question it can only be a thousand;
    for a decimal question the participant is asked to write it unambiguously.
    """
    body = _ascii_digits("".join(text.split())).replace("\u066b", ",").replace("\u066c", "").replace("'", "")
    match = _NUMBER.fullmatch(body)
    if not match:
        raise InvalidAnswer(_not_a_number(integer))
    sign, digits = match.groups()
    whole, fraction = _split_number(digits, integer, text)
    if len(whole.lstrip("0")) > len(str(MAX_NUMBER)):
        raise InvalidAnswer(number_too_large())
    if integer:
        if fraction.strip("0"):
            raise InvalidAnswer(Message(N_("Please enter a whole number, without decimals.")))
        value: int | float = int(sign + whole)
    else:
        value = float(f"{sign}{whole or '0'}.{fraction or '0'}")
    if abs(value) > MAX_NUMBER:
        raise InvalidAnswer(number_too_large())
    return value


def number_too_large() -> Message:
    """Why a number beyond :data:`~surveys.limits.MAX_NUMBER` is refused."""
    return Message(N_("This number is too large; please enter a number from -{limit} to {limit}."), {"limit": MAX_NUMBER})


def _split_number(digits: str, integer: bool, text: str) -> tuple[str, str]:
    """Whole and fractional digits of ``digits`` (only digits, ``,`` and ``.``)."""
    marks = [char for char in digits if char in ",."]
    if not marks:
        return digits, ""
    decimal = marks[-1]
    if len(set(marks)) == 2:  # 1,234.5 or 1.234,5: the last mark is the decimal one
        whole, _, fraction = digits.rpartition(decimal)
        return _thousands(whole, integer), fraction
    parts = digits.split(decimal)
    if len(parts) > 2:  # 1,000,000
        return _thousands(digits, integer), ""
    whole, fraction = parts
    if len(fraction) == 3 and whole.strip("0") and len(whole) <= 3:
        if integer:
            return whole + fraction, ""
        raise InvalidAnswer(Message(N_("'{text}' could mean two numbers: write 1000 for a thousand, or 1.5 for one and a half."), {"text": text}))
    return whole, fraction


def _thousands(grouped: str, integer: bool) -> str:
    groups = grouped.replace(",", ".").split(".")
    if not (1 <= len(groups[0]) <= 3 and all(len(group) == 3 for group in groups[1:])):
        raise InvalidAnswer(_not_a_number(integer))
    return "".join(groups)


def _not_a_number(integer: bool) -> Message:
    if integer:
        return Message(N_("Please enter a whole number, for example 12."))
    return Message(N_("Please enter a number, for example 12 or 12.5."))


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


def parse_single(question: Question, text: str, choices: Sequence[Choice] | None = None) -> str:
    """One option, given as its number in the list, its id, or its label in any language."""
    offered = question.choices if choices is None else choices
    choice_id = _choice_id(offered, text)
    if choice_id is None:
        raise InvalidAnswer(Message(N_("Please choose one of the options by its number (1 to {count})."), {"count": len(offered)}))
    return choice_id


def parse_multi(question: Question, text: str, choices: Sequence[Choice] | None = None) -> tuple[str, ...]:
    """Several options separated by commas (numbers, ids or labels), kept in list order."""
    offered = question.choices if choices is None else choices
    chosen: set[str] = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        choice_id = _choice_id(offered, item)
        if choice_id is None:
            raise InvalidAnswer(
                Message(
                    N_("'{item}' is not one of the options. Enter their numbers separated by commas, for example 1,3."),
                    {"item": item},
                )
            )
        chosen.add(choice_id)
    return tuple(choice.id for choice in question.choices if choice.id in chosen)


def _choice_id(choices: Sequence[Choice], text: str) -> str | None:
    if text.isdecimal() and len(text) <= 6 and 1 <= int(text) <= len(choices):
        return choices[int(text) - 1].id
    if any(choice.id == text for choice in choices):
        return text
    folded = text.casefold()
    for choice in choices:
        if any(label.casefold() == folded for label in choice.label.translations.values()):
            return choice.id
    return None
