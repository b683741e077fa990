"""Reading what a reporter sends: text (forwarded or not) and files, cleaned before storage.

Files are downloaded through the Bot API into memory, checked against the size limit
(before downloading, from the size Telegram announces, and again after), and images are
rebuilt from their pixels in a worker thread. The Telegram ``file_id`` is used once, to
download, and never kept.

Forwarded messages are accepted as text only: the forward origin (who wrote it, which
chat it came from) is dropped, and a file inside a forward is refused, because forwarding
a file keeps Telegram's link to the original message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from telegram import Document, Message, PhotoSize
from telegram.error import TelegramError

from storage.attachments import Attachment, UnreadableImage, clean_attachment

__all__ = ["Incoming", "read_incoming", "refusal_text"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message of a reporter, reduced to what may be stored.

    Exactly one of ``text``/``attachment``/``problem`` matters: ``problem`` names why the
    message was refused (``"too_big"``, ``"forwarded_file"``, ``"unreadable"``,
    ``"unsupported"``), in which case nothing of it is kept.
    """

    text: str | None = None
    attachment: Attachment | None = None
    caption: str | None = None
    problem: str | None = None
    forwarded: bool = False


async def read_incoming(message: Message, max_file_bytes: int) -> Incoming:
    """Turn a message into text or a cleaned attachment (or a refusal)."""
    forwarded = message.forward_origin is not None
    has_file = bool(message.photo) or message.document is not None
    if forwarded:
        text = message.text or message.caption
        if has_file:
            return Incoming(problem="forwarded_file", forwarded=True)
        if text:
            return Incoming(text=text, forwarded=True)
        return Incoming(problem="unsupported", forwarded=True)
    if message.text:
        return Incoming(text=message.text)
    if not has_file:
        return Incoming(problem="unsupported")
    media: PhotoSize | Document
    mime: str | None
    if message.photo:
        media = message.photo[-1]  # the largest size Telegram made
        mime, extension = "image/jpeg", ".jpg"
    else:
        assert message.document is not None
        media = message.document
        mime = message.document.mime_type
        extension = PurePath(message.document.file_name or "").suffix.lower()
    if media.file_size is not None and media.file_size > max_file_bytes:
        return Incoming(problem="too_big")
    try:
        telegram_file = await media.get_file()
        if telegram_file.file_size is not None and telegram_file.file_size > max_file_bytes:
            return Incoming(problem="too_big")
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as error:
        logger.warning("A report attachment could not be downloaded (%s)", type(error).__name__)
        return Incoming(problem="unreadable")
    if len(data) > max_file_bytes:
        return Incoming(problem="too_big")
    try:
        attachment = await asyncio.to_thread(clean_attachment, data, mime, extension)
    except UnreadableImage:
        return Incoming(problem="unreadable")
    return Incoming(attachment=attachment, caption=message.caption)


def refusal_text(gettext: Callable[[str], str], problem: str, max_file_bytes: int) -> str:
    """Why a message was not added, in plain words (nothing of it was kept)."""
    _ = gettext
    if problem == "too_big":
        return _("That file is larger than {size} MB, so it was not added. Nothing of it was "
                 "kept. Please send a smaller file.").format(size=megabytes(max_file_bytes))
    if problem == "forwarded_file":
        return _("Forwarded files are not accepted, because a forward keeps a link to the "
                 "original message. Nothing of it was kept. Save the file and send it directly "
                 "instead.")
    if problem == "unreadable":
        return _("That file could not be read, so it was not added. Please try again or send "
                 "it in another format.")
    return _("Only text, photos and documents can be added.")


def megabytes(size: int) -> str:
    """A file size limit in megabytes, with decimals below 1 MB so it never reads "0"."""
    return f"{size / (1024 * 1024):.0f}" if size >= 1024 * 1024 else f"{size / (1024 * 1024):.2f}"
