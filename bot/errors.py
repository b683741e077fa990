"""The error handler: log where it broke, never what the user wrote; apologise politely.

Popular bot code logs or forwards ``update.to_dict()`` when something fails. Here that would
put a whistleblower's words, or a participant's answers and Telegram id, into a log file.
So the log gets the exception *type* and the chain of code locations (file, line,
function) only; the exception message is left out too, since it may quote user input.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import CallbackContext

from bot.context import BotContext

__all__ = ["describe_error", "error_handler"]

logger = logging.getLogger("consultbot.errors")

#: Only our own frames are worth naming; library internals are the same every time.
_OUR_PACKAGES = ("handlers", "bot", "surveys", "storage")


def describe_error(error: BaseException) -> str:
    """``TypeName at module:function:line <- …`` for the frames in consultbot's code.

    Contains no exception message, no arguments and no local variables.
    """
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__)
        if any(f"/{package}/" in frame.filename for package in _OUR_PACKAGES)
    ]
    where = " <- ".join(
        f"{_module_of(frame.filename)}:{frame.name}:{frame.lineno}" for frame in reversed(frames)
    )
    return f"{type(error).__name__} at {where}" if where else type(error).__name__


def _module_of(filename: str) -> str:
    parts = filename.replace("\\", "/").rsplit("/", 2)
    return "/".join(parts[-2:])


async def error_handler(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Log the failure without payloads and tell the user, in their language, to retry."""
    error = context.error
    if error is None:
        return
    if isinstance(error, (NetworkError, Forbidden)) and not isinstance(update, Update):
        # Polling hiccups and blocked chats are routine; ptb retries on its own.
        logger.warning("Telegram connection problem: %s", type(error).__name__)
        return
    logger.error("Error while handling an update: %s", describe_error(error))
    if not isinstance(update, Update):
        return
    try:
        text = "Sorry, something went wrong on our side. Please try again in a moment."
        if isinstance(context, BotContext):
            _ = (await context.translator(update)).gettext
            text = _("Sorry, something went wrong on our side. Please try again in a moment.")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=False)
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except (TelegramError, RuntimeError) as follow_up:
        logger.warning("Could not tell the user about the error: %s", type(follow_up).__name__)
