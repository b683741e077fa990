"""A photo or document sent where no dialog asked for one.

Only a report (draft or follow-up) takes files, and a moderator's survey upload; anywhere
else the file is neither downloaded nor kept, and the sender is told so, in the same words
whatever their mode.
"""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext

__all__ = ["file_not_taken"]


async def file_not_taken(update: Update, context: BotContext) -> None:
    """Say that the file was not kept, and where files are taken."""
    chat = update.effective_chat
    if chat is None:
        return
    _ = (await context.translator(update)).gettext
    await context.bot.send_message(chat.id, _(
        "Photos and files are only taken with a report (/report). Nothing of this one was "
        "kept."))
