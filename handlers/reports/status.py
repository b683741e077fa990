"""/status <receipt>: a reporter reads the status and replies, and adds information.

Works from any Telegram account: the receipt code is the only key. The message carrying
the code is deleted from the chat where Telegram allows it. Every attempt costs one scrypt
whatever is typed, and wrong codes from one person are slowed down (in memory, by
pseudonym). The reporter's own earlier words are never shown back: whoever holds a code
sees the status and the moderators' replies, not the report.
"""

from __future__ import annotations

import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext, ConsultbotApplication, Translator
from bot.report_workflow import (
    files_text,
    report_settings,
    report_state,
    split_text,
    status_label,
)
from handlers.reports.draft import INPUT_FILTER, delete_quietly
from handlers.reports.files import megabytes, read_incoming, refusal_text
from handlers.shared.buttons import answer_chat, button_fields, pack
from handlers.shared.commands import add_command
from handlers.shared.render import send_long
from storage.errors import NotFound
from surveys.messages import N_

__all__ = ["FOLLOWUP_GROUP", "register"]

#: Handler group of follow-up input: before report drafts (-1) and the survey flow (0).
FOLLOWUP_GROUP = -2


def _keyboard(context: BotContext, tr: Translator, user_id: int) -> InlineKeyboardMarkup:
    _ = tr.gettext

    def button(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label,
                                    callback_data=pack(context.services, user_id, "rs", action))

    return InlineKeyboardMarkup([[button(_("Add information"), "add"), button(_("Done"), "done")]])


async def status(update: Update, context: BotContext) -> None:
    """/status CODE: check the code (slowly, constant time) and show the report's state."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    chat_id = message.chat.id
    if not context.args:
        await context.bot.send_message(chat_id, _(
            "Send /status followed by your receipt code, for example:\n"
            "/status XXXX-XXXX-XXXX-XXXX"))
        return
    await delete_quietly(context, chat_id, [message.message_id])  # the code leaves the chat
    services = context.services
    key = services.storage.secret.participant_key(user.id)
    state = report_state(context.application)
    wait = state.guesses.wait_seconds(key)
    if wait > 0:
        minutes = max(1, math.ceil(wait / 60))
        await context.bot.send_message(chat_id, tr.ngettext(
            "Too many wrong codes were tried from this account. Please wait {minutes} "
            "minute, then try again.",
            "Too many wrong codes were tried from this account. Please wait {minutes} "
            "minutes, then try again.", minutes).format(minutes=minutes))
        return
    report_id = await services.storage.reports.find_by_receipt(" ".join(context.args))
    if report_id is None:
        state.guesses.failed(key)
        await context.bot.send_message(chat_id, _(
            "No report matches this code. Please check it and try again."))
        return
    state.followups[key] = state.open_session(report_id)
    await _show(context, tr, report_id, chat_id, user.id)


async def _show(context: BotContext, tr: Translator, report_id: str, chat_id: int,
                user_id: int) -> None:
    _ = tr.gettext
    try:
        view = await context.services.storage.reports.reporter_view(report_id)
    except NotFound:
        await context.bot.send_message(chat_id, _("This report no longer exists."))
        return
    lines = [_(
        "Your report\n"
        "Status: {status}\nSent on: {filed}\nLast change: {updated}\n"
        "Added by you since: {messages}, {files}"
    ).format(status=status_label(tr, view.status.value), filed=view.filed_on.isoformat(),
             updated=view.updated_on.isoformat(),
             messages=tr.ngettext("{count} message", "{count} messages",
                                  view.followups).format(count=view.followups),
             files=files_text(tr, view.files))]
    if view.replies:
        lines.append(_("Replies from the moderators:"))
        for day, text in view.replies:
            lines.extend(split_text(f"{day.isoformat()}\n{text}"))
    else:
        lines.append(_("No reply from the moderators yet."))
    await send_long(context.bot, chat_id, lines, reply_markup=_keyboard(context, tr, user_id))


async def on_button(update: Update, context: BotContext) -> None:
    """"Add information" arms the next message as a follow-up; "Done" ends the session."""
    query, fields = button_fields(update, context)
    tr = await context.translator(update)
    _ = tr.gettext
    user_id = query.from_user.id
    chat_id = answer_chat(query)
    key = context.services.storage.secret.participant_key(user_id)
    state = report_state(context.application)
    session = state.session(state.followups, key)
    await query.answer()
    if fields is None or len(fields) != 2 or session is None:
        await context.bot.send_message(chat_id, _(
            "This has expired. Send /status with your receipt code again."))
        return
    if fields[1] == "add":
        session.adding = True
        settings = report_settings(context.services)
        await context.bot.send_message(chat_id, _(
            "Send your message, photo or document now (files up to {size} MB). It will be "
            "added to your report.").format(size=megabytes(settings.max_file_bytes)))
    elif fields[1] == "done":
        state.followups.pop(key, None)
        await context.bot.send_message(chat_id, _(
            "Done. To leave fewer traces, you can now delete this chat."))


async def on_message(update: Update, context: BotContext) -> None:
    """A follow-up after "Add information"; other messages are not ours."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    key = context.services.storage.secret.participant_key(user.id)
    state = report_state(context.application)
    session = state.session(state.followups, key)
    if session is None or not session.adding:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    chat_id = message.chat.id
    settings = report_settings(context.services)
    if not state.additions.allowed(key):
        await context.bot.send_message(chat_id, _(
            "You have added a lot in the last hour. Please wait a while and try again."))
        raise ApplicationHandlerStop
    incoming = await read_incoming(message, settings.max_file_bytes)
    if incoming.problem is not None:
        await context.bot.send_message(
            chat_id, refusal_text(tr.gettext, incoming.problem, settings.max_file_bytes))
        raise ApplicationHandlerStop
    text = incoming.text or incoming.caption
    if text and len(text) > settings.max_text:
        await context.bot.send_message(chat_id, _(
            "That message is longer than {limit} characters, so it was not added (nothing of "
            "it was kept). Please send it shorter.").format(limit=settings.max_text))
        raise ApplicationHandlerStop
    reports = context.services.storage.reports
    try:
        if incoming.attachment is not None:
            await reports.add_file(session.report_id, incoming.attachment)
        if text:
            await reports.add_followup(session.report_id, text)
    except NotFound:
        state.followups.pop(key, None)
        await context.bot.send_message(chat_id, _("This report no longer exists."))
        raise ApplicationHandlerStop from None
    state.additions.record(key)
    session.until = state.open_session(session.report_id).until
    note = _("Added to your report.")
    if incoming.forwarded:
        note = _("Added as text. Who wrote it and where it was forwarded from were not kept.")
    await context.bot.send_message(chat_id, note + " " + _("Send more, or press 'Done'."),
                                   reply_markup=_keyboard(context, tr, user.id))
    raise ApplicationHandlerStop


async def on_cancel(update: Update, context: BotContext) -> None:
    """/cancel while adding information ends the session."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    key = context.services.storage.secret.participant_key(user.id)
    if report_state(context.application).followups.pop(key, None) is None:
        return
    tr = await context.translator(update)
    await context.bot.send_message(chat.id, tr.gettext("Stopped. Nothing more was added."))
    raise ApplicationHandlerStop


def register(application: ConsultbotApplication) -> None:
    """/status, its buttons, and follow-up input (group -2)."""
    add_command(application, "status", N_("Check a report with its receipt code"))
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("status", status, filters=private))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^rs\|"))
    application.add_handler(CommandHandler("cancel", on_cancel, filters=private),
                            group=FOLLOWUP_GROUP)
    application.add_handler(MessageHandler(INPUT_FILTER, on_message), group=FOLLOWUP_GROUP)
