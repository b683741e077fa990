"""Numbers, dates and mixed-direction text as a reader of a given language expects them.

Catalogs translate sentences; this module formats the values put into them: babel's
number and date formats for the reader's locale (``1 234,5`` and ``29 février 2024`` in
French), and Unicode isolates around inserted text whose direction may differ from the
sentence around it.

Why isolates: a bidirectional paragraph takes its direction from its first strong
character, and neutral characters (punctuation, spaces, digits' separators) between runs
of different directions attach to the paragraph's direction. An English survey title at the
start of an Arabic sentence turns the whole line left-to-right, and the final "." of an
English answer shown in an Arabic line jumps to the wrong end. Wrapping the inserted text in
FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE (U+2068 … U+2069) makes it a self-contained
run that neither takes nor gives direction.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal

__all__ = [
    "FSI",
    "PDI",
    "RLM",
    "format_day",
    "format_number",
    "has_rtl",
    "is_rtl",
    "isolate",
    "language_label",
    "language_name",
]

FSI = "\u2068"
PDI = "\u2069"
RLM = "\u200f"
#: Below this, numbers are written without a thousands separator: a year (2024) or a
#: small count reads better plain, as CLDR's minimum grouping digits also suggests.
_GROUPING_FROM = 10_000


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale | None:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None


def language_name(language: str) -> str:
    """A language's name in that language (``fr`` → ``Français``), e.g. for its button."""
    locale = _locale(language)
    name = (locale.get_display_name(locale) if locale is not None else None) or language
    return name[:1].upper() + name[1:]


def language_label(code: str, reader: str) -> str:
    """The name of language ``code`` in the ``reader``'s language (``sw`` → ``swahili`` in French).

    Unknown codes are shown as they are.
    """
    locale = _locale(reader)
    name = locale.languages.get(code.replace("-", "_").split("_")[0]) if locale is not None else None
    return name or code


def is_rtl(language: str) -> bool:
    """Whether ``language`` is written right to left (``ar``, ``fa``, ``he`` …)."""
    locale = _locale(language)
    return locale is not None and locale.text_direction == "rtl"


def has_rtl(text: str) -> bool:
    """Whether ``text`` contains any right-to-left letter."""
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def isolate(text: str, language: str) -> str:
    """``text`` as a self-contained direction run, when that can matter.

    Only when the reader's language is right-to-left or ``text`` itself contains
    right-to-left letters: left-to-right text in a left-to-right sentence needs nothing,
    and stays byte for byte as it was.
    """
    if not text or text.startswith(FSI) or not (is_rtl(language) or has_rtl(text)):
        return text
    return f"{FSI}{text}{PDI}"


def format_number(value: float, language: str) -> str:
    """A number in the reader's locale: decimal separator, and grouping from 10 000."""
    locale = _locale(language)
    if locale is None:
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return format_decimal(value, locale=locale, group_separator=abs(value) >= _GROUPING_FROM)


def format_day(day: _dt.date | str, language: str) -> str:
    """A calendar day in the reader's locale (``29 February 2024``, ``29 فبراير 2024``).

    ISO strings (how date answers are stored) are accepted; anything unparsable is shown
    as it is rather than failing in front of a user.
    """
    if isinstance(day, str):
        try:
            parsed = _dt.date.fromisoformat(day)
        except ValueError:
            return day
    else:
        parsed = day
    locale = _locale(language)
    if locale is None:
        return parsed.isoformat()
    return str(format_date(parsed, format="long", locale=locale))
