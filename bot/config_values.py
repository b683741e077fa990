"""Parsers for the values of the configuration table in :mod:`bot.config`.

Each takes the (stripped, non-empty) text of one setting and returns its value, or raises
:class:`ValueError` with the rest of a sentence that starts with the variable's name:
``CONSULTBOT_MIN_CELL`` + `` must be at least 3 (got 2)``. The loader adds the name, so
every message says which variable to fix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bot.cli_language import _

__all__ = [
    "api_url",
    "clock_times",
    "comma_list",
    "number",
    "one_of",
    "optional_path",
    "path",
    "report_categories",
    "secret_token",
    "text",
    "text_entries",
    "user_ids",
    "whole_number",
    "yes_no",
]

#: Telegram user ids are positive and fit in 52 bits; anything else is a typo (or a chat id).
_LARGEST_USER_ID = 2**53


def text(raw: str) -> str:
    """Any text, surrounding spaces removed."""
    return raw.strip()


def path(raw: str) -> Path:
    """A file or directory path; ``~`` is the operator's home directory."""
    return Path(raw.strip()).expanduser()


def optional_path(raw: str) -> Path | None:
    """A path; the empty text means "not set"."""
    return path(raw) if raw.strip() else None


def api_url(raw: str) -> str:
    """An ``http://`` or ``https://`` URL."""
    url = raw.strip()
    if not url.startswith(("http://", "https://")):
        raise ValueError(_("must start with http:// or https:// (got {url!r}), "
                           "e.g. http://127.0.0.1:8081/bot").format(url=url))
    return url


def comma_list(raw: str) -> tuple[str, ...]:
    """Comma-separated items, spaces and empty items dropped."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def user_ids(raw: str) -> frozenset[int]:
    """Comma- (or semicolon-) separated numeric Telegram user ids."""
    ids: set[int] = set()
    for part in comma_list(raw.replace(";", ",")):
        try:
            user_id = int(part)
        except ValueError:
            raise ValueError(_("must be comma-separated numeric Telegram user ids; {part!r} "
                               "is not a number").format(part=part)) from None
        if not 0 < user_id < _LARGEST_USER_ID:
            raise ValueError(_("must be comma-separated Telegram user ids; {part!r} is not a "
                               "user id (they are positive numbers below 2^53)").format(part=part))
        ids.add(user_id)
    return frozenset(ids)


def whole_number(low: int, high: int | None, *, below: str = "",
                 above: str = "") -> Callable[[str], int]:
    """A parser for a whole number from ``low`` to ``high`` (no upper limit when ``None``).

    ``below`` and ``above`` say what the lower and the upper limit protect (marked with
    ``N_``, translated when shown); they end the message of a value beyond that limit.
    """

    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(_("must be a whole number (got {raw!r})").format(raw=raw)) from None
        if value < low:
            message = _("must be at least {low} (got {value})").format(low=low, value=value)
            raise ValueError(message + (f": {_(below)}" if below else ""))
        if high is not None and value > high:
            message = _("must be at most {high} (got {value})").format(high=high, value=value)
            raise ValueError(message + (f": {_(above)}" if above else ""))
        return value

    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    """A parser for a number (decimals allowed) from ``low`` to ``high``."""

    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(_("must be a number (got {raw!r})").format(raw=raw)) from None
        if not low <= value <= high:  # also refuses nan
            raise ValueError(_("must be between {low} and {high} (got {raw!r})").format(
                low=f"{low:g}", high=f"{high:g}", raw=raw))
        return value

    return parse


def report_categories(raw: str) -> tuple[str, ...]:
    """Comma-separated category ids of 1-32 of ``a-z``, ``0-9`` and ``_``."""
    categories = comma_list(raw)
    for category in categories:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", category):
            raise ValueError(_("must be comma-separated ids of 1-32 of a-z, 0-9 and _ "
                               "(e.g. labour_rights,corruption,other); {category!r} is not")
                             .format(category=category))
    if len(set(categories)) != len(categories):
        raise ValueError(_("lists a category twice (got {raw!r})").format(raw=raw))
    return categories


def text_entries(raw: str) -> tuple[str, ...]:
    """Entries separated by ``|`` or new lines (an entry may hold commas)."""
    return tuple(part.strip() for part in re.split(r"[\n|]", raw) if part.strip())


def clock_times(raw: str) -> tuple[str, ...]:
    """Comma-separated UTC ``HH:MM`` times."""
    times = comma_list(raw)
    for time_text in times:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", time_text):
            raise ValueError(_("must be comma-separated UTC times as HH:MM (e.g. 08:00,18:00); "
                               "{time!r} is not").format(time=time_text))
    return times


def yes_no(raw: str) -> bool:
    """A switch: ``true``/``yes``/``on``/``1`` or ``false``/``no``/``off``/``0``."""
    value = raw.strip().lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0"):
        return False
    raise ValueError(_("must be true or false (got {raw!r})").format(raw=raw))


def one_of(*choices: str) -> Callable[[str], str]:
    """A parser for one word out of ``choices`` (case-insensitive)."""

    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(_("must be one of {choices} (got {raw!r})").format(
                choices=", ".join(choices), raw=raw))
        return value

    return parse


def listen_address(raw: str) -> str:
    """``HOST:PORT`` (``[::1]:9090`` for IPv6), or empty for "off"."""
    value = raw.strip()
    if not value:
        return ""
    host, colon, port = value.rpartition(":")
    if not colon or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(_("must be HOST:PORT, e.g. 127.0.0.1:9090 (got {raw!r})").format(
            raw=raw))
    return value


def secret_token(raw: str) -> str:
    """1-256 of ``A-Z``, ``a-z``, ``0-9``, ``_`` and ``-``: what Telegram accepts."""
    secret = raw.strip()
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
        raise ValueError(_("must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's "
                           "rule for secret_token); e.g. the output of "
                           "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"))
    return secret
