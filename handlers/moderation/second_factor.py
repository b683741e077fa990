"""/2fa: a moderator sets up their second factor, types a code, or an admin resets one.

``/2fa`` alone starts the enrolment: the bot sends a QR code (and the secret, for typing by
hand) to scan with an authenticator app. ``/2fa 123456`` confirms it, and afterwards opens
a fresh window of ``moderator_2fa_fresh_minutes`` for the actions that need it. The bot
deletes the enrolment message once the factor is confirmed, and the message holding the
code right away, so neither stays in the chat history. ``/2fa reset <user id>`` (admins,
with their own fresh code) erases someone's factor, e.g. after a lost phone.
"""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.moderation_access import AccessDenied, Permission, SecondFactorNeeded, require
from bot.second_factor import CodeCheck, check_code, has_factor, qr_png, reset, start_enrolment
from handlers.moderation.access import (
    ModeratorCommand,
    ask_for_code,
    audit,
    end_moderator_session,
    moderator_only,
    refuse,
)
from storage.audit import moderator_actor

__all__ = ["second_factor"]

logger = logging.getLogger(__name__)


async def _delete(context: BotContext, chat_id: int, message_id: int) -> None:
    try:
        await context.bot.delete_message(chat_id, message_id)
    except TelegramError as error:
        logger.info("A second-factor message could not be deleted (%s)", type(error).__name__)


@moderator_only(None)
async def second_factor(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/2fa, /2fa <code>, /2fa reset <user id>."""
    args = list(context.args or [])
    if len(args) == 2 and args[0].lower() == "reset":
        await _reset(update, context, command, args[1])
    elif len(args) == 1:
        message = update.effective_message
        if message is not None:
            await _delete(context, command.chat_id, message.message_id)
        await _check(context, command, args[0])
    elif not args:
        await _enrol(context, command)
    else:
        await context.bot.send_message(command.chat_id, command.tr.gettext(
            "Usage: /2fa to set up your second factor, /2fa <code> to confirm it is you."))


async def _enrol(context: BotContext, command: ModeratorCommand) -> None:
    _ = command.tr.gettext
    services = context.services
    if await has_factor(services, command.user_id):
        await context.bot.send_message(command.chat_id, _(
            "Your second factor is set up. Send /2fa followed by the 6-digit code from your "
            "authenticator app when an action asks for it. If you lost it, ask an admin to "
            "reset it."))
        return
    actor = moderator_actor(services.storage.secret, command.user_id)
    earlier = services.fresh_codes.enrolment_messages.pop(actor, None)
    if earlier is not None:  # an enrolment started over: its key is void, and so its message
        await _delete(context, *earlier)
    enrolment = await start_enrolment(services, command.user_id)
    caption = _("Scan this code with an authenticator app (for example Aegis, FreeOTP or "
                "Google Authenticator), or type this key: {secret}\n"
                "Then send /2fa followed by the 6-digit code the app shows. This message "
                "will be deleted.").format(secret=enrolment.secret)
    sent = await context.bot.send_photo(
        command.chat_id, InputFile(qr_png(enrolment.uri), filename="2fa.png"), caption=caption)
    services.fresh_codes.enrolment_messages[actor] = (command.chat_id, sent.message_id)
    await audit(context, command.user_id, "2fa.enrol.start")


async def _check(context: BotContext, command: ModeratorCommand, code: str) -> None:
    _ = command.tr.gettext
    services = context.services
    result = await check_code(services, command.user_id, code)
    minutes = services.settings.moderator_2fa_fresh_minutes
    if result is CodeCheck.CONFIRMED:
        actor = moderator_actor(services.storage.secret, command.user_id)
        pending = services.fresh_codes.enrolment_messages.pop(actor, None)
        if pending is not None:
            await _delete(context, *pending)
        await audit(context, command.user_id, "2fa.enrol")
        text = _("Your second factor is set up. For the next {minutes} minutes you can open "
                 "reports and make the changes that need it.").format(minutes=minutes)
    elif result is CodeCheck.ACCEPTED:
        await audit(context, command.user_id, "2fa.verify")
        text = _("Code accepted. For the next {minutes} minutes you can open reports and make "
                 "the changes that need it.").format(minutes=minutes)
    elif result is CodeCheck.NOT_ENROLLED:
        text = _("You have no second factor yet. Send /2fa to set one up.")
    elif result is CodeCheck.LOCKED:
        text = _("Too many wrong codes. Wait 15 minutes, then try again.")
    else:
        await audit(context, command.user_id, "2fa.failed")
        text = _("That code is not right (or was already used). Check the time on your phone "
                 "and send the current code.")
    await context.bot.send_message(command.chat_id, text)


async def _reset(update: Update, context: BotContext, command: ModeratorCommand,
                 target_text: str) -> None:
    _ = command.tr.gettext
    services = context.services
    try:
        await require(services, command.user_id, Permission.MANAGE_MODERATORS, fresh_2fa=True)
    except AccessDenied:
        await refuse(update, context)
        return
    except SecondFactorNeeded as needed:
        await ask_for_code(context, command.chat_id, command.tr, needed)
        return
    try:
        target = int(target_text)
    except ValueError:
        await context.bot.send_message(command.chat_id, _("Usage: /2fa reset <user id>"))
        return
    erased = await reset(services, target)
    end_moderator_session(services, target)
    if erased:
        await audit(context, command.user_id, "2fa.reset",
                    moderator=moderator_actor(services.storage.secret, target))
        text = _("The second factor of {id} is erased; they set up a new one with /2fa.")
    else:
        text = _("{id} has no second factor.")
    await context.bot.send_message(command.chat_id, text.format(id=target))
