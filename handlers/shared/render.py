"""Small helpers shared by the participant-facing handlers.

Kept here so each feature module reads as parse → call → render, without repeating how
to tidy an old message or how to fit a long text into Telegram's 4096-character limit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden

from surveys.model import Survey

__all__ = [
    "MESSAGE_LIMIT",
    "chunk_lines",
    "clip",
    "edit_text_quietly",
    "remove_keyboard_quietly",
    "send_long",
    "survey_language",
]

logger = logging.getLogger(__name__)

#: Telegram's limit is 4096 characters; leave room for a header.
MESSAGE_LIMIT = 4000


def survey_language(survey: Survey, wishes: Sequence[str]) -> str:
    """The language to show a survey's labels in: the first wish it offers, else its default.

    Bot text and survey content are negotiated separately: a survey may offer a language
    the bot has no catalog for yet, and the other way round.
    """
    offered = {language.lower(): language for language in survey.languages}
    for wish in wishes:
        if wish.lower() in offered:
            return offered[wish.lower()]
    return survey.default_language


def clip(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for review lines."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def chunk_lines(lines: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines with blank lines into as few messages as fit the limit."""
    chunks: list[str] = []
    current = ""
    for text in lines:
        line = clip(text, limit)
        candidate = f"{current}\n\n{line}" if current else line
        if len(candidate) > limit and current:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


async def send_long(bot: Bot, chat_id: int, lines: Iterable[str],
                    reply_markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Send ``lines`` in as few messages as fit; the keyboard goes on the last one."""
    chunks = chunk_lines(lines)
    message = None
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        message = await bot.send_message(chat_id, chunk, reply_markup=reply_markup if last else None)
    return message


async def edit_text_quietly(bot: Bot, chat_id: int, message_id: int, text: str,
                            reply_markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit a message; an edit that Telegram refuses (too old, unchanged) is not an error.

    Edits only tidy the chat. The state that matters is already committed when they run.
    """
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id,
                                    reply_markup=reply_markup)
    except (BadRequest, Forbidden) as error:
        logger.debug("Edit refused: %s", type(error).__name__)


async def remove_keyboard_quietly(bot: Bot, chat_id: int, message_id: int) -> None:
    """Remove the buttons of an old message, ignoring Telegram's refusal."""
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id,
                                            reply_markup=None)
    except (BadRequest, Forbidden) as error:
        logger.debug("Keyboard removal refused: %s", type(error).__name__)
