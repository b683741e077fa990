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
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, ConsultbotApplication, Translator
from bot.report_workflow import MAX_TEXT, max_file_bytes
from bot.sessions import ReportDraft, ReportFollowUp
from handlers.reports.draft import delete_quietly
from handlers.reports.files import megabytes, read_incoming, refusal_text
from handlers.reports.labels import files_text, split_text, status_label
from handlers.shared.button_data import ReportStatusAction, ReportStatusButton
from handlers.shared.buttons import answer_chat, button_data, read_press
from handlers.shared.commands import add_command
from handlers.shared.render import send_long
from handlers.shared.router import Router, cancel_saying
from storage.errors import NotFound
from surveys.messages import N_

__all__ = ["on_cancel", "on_message", "register"]

def _keyboard(context: BotContext, tr: Translator, user_id: int) -> InlineKeyboardMarkup:
    _ = tr.gettext

    def button(label: str, action: ReportStatusAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=button_data(
            context.services, user_id, ReportStatusButton(action)))

    return InlineKeyboardMarkup([[button(_("Add information"), ReportStatusAction.ADD),
                                  button(_("Done"), ReportStatusAction.DONE)]])


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
    guesses = services.report_limits.guesses
    wait = guesses.wait_seconds(key)
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
        guesses.failed(key)
        await context.bot.send_message(chat_id, _(
            "No report matches this code. Please check it and try again."))
        return
    session = services.session(user.id)
    if isinstance(session.dialog, ReportDraft):
        await delete_quietly(context, chat_id, session.dialog.prompts)
    session.open(ReportFollowUp(report_id))
    # The code derives the report's own key, which opens replies sealed to the reporter;
    # it is used for this one view and not kept in the session.
    await _show(context, tr, report_id, chat_id, user.id, receipt=" ".join(context.args))


async def _show(context: BotContext, tr: Translator, report_id: str, chat_id: int,
                user_id: int, *, receipt: str | None = None) -> None:
    _ = tr.gettext
    try:
        view = await context.services.storage.reports.reporter_view(report_id, receipt)
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
    elif not view.sealed_replies:
        lines.append(_("No reply from the moderators yet."))
    if view.sealed_replies:
        lines.append(tr.ngettext(
            "{count} reply is sealed to your receipt code: send /status with your code to "
            "read it.",
            "{count} replies are sealed to your receipt code: send /status with your code to "
            "read them.", view.sealed_replies).format(count=view.sealed_replies))
    await send_long(context.bot, chat_id, lines, reply_markup=_keyboard(context, tr, user_id))


async def on_button(update: Update, context: BotContext) -> None:
    """"Add information" arms the next message as a follow-up; "Done" ends the session."""
    query, button = read_press(update, context, ReportStatusButton)
    tr = await context.translator(update)
    _ = tr.gettext
    user_id = query.from_user.id
    chat_id = answer_chat(query)
    session = context.services.dialog(user_id, ReportFollowUp)
    await query.answer()
    if button is None or session is None:
        await context.bot.send_message(chat_id, _(
            "This has expired. Send /status with your receipt code again."))
        return
    if button.action is ReportStatusAction.ADD:
        session.adding = True
        limit = max_file_bytes(context.services.settings)
        await context.bot.send_message(chat_id, _(
            "Send your message, photo or document now (files up to {size} MB). It will be "
            "added to your report.").format(size=megabytes(limit)))
    elif button.action is ReportStatusAction.DONE:
        context.services.session(user_id).close()
        await context.bot.send_message(chat_id, _(
            "Done. To leave fewer traces, you can now delete this chat."))


async def on_message(update: Update, context: BotContext) -> None:
    """A message or file after /status (the owner of the report-status mode).

    Added to the report after "Add information"; before that, the buttons come first.
    """
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = context.services
    session = services.dialog(user.id, ReportFollowUp)
    if session is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    chat_id = message.chat.id
    if not session.adding:
        await context.bot.send_message(chat_id, _("Please use the buttons above first."))
        return
    key = services.session_key(user.id)
    additions = services.report_limits.additions
    if not additions.allowed(key):
        await context.bot.send_message(chat_id, _(
            "You have added a lot in the last hour. Please wait a while and try again."))
        return
    limit = max_file_bytes(services.settings)
    incoming = await read_incoming(message, limit)
    if incoming.problem is not None:
        await context.bot.send_message(chat_id, refusal_text(tr.gettext, incoming.problem, limit))
        return
    text = incoming.text or incoming.caption
    if text and len(text) > MAX_TEXT:
        await context.bot.send_message(chat_id, _(
            "That message is longer than {limit} characters, so it was not added (nothing of "
            "it was kept). Please send it shorter.").format(limit=MAX_TEXT))
        return
    reports = services.storage.reports
    try:
        if incoming.attachment is not None:
            await reports.add_file(session.report_id, incoming.attachment)
        if text:
            await reports.add_followup(session.report_id, text)
    except NotFound:
        services.session(user.id).close()
        await context.bot.send_message(chat_id, _("This report no longer exists."))
        return
    additions.record(key)
    note = _("Added to your report.")
    if incoming.forwarded:
        note = _("Added as text. Who wrote it and where it was forwarded from were not kept.")
    await context.bot.send_message(chat_id, note + " " + _("Send more, or press 'Done'."),
                                   reply_markup=_keyboard(context, tr, user.id))


#: /cancel after /status: the session ends, follow-ups already added stay.
on_cancel = cancel_saying(N_("Stopped. Nothing more was added."))


def register(application: ConsultbotApplication, router: Router) -> None:
    """/status and its buttons; follow-ups come through the router."""
    add_command(application, "status", N_("Check a report with its receipt code"))
    application.add_handler(CommandHandler("status", status, filters=filters.ChatType.PRIVATE))
    router.own_buttons(ReportStatusButton, on_button)
