"""/announce: a moderator writes a "you said, we did" update for a survey's subscribers.

Three steps, so nothing goes out by accident: ``/announce <id>``, then the moderator's next
message is the text, then a confirmation button queues it in the persistent outbox
(:mod:`handlers.participant.updates` delivers it). The draft lives in memory only; ``/cancel`` drops it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext, ConsultbotApplication
from handlers.moderation.access import audit, is_moderator, moderator_command
from handlers.participant.updates import deliver_soon
from handlers.shared.buttons import pack, pressed_button, refuse_button

__all__ = ["ANNOUNCE_GROUP", "MAX_ANNOUNCEMENT", "announce", "register"]

#: Handler group of the announcement text: before report replies (-3) and the survey (0).
ANNOUNCE_GROUP = -4
#: Telegram's message limit, minus room for the heading subscribers see.
MAX_ANNOUNCEMENT = 3500


@dataclass(slots=True)
class _Draft:
    survey_id: str
    number: int
    body: str | None = None


_DRAFTS: WeakKeyDictionary[Application[Any, Any, Any, Any, Any, Any], dict[int, _Draft]] = (
    WeakKeyDictionary()
)
_numbers = itertools.count(1)


def _drafts(context: BotContext) -> dict[int, _Draft]:
    return _DRAFTS.setdefault(context.application, {})


async def announce(update: Update, context: BotContext) -> None:
    """/announce <id>: ask for the update text."""
    command = await moderator_command(update, context)
    if command is None:
        return
    user_id, chat_id, tr = command
    _ = tr.gettext
    if not context.args or len(context.args) != 1:
        await context.bot.send_message(chat_id, _("Usage: /announce <survey id>"))
        return
    survey_id = context.args[0]
    storage = context.services.storage
    if not await storage.surveys.versions(survey_id):
        await context.bot.send_message(chat_id, _("There is no survey with the id {id}.").format(
            id=survey_id))
        return
    subscribers = await storage.subscriptions.count(survey_id)
    _drafts(context)[user_id] = _Draft(survey_id, next(_numbers))
    await context.bot.send_message(
        chat_id,
        _("{count} people asked for updates about {id}. Write the update now as one message "
          "(what was taken up, what happens next). You will see it before it is sent. "
          "/cancel stops.").format(count=subscribers, id=survey_id))


async def on_text(update: Update, context: BotContext) -> None:
    """The moderator's message after /announce becomes the draft; anyone else passes on."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return
    draft = _drafts(context).get(user.id)
    if draft is None or draft.body is not None:
        return
    if not await is_moderator(context.services, user.id):
        _drafts(context).pop(user.id, None)
        return
    _ = (await context.translator(update)).gettext
    body = message.text.strip()
    if not body or len(body) > MAX_ANNOUNCEMENT:
        await message.reply_text(_("Please keep the update under {limit} characters.").format(
            limit=MAX_ANNOUNCEMENT))
        raise ApplicationHandlerStop
    draft.body = body
    subscribers = await context.services.storage.subscriptions.count(draft.survey_id)
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton(_("Send to {count}").format(count=subscribers),
                             callback_data=pack(context.services, user.id, "an", "send",
                                                draft.number)),
        InlineKeyboardButton(_("Cancel"),
                             callback_data=pack(context.services, user.id, "an", "drop",
                                                draft.number)),
    ]])
    # The preview is plain text, exactly as subscribers will read it.
    await context.bot.send_message(
        message.chat_id, _("Preview of the update about {id}:").format(id=draft.survey_id)
        + "\n\n" + body, reply_markup=keyboard)
    raise ApplicationHandlerStop


async def on_button(update: Update, context: BotContext) -> None:
    """Send or drop the draft."""
    pressed = await pressed_button(update, context, 3)
    if pressed is None:
        return
    query, fields = pressed
    tr = await context.translator(update)
    _ = tr.gettext
    user_id = query.from_user.id
    draft = _drafts(context).get(user_id)
    if draft is None or draft.body is None or fields[2] != str(draft.number):
        await refuse_button(query, tr)
        return
    if not await is_moderator(context.services, user_id):
        await query.answer(_("Sorry, this command is for moderators."))
        return
    _drafts(context).pop(user_id, None)
    await query.edit_message_reply_markup(reply_markup=None)
    if fields[1] != "send":
        await query.answer(_("Not sent."))
        return
    announcement = await context.services.storage.outbox.announce(draft.survey_id, draft.body)
    await audit(context, user_id, "announce", survey_id=draft.survey_id,
                announcement=announcement.announcement_id, recipients=announcement.recipients)
    await query.answer(_("Queued."))
    await context.bot.send_message(
        user_id, _("The update is queued for {count} subscribers and goes out over the next "
                   "minutes.").format(count=announcement.recipients))
    deliver_soon(context.application)


async def on_cancel(update: Update, context: BotContext) -> None:
    """/cancel while writing an update; otherwise let the other features handle /cancel."""
    user = update.effective_user
    if user is None or _drafts(context).pop(user.id, None) is None:
        return
    _ = (await context.translator(update)).gettext
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, _("The update was not sent."))
    raise ApplicationHandlerStop


def register(application: ConsultbotApplication) -> None:
    """The text step and /cancel (group -4) and the confirmation buttons."""
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("cancel", on_cancel, filters=private),
                            group=ANNOUNCE_GROUP)
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text),
                            group=ANNOUNCE_GROUP)
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^an\|"))
