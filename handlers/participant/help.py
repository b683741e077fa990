"""/help: the commands this person can use, in their language.

Built from the same list as Telegram's command menu (:mod:`handlers.shared.commands`), so the
two never disagree.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, CommandScope, ConsultbotApplication
from bot.report_workflow import is_moderator
from handlers.shared.commands import add_command, command_list
from surveys.messages import N_

__all__ = ["register"]


async def help_command(update: Update, context: BotContext) -> None:
    """/help: participant commands, plus moderator commands for moderators and admins."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    services = context.services
    lines = [_("What you can do here:")]
    lines += [f"/{name} \N{EN DASH} {text}" for name, text in
              command_list(services, tr, CommandScope.PARTICIPANT)]
    if await is_moderator(services, user.id):
        moderator = command_list(services, tr, CommandScope.MODERATOR)
        if moderator:
            lines.append("")
            lines.append(_("For moderators:"))
            lines += [f"/{name} \N{EN DASH} {text}" for name, text in moderator]
    await context.bot.send_message(chat.id, "\n".join(lines))


def register(application: ConsultbotApplication) -> None:
    """/help."""
    add_command(application, "help", N_("What this bot can do"))
    application.add_handler(CommandHandler("help", help_command, filters=filters.ChatType.PRIVATE))
