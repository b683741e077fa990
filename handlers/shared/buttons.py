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

What a button says is a typed record of :mod:`handlers.shared.button_data`:
:func:`button_data` signs one for a keyboard, and handlers read a press with :func:`pressed`
(or :func:`read_press` when they answer a bad button their own way), so every feature
refuses an unusable button with the same :func:`refuse_button` line.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from typing import Generic, NamedTuple, TypeVar

from telegram import CallbackQuery, Update

from bot.context import BotContext, Services, Translator
from bot.survey_progress import survey_ref
from handlers.shared.button_codec import decode, encode
from handlers.shared.button_data import ButtonData
from storage.secret import ServerSecret

__all__ = [
    "MAX_CALLBACK_BYTES",
    "CallbackDataTooLong",
    "Press",
    "answer_chat",
    "button_data",
    "button_kind",
    "pack",
    "pressed",
    "read_button",
    "read_press",
    "refuse_button",
    "survey_ref",
    "unpack",
]

Record = TypeVar("Record", bound=ButtonData)

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
    if not data or _SEPARATOR not in data or not data.isascii():
        return None  # forged: genuine data is ASCII (compare_digest refuses anything else)
    *fields, tag = data.split(_SEPARATOR)
    expected = _tag(_key(services), user_id, tuple(fields))
    if not hmac.compare_digest(expected.encode("ascii"), tag.encode("ascii")):
        return None
    return fields


def button_data(services: Services, user_id: int, record: ButtonData) -> str:
    """The signed ``callback_data`` of ``record``, for a button made for ``user_id``.

    Raises:
        CallbackDataTooLong: The result would not fit in 64 bytes.
    """
    return pack(services, user_id, *encode(record))


def read_button(services: Services, user_id: int, data: str | None) -> ButtonData | None:
    """The record of genuine button data made for ``user_id``; ``None`` if unusable."""
    fields = unpack(services, user_id, data)
    return decode(fields) if fields is not None else None


def read_press(update: Update, context: BotContext,
               kind: type[Record]) -> tuple[CallbackQuery, Record | None]:
    """The pressed button's query and record (``None`` if forged, someone else's, or of
    another kind). For a button handler: the router only calls it with a query."""
    query = update.callback_query
    assert query is not None
    record = read_button(context.services, query.from_user.id, query.data)
    return query, record if isinstance(record, kind) else None


class Press(NamedTuple, Generic[Record]):
    """A genuine button press, with what every button handler reads first.

    One record instead of the same five lines at the top of each handler: the query to
    answer, the button's record and the presser's translator (negotiated once per update),
    unpacked as ``query, button, tr = press``; and who pressed, and where to answer.
    """

    query: CallbackQuery
    button: Record
    tr: Translator

    @property
    def user_id(self) -> int:
        """The Telegram user who pressed (the one the button was signed for)."""
        return self.query.from_user.id

    @property
    def chat_id(self) -> int:
        """The chat to answer in (:func:`answer_chat`)."""
        return answer_chat(self.query)


async def pressed(update: Update, context: BotContext, kind: type[Record]) -> Press[Record] | None:
    """A genuine button of ``kind``, else ``None`` (refused with :func:`refuse_button`, so
    the handler only returns)."""
    query, record = read_press(update, context, kind)
    tr = await context.translator(update)
    if record is None:
        await refuse_button(query, tr)
        return None
    return Press(query, record, tr)


def button_kind(data: str | None) -> str:
    """The feature a button belongs to (its first field), read before checking the tag.

    Only used to route the press; the owner then checks the tag with :func:`unpack`.
    """
    return data.split(_SEPARATOR, 1)[0] if data else ""


def answer_chat(query: CallbackQuery) -> int:
    """The chat to answer a button in: its message's chat, else the presser's private chat."""
    return query.message.chat.id if query.message else query.from_user.id


async def refuse_button(query: CallbackQuery, tr: Translator) -> None:
    """The one answer to a button that cannot be used: forged, someone else's, or stale.

    The same words whatever the reason, so pressing odd buttons teaches nothing.
    """
    _ = tr.gettext
    await query.answer(_("This button is not valid any more."))
