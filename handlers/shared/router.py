"""The one router: every private message, file and button press goes to one owner.

What a typed message means depends on what the person is doing, and exactly one feature
decides it: the owner of their session's :class:`bot.sessions.InputMode`
(ARCHITECTURE.md, "Input routing"). Features declare what they own in their
``register(application, router)``; :meth:`Router.install` then adds just three handlers to
python-telegram-bot: one for messages (text, photos, documents), one for button presses,
and ``/cancel``. No handler groups compete for the same update.

Buttons carry their feature in their data (the codec of :mod:`handlers.shared.buttons`),
so a press goes to the feature that made the button; that feature checks the button is
still current for the person's session. A button no feature claims gets the one polite
refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BotContext, services_of
from bot.sessions import InputMode
from handlers.shared.button_data import ButtonData
from handlers.shared.buttons import button_kind, refuse_button
from handlers.shared.commands import add_command
from surveys.messages import N_

__all__ = ["INPUT_FILTER", "Callback", "ModeOwner", "Router", "cancel_saying"]

logger = logging.getLogger(__name__)

#: An update handler of a feature.
Callback = Callable[[Update, BotContext], Awaitable[None]]

#: Every message a person can send the bot in a private chat, commands aside.
INPUT_FILTER = filters.ChatType.PRIVATE & (
    (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL
)


@dataclass(frozen=True, slots=True)
class ModeOwner:
    """What one input mode does with a typed message, a file, and ``/cancel``.

    Attributes:
        text: A typed message (not a command).
        file: A photo or a document (with or without caption).
        cancel: ``/cancel``: end the mode and say what cancelling meant.
    """

    text: Callback
    file: Callback
    cancel: Callback


def cancel_saying(message: str) -> Callback:
    """A ``cancel`` for a mode with nothing stored to undo: end the session, say ``message``.

    Most dialogs keep what was typed only in the session, so ending the session is the
    whole of cancelling; what differs is the sentence saying what was dropped. ``message``
    is marked with ``N_`` by the caller and translated for the person who cancelled.
    """

    async def cancel(update: Update, context: BotContext) -> None:
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        context.services.session(user.id).close()
        tr = await context.translator(update)
        await context.bot.send_message(chat.id, tr.gettext(message))

    return cancel


class Router:
    """The owners of the input modes and of the button kinds (see module doc)."""

    __slots__ = ("_buttons", "_modes")

    def __init__(self) -> None:
        self._modes: dict[InputMode, ModeOwner] = {}
        self._buttons: dict[str, Callback] = {}

    def own_mode(self, mode: InputMode, owner: ModeOwner) -> None:
        """Declare the one owner of ``mode``.

        Raises:
            ValueError: Another feature already owns it.
        """
        if mode in self._modes:
            raise ValueError(f"input mode {mode} has an owner already")
        self._modes[mode] = owner

    def own_buttons(self, record: type[ButtonData], callback: Callback) -> None:
        """Declare the one feature that handles the buttons of ``record``'s kind.

        Raises:
            ValueError: Another feature already handles them.
        """
        if record.kind in self._buttons:
            raise ValueError(f"button kind {record.kind!r} has an owner already")
        self._buttons[record.kind] = callback

    def owner_of(self, mode: InputMode) -> ModeOwner:
        """The owner of ``mode``."""
        return self._modes[mode]

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the three handlers; every input mode must have its owner by now.

        Raises:
            ValueError: An input mode has no owner.
        """
        missing = [mode for mode in InputMode if mode not in self._modes]
        if missing:
            raise ValueError(f"input modes without an owner: {missing}")
        add_command(application, "cancel", N_("Stop what you are doing (a survey, a report…)"))
        application.add_handler(CommandHandler("cancel", self.on_cancel,
                                               filters=filters.ChatType.PRIVATE))
        application.add_handler(MessageHandler(INPUT_FILTER, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_button))

    async def _mode(self, update: Update, context: BotContext) -> InputMode:
        user = update.effective_user
        if user is None:
            return InputMode.IDLE
        return context.services.session(user.id).mode

    async def on_message(self, update: Update, context: BotContext) -> None:
        """A typed message, photo or document: to the owner of the sender's mode."""
        message = update.effective_message
        if message is None:
            return
        owner = self._modes[await self._mode(update, context)]
        if message.photo or message.document is not None:
            await owner.file(update, context)
        else:
            await owner.text(update, context)

    async def on_cancel(self, update: Update, context: BotContext) -> None:
        """/cancel: the owner of the sender's mode ends it."""
        await self._modes[await self._mode(update, context)].cancel(update, context)

    async def on_button(self, update: Update, context: BotContext) -> None:
        """A button press: to the feature that made the button, else the one refusal."""
        query = update.callback_query
        if query is None:
            return
        services_of(context.application).session(query.from_user.id)  # the press counts as use
        callback = self._buttons.get(button_kind(query.data))
        if callback is None:
            await refuse_button(query, await context.translator(update))
            return
        await callback(update, context)
