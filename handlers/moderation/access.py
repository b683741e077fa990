"""Who may moderate, the one refusal everyone else gets, and the moderators' command menu.

Every moderator command is wrapped in :func:`moderator_only`, which asks
``bot.moderation_access.require`` for the permission the command needs (and a fresh
second factor where it exposes content or changes who moderates), the way GlobaLeaks wraps
each API handler in a role check. Anyone without the role, moderators of another role
included, gets exactly one polite line, the same for every command, so probing the bot
reveals nothing about what exists or who moderates.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.context import BotContext, CommandScope, Services, Translator, services_of
from bot.moderation_access import (
    AccessDenied,
    Grant,
    Permission,
    Role,
    SecondFactorNeeded,
    grant_of,
    require,
)
from bot.report_workflow import is_moderator
from handlers.shared.commands import command_list
from storage.audit import moderator_actor
from surveys.messages import N_

__all__ = [
    "MENU_PERMISSIONS",
    "REFUSAL",
    "ModeratorCommand",
    "ask_for_code",
    "audit",
    "clear_moderator_menu",
    "end_moderator_session",
    "is_admin",
    "is_moderator",
    "moderator_only",
    "refuse",
    "set_moderator_menu",
]

logger = logging.getLogger(__name__)

#: The text of the one refusal (translated when sent).
REFUSAL = N_("Sorry, this command is for moderators.")


async def is_admin(services: Services, user_id: int) -> bool:
    """Admins are the ids in ``CONSULTBOT_ADMINS`` and moderators with the admin role."""
    grant = await grant_of(services, user_id)
    return grant is not None and grant.role is Role.ADMIN


async def refuse(update: Update, context: BotContext) -> None:
    """The one refusal line, identical for every moderator command and every outsider."""
    chat = update.effective_chat
    if chat is None:
        return
    _ = (await context.translator(update)).gettext
    await context.bot.send_message(chat.id, _(REFUSAL))


async def ask_for_code(context: BotContext, chat_id: int, tr: Translator,
                       needed: SecondFactorNeeded) -> None:
    """Tell a moderator this action needs a fresh second-factor code (or an enrolment)."""
    _ = tr.gettext
    if needed.enrolled:
        text = _("This needs a fresh code from your authenticator app. Send /2fa followed by "
                 "the 6-digit code, then try again.")
    else:
        text = _("This needs a second factor. Set one up with /2fa, then try again.")
    await context.bot.send_message(chat_id, text)


@dataclass(frozen=True, slots=True)
class ModeratorCommand:
    """Who sent a moderator command (with their role), in which chat, and their translator."""

    grant: Grant
    chat_id: int
    tr: Translator

    @property
    def user_id(self) -> int:
        """The moderator's Telegram id."""
        return self.grant.user_id


#: A moderator command's body, called only once the role check passed.
ModeratorCallback = Callable[[Update, BotContext, ModeratorCommand], Awaitable[None]]


#: What python-telegram-bot calls.
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def moderator_only(permission: Permission | None, *, fresh_2fa: bool = False,
                   ) -> Callable[[ModeratorCallback], Callback]:
    """Wrap a command so it runs only for moderators whose role has ``permission``.

    ``None`` lets any moderator in (e.g. ``/2fa``, which every role needs).

    Everyone else gets :func:`refuse`; with ``fresh_2fa`` a moderator without a recent
    code is asked for one and the command does not run.
    """

    def wrap(callback: ModeratorCallback) -> Callback:
        @functools.wraps(callback)
        async def guarded(update: Update, context: BotContext) -> None:
            user, chat = update.effective_user, update.effective_chat
            if user is None or chat is None:
                return
            try:
                grant = await require(context.services, user.id, permission,
                                      fresh_2fa=fresh_2fa)
            except AccessDenied:
                await refuse(update, context)
                return
            except SecondFactorNeeded as needed:
                await ask_for_code(context, chat.id, await context.translator(update), needed)
                return
            await callback(update, context,
                           ModeratorCommand(grant, chat.id, await context.translator(update)))

        return guarded

    return wrap


def end_moderator_session(services: Services, user_id: int) -> None:
    """A moderator was removed, demoted or reset: drop their dialogs and fresh code now."""
    services.sessions.drop(services.session_key(user_id))
    services.fresh_codes.forget(moderator_actor(services.storage.secret, user_id))


async def audit(context: BotContext, user_id: int, action: str, **details: object) -> None:
    """Record a moderator action under the moderator's audit pseudonym (never the raw id)."""
    storage = context.services.storage
    await storage.audit.append(moderator_actor(storage.secret, user_id), action, details)


def _language_codes(services: Services) -> list[tuple[str, str | None]]:
    default = services.translations.default_language
    return [(language, None if language == default else language)
            for language in services.translations.languages]


#: The permission behind each moderator command, so a menu shows only what the role may use.
MENU_PERMISSIONS: dict[str, Permission] = {
    "summary": Permission.READ_RESULTS, "export": Permission.READ_RESULTS,
    "publish": Permission.MANAGE_SURVEYS, "close": Permission.MANAGE_SURVEYS,
    "announce": Permission.MANAGE_SURVEYS, "reports": Permission.HANDLE_REPORTS,
    "mods": Permission.MANAGE_MODERATORS, "addmod": Permission.MANAGE_MODERATORS,
    "delmod": Permission.MANAGE_MODERATORS, "audit": Permission.READ_AUDIT,
}


def _in_menu(grant: Grant, name: str) -> bool:
    permission = MENU_PERMISSIONS.get(name)
    return permission is None or grant.allows(permission)


async def set_moderator_menu(application: Application[Any, Any, Any, Any, Any, Any],
                             user_id: int) -> None:
    """Show the commands of this moderator's role in their own chat, in every language.

    A chat the bot has never talked to cannot be given a menu; that only costs the menu.
    """
    services = services_of(application)
    grant = await grant_of(services, user_id)
    try:
        for language, code in _language_codes(services):
            translator = services.translations.translator(language)
            commands = [BotCommand(name, text) for scope in CommandScope
                        for name, text in command_list(services, translator, scope)
                        if grant is not None and _in_menu(grant, name)]
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
