"""Who may moderate, the one refusal everyone else gets, and the moderators' command menu.

Admins come from ``CONSULTBOT_ADMINS``; moderators are added by an admin (``/addmod``) and
stored in ``storage.moderators``. Anyone else who tries a moderator command gets exactly
one polite line, the same for every command, so probing the bot reveals nothing about what
exists or who moderates.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.context import BotContext, CommandScope, Services, Translator, services_of
from bot.report_workflow import is_moderator
from handlers.shared.commands import command_list
from storage.audit import moderator_actor

__all__ = [
    "audit",
    "clear_moderator_menu",
    "is_admin",
    "is_moderator",
    "moderator_command",
    "refuse",
    "require_moderator",
    "set_moderator_menu",
]

logger = logging.getLogger(__name__)


def is_admin(services: Services, user_id: int) -> bool:
    """Admins are the ids in ``CONSULTBOT_ADMINS``; only they add and remove moderators."""
    return user_id in services.settings.admins


async def refuse(update: Update, context: BotContext) -> None:
    """The one refusal line, identical for every moderator command (F's /reports too)."""
    chat = update.effective_chat
    if chat is None:
        return
    _ = (await context.translator(update)).gettext
    await context.bot.send_message(chat.id, _("Sorry, this command is for moderators."))


async def require_moderator(update: Update, context: BotContext) -> int | None:
    """The user id if the sender may moderate; otherwise refuse and return ``None``."""
    user = update.effective_user
    if user is None:
        return None
    if not await is_moderator(context.services, user.id):
        await refuse(update, context)
        return None
    return user.id


async def moderator_command(update: Update, context: BotContext,
                            ) -> tuple[int, int, Translator] | None:
    """Who sent a moderator command, in which chat, and their translator.

    Returns:
        ``(user id, chat id, translator)``; ``None`` for anyone who may not moderate (they
        got the one refusal) or an update without a chat, so the command only returns.
    """
    user_id = await require_moderator(update, context)
    chat = update.effective_chat
    if user_id is None or chat is None:
        return None
    return user_id, chat.id, await context.translator(update)


async def audit(context: BotContext, user_id: int, action: str, **details: object) -> None:
    """Record a moderator action under the moderator's audit pseudonym (never the raw id)."""
    storage = context.services.storage
    await storage.audit.append(moderator_actor(storage.secret, user_id), action, details)


def _language_codes(services: Services) -> list[tuple[str, str | None]]:
    default = services.translations.default_language
    return [(language, None if language == default else language)
            for language in services.translations.languages]


async def set_moderator_menu(application: Application[Any, Any, Any, Any, Any, Any],
                             user_id: int) -> None:
    """Show the moderator commands in this moderator's own chat, in every catalog language.

    A chat the bot has never talked to cannot be given a menu; that only costs the menu.
    """
    services = services_of(application)
    try:
        for language, code in _language_codes(services):
            translator = services.translations.translator(language)
            commands = [BotCommand(name, text) for scope in CommandScope
                        for name, text in command_list(services, translator, scope)]
            await application.bot.set_my_commands(
                commands, scope=BotCommandScopeChat(chat_id=user_id), language_code=code)
    except TelegramError as error:
        logger.info("Could not set a moderator's command menu (%s)", type(error).__name__)


async def clear_moderator_menu(application: Application[Any, Any, Any, Any, Any, Any],
                               user_id: int) -> None:
    """Remove the chat-scoped menu: the participant menu for all private chats shows again."""
    services = services_of(application)
    try:
        for _language, code in _language_codes(services):
            await application.bot.delete_my_commands(
                scope=BotCommandScopeChat(chat_id=user_id), language_code=code)
    except TelegramError as error:
        logger.info("Could not remove a moderator's command menu (%s)", type(error).__name__)
