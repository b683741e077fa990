"""Last-resort handlers, registered after every feature.

A button whose data matches no feature (forged, or from a feature that no longer exists)
still gets an answer, so the participant's button stops spinning and they learn why.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import BotContext, ConsultbotApplication
from handlers.shared.buttons import refuse_button

__all__ = ["register"]


async def unknown_button(update: Update, context: BotContext) -> None:
    """Any button no feature claimed."""
    query = update.callback_query
    assert query is not None
    await refuse_button(query, await context.translator(update))


def register(application: ConsultbotApplication) -> None:
    """Must be the last registration: it claims every remaining button press."""
    application.add_handler(CallbackQueryHandler(unknown_button))
