"""Compact, signed ``callback_data`` for inline buttons.

Telegram returns a button's ``callback_data`` verbatim when it is pressed, but any client can
send any string instead. Every consultbot button therefore carries its fields joined by
``|`` plus a short tag: an HMAC (keyed from the server secret) over the fields *and the
Telegram user id of the person the button was made for*. A forged or altered button, or one
replayed by someone else, fails :func:`unpack` and the handler answers politely without
touching anything.

The tag proves authenticity only; whether a genuine button is still *current* (the
question moved on, the survey closed) is each handler's business.

Telegram caps ``callback_data`` at 64 bytes; :func:`pack` refuses anything longer, so a
too-long button fails loudly in tests rather than at Telegram.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from handlers.context import Services
from storage.secret import ServerSecret

__all__ = ["MAX_CALLBACK_BYTES", "CallbackDataTooLong", "pack", "survey_ref", "unpack"]

MAX_CALLBACK_BYTES = 64
_SEPARATOR = "|"
_TAG_BYTES = 6  # 48 bits: guessing one takes ~10^14 tries, far beyond any rate limit
_PURPOSE = "callback-data"


class CallbackDataTooLong(ValueError):
    """A button's data would exceed Telegram's 64-byte limit."""


def _tag(key: bytes, user_id: int, fields: tuple[str, ...]) -> str:
    message = f"{user_id}{_SEPARATOR}{_SEPARATOR.join(fields)}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:_TAG_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _key(services: Services) -> bytes:
    return _derived_key(services.storage.secret)


@functools.lru_cache(maxsize=4)
def _derived_key(secret: ServerSecret) -> bytes:
    # Derived once per open storage rather than for every button of every keyboard.
    return secret.derive_key(_PURPOSE)


def pack(services: Services, user_id: int, *fields: str | int) -> str:
    """Join ``fields`` and append the tag for ``user_id``.

    Raises:
        CallbackDataTooLong: The result would not fit in 64 bytes.
        ValueError: A field contains the separator.
    """
    texts = tuple(str(field) for field in fields)
    if any(_SEPARATOR in text for text in texts):
        raise ValueError("callback fields may not contain '|'")
    data = _SEPARATOR.join((*texts, _tag(_key(services), user_id, texts)))
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise CallbackDataTooLong(f"callback data of {len(data.encode())} bytes")
    return data


def unpack(services: Services, user_id: int, data: str | None) -> list[str] | None:
    """The fields of genuine button data made for ``user_id``; ``None`` if forged or altered."""
    if not data or _SEPARATOR not in data:
        return None
    *fields, tag = data.split(_SEPARATOR)
    expected = _tag(_key(services), user_id, tuple(fields))
    if not hmac.compare_digest(expected, tag):
        return None
    return fields


def survey_ref(survey_id: str) -> str:
    """A short, fixed-length stand-in for a survey id inside callback data.

    Survey ids may be long; eight characters of a hash keep every button within 64 bytes
    and are resolved back by comparing with the open surveys.
    """
    digest = hashlib.sha256(survey_id.encode()).digest()[:6]
    return base64.urlsafe_b64encode(digest).decode("ascii")
