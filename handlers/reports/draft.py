"""/report: file an anonymous concern, step by step.

warning (what is stored, what Telegram sees, how to leave fewer traces) → category →
description (several messages, photos, documents) → review → send → the receipt code,
shown once. The bot then deletes its own prompts of the flow, which hold the reporter's
words in the review.

The draft lives in memory under the reporter's pseudonym (see ``bot.report_workflow``);
nothing is written to the database before "Send", and then everything in one transaction.
Filing is deliberately neither logged nor audited: a log line's timestamp would record the
moment of filing, which the stored day-only dates are meant to hide, and moderators hear of
new reports only through the digest.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, ConsultbotApplication, Translator
from bot.report_workflow import (
    MAX_FILES,
    MAX_TEXT,
    TooManyReports,
    categories,
    file_draft,
    max_file_bytes,
)
from bot.sessions import DraftStage, ReportDraft
from handlers.reports.files import megabytes, read_incoming, refusal_text
from handlers.reports.labels import category_label, files_text
from handlers.shared.button_data import ReportDraftAction, ReportDraftButton
from handlers.shared.buttons import button_data, pressed
from handlers.shared.commands import add_command
from handlers.shared.render import clip
from handlers.shared.router import Router
from storage.receipts import format_receipt
from surveys.messages import N_

__all__ = ["delete_quietly", "on_cancel", "on_message", "register"]

logger = logging.getLogger(__name__)

async def delete_quietly(context: BotContext, chat_id: int, message_ids: list[int]) -> None:
    """Delete messages where Telegram allows it; a refusal only leaves a trace in the chat."""
    for message_id in message_ids:
        try:
            await context.bot.delete_message(chat_id, message_id)
        except TelegramError as error:
            logger.debug("Could not delete a flow message (%s)", type(error).__name__)


def _button(context: BotContext, user_id: int, label: str, action: ReportDraftAction,
            category: int | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=button_data(
        context.services, user_id, ReportDraftButton(action, category)))


def warning_text(tr: Translator, sealed: bool, channels: tuple[str, ...]) -> str:
    """The plain-words warning shown before anything else."""
    _ = tr.gettext
    kept = (_("Only the moderators can read it, with a key that is not on the server.")
            if sealed else
            _("It is encrypted on the server; the moderators of this forum can read it."))
    text = _(
        "Before you report, please read this.\n\n"
        "What this bot keeps: your report, its files and later messages, encrypted. {kept} "
        "It does not keep your name, username, Telegram id or phone number, and it keeps "
        "only the date, not the time.\n\n"
        "What Telegram can see: Telegram knows that your account talks to this bot and when. "
        "This chat stays on Telegram's servers and on your device until you delete it. The "
        "bot cannot hide that.\n\n"
        "How to leave fewer traces:\n"
        "• When you are done, delete this chat (and tick 'also delete for the bot').\n"
        "• If you can, use a Telegram account that is not linked to your work phone.\n"
        "• Do not write details that only you could know, unless they are needed.\n"
        "• Photos are cleaned of location and camera data. Other files (PDF, Word, "
        "spreadsheets, videos) may contain your name in their properties: remove it first, or "
        "send a photo of the document instead.\n\n"
        "At the end you get a receipt code. It is the only way back to your report, to read "
        "replies and add information."
    ).format(kept=kept)
    if channels:
        text += "\n\n" + _(
            "If you are in danger or at high risk, these channels may protect you better:"
        ) + "\n" + "\n".join(f"• {channel}" for channel in channels)
    return text


async def start_report(update: Update, context: BotContext) -> None:
    """/report: drop any old draft, show the warning."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    services = context.services
    session = services.session(user.id)
    old = session.dialog
    if isinstance(old, ReportDraft):
        await delete_quietly(context, chat.id, old.prompts)
    draft = ReportDraft()
    session.open(draft)
    keyboard = InlineKeyboardMarkup([[
        _button(context, user.id, _("I understand, continue"), ReportDraftAction.CONTINUE),
        _button(context, user.id, _("Cancel"), ReportDraftAction.CANCEL),
    ]])
    text = warning_text(tr, services.storage.reports.sealed, services.settings.report_channels)
    sent = await context.bot.send_message(chat.id, text, reply_markup=keyboard)
    draft.prompts.append(sent.message_id)


async def _prompt(context: BotContext, draft: ReportDraft, chat_id: int, text: str,
                  keyboard: InlineKeyboardMarkup | None = None) -> Message:
    sent = await context.bot.send_message(chat_id, text, reply_markup=keyboard)
    draft.prompts.append(sent.message_id)
    return sent


async def on_button(update: Update, context: BotContext) -> None:
    """Every button of the flow: continue, category, review, add more, send, cancel."""
    press = await pressed(update, context, ReportDraftButton)
    if press is None:
        return
    query, button, tr = press
    _ = tr.gettext
    user_id, chat_id = press.user_id, press.chat_id
    action = button.action
    if action is ReportDraftAction.RECEIPT_NOTED:  # the receipt message: the reporter wrote the code down
        await query.answer()
        await delete_quietly(context, chat_id, [query.message.message_id] if query.message else [])
        return
    draft = context.services.dialog(user_id, ReportDraft)
    if draft is None:
        await query.answer()
        await context.bot.send_message(chat_id, _(
            "This report draft is no longer here (it expired, or the bot restarted: drafts "
            "are never saved to disk). Please start again with /report."))
        return
    await query.answer()
    config = context.services.settings
    offered = categories(config)
    if action is ReportDraftAction.CANCEL:
        context.services.session(user_id).close()
        await delete_quietly(context, chat_id, draft.prompts)
        await context.bot.send_message(chat_id, _("Cancelled. Nothing was stored."))
    elif action is ReportDraftAction.CONTINUE:
        rows = [[_button(context, user_id, category_label(tr, category),
                         ReportDraftAction.CATEGORY, index)]
                for index, category in enumerate(offered)]
        rows.append([_button(context, user_id, _("Cancel"), ReportDraftAction.CANCEL)])
        draft.stage = DraftStage.CATEGORY
        await _prompt(context, draft, chat_id, _("What is your concern about?"),
                      InlineKeyboardMarkup(rows))
    elif action is ReportDraftAction.CATEGORY and button.category is not None:
        index = button.category
        if index >= len(offered):
            return
        draft.category = offered[index]
        draft.stage = DraftStage.DESCRIBING
        await _prompt(context, draft, chat_id, _(
            "Describe what happened, in your own words: what, where, when (a date or a "
            "period is enough) and who was involved. You can send several messages, and "
            "photos or documents (up to {files} files, {size} MB each). Press 'Review' when "
            "you are done."
        ).format(files=MAX_FILES, size=megabytes(max_file_bytes(config))),
            _describe_keyboard(context, tr, user_id))
    elif action is ReportDraftAction.REVIEW:
        await _show_review(context, tr, draft, chat_id, user_id)
    elif action is ReportDraftAction.MORE:
        draft.stage = DraftStage.DESCRIBING
        await _prompt(context, draft, chat_id, _("Send what you want to add, then press "
                                                 "'Review'."),
                      _describe_keyboard(context, tr, user_id))
    elif action is ReportDraftAction.SEND:
        await _send(context, tr, user_id, draft, chat_id)


def _describe_keyboard(context: BotContext, tr: Translator, user_id: int) -> InlineKeyboardMarkup:
    _ = tr.gettext
    return InlineKeyboardMarkup([[_button(context, user_id, _("Review"), ReportDraftAction.REVIEW),
                                  _button(context, user_id, _("Cancel"), ReportDraftAction.CANCEL)]])


async def _show_review(context: BotContext, tr: Translator, draft: ReportDraft, chat_id: int,
                       user_id: int) -> None:
    _ = tr.gettext
    if not draft.parts:
        await _prompt(context, draft, chat_id, _("Your report has no description yet. Please "
                                                 "describe what happened first."),
                      _describe_keyboard(context, tr, user_id))
        return
    draft.stage = DraftStage.REVIEW
    text = _(
        "Please check your report before sending it.\n\nTopic: {category}\nFiles: {files}\n\n"
        "Description:\n{description}"
    ).format(category=category_label(tr, draft.category or "other"),
             files=len(draft.attachments), description=clip(draft.body, 3000))
    keyboard = InlineKeyboardMarkup([
        [_button(context, user_id, _("Send report"), ReportDraftAction.SEND)],
        [_button(context, user_id, _("Add more"), ReportDraftAction.MORE),
         _button(context, user_id, _("Cancel"), ReportDraftAction.CANCEL)],
    ])
    await _prompt(context, draft, chat_id, text, keyboard)


async def _send(context: BotContext, tr: Translator, user_id: int, draft: ReportDraft,
                chat_id: int) -> None:
    _ = tr.gettext
    if draft.stage is not DraftStage.REVIEW or draft.category is None or not draft.parts:
        await _show_review(context, tr, draft, chat_id, user_id)  # an old "Send" button
        return
    try:
        filed = await file_draft(context.services, user_id, draft)
    except TooManyReports:
        await _prompt(context, draft, chat_id, _(
            "You have sent many reports in the last hour. Please wait a while before sending "
            "another one; this draft is kept for now."))
        return
    if filed is None:
        return  # the other tap of a double tap filed it
    await delete_quietly(context, chat_id, draft.prompts)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
        _("I have written it down: remove this message"),
        callback_data=button_data(context.services, chat_id,
                                  ReportDraftButton(ReportDraftAction.RECEIPT_NOTED)))]])
    await context.bot.send_message(chat_id, _(
        "Your report was sent. Thank you.\n\n"
        "Your receipt code:\n\n{receipt}\n\n"
        "Write it down now and keep it somewhere safe. It is shown only this once and it is "
        "the only way back to your report: nobody, not even the moderators, can look it up "
        "for you. To read the moderators' replies or add information, send\n"
        "/status {receipt}\n"
        "from any Telegram account.\n\n"
        "Then remove this message with the button below, and consider deleting this chat."
    ).format(receipt=format_receipt(filed.receipt)), reply_markup=keyboard)


async def on_message(update: Update, context: BotContext) -> None:
    """A message or file while the draft is open (the owner of the report-draft mode)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    draft = context.services.dialog(user.id, ReportDraft)
    if draft is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    chat_id = message.chat.id
    if draft.stage in (DraftStage.WARNED, DraftStage.CATEGORY):
        await _prompt(context, draft, chat_id, _("Please use the buttons above first."))
        return
    limit = max_file_bytes(context.services.settings)
    incoming = await read_incoming(message, limit)
    if incoming.problem is not None:
        await _prompt(context, draft, chat_id,
                      refusal_text(tr.gettext, incoming.problem, limit))
        return
    text = incoming.text or incoming.caption
    if text and draft.text_length + len(text) + 2 > MAX_TEXT:
        await _prompt(context, draft, chat_id, _(
            "That would make the description longer than {limit} characters, so it was not "
            "added (nothing of it was kept). Please send it shorter.").format(
                limit=MAX_TEXT))
        return
    if incoming.attachment is not None and len(draft.attachments) >= MAX_FILES:
        await _prompt(context, draft, chat_id, _(
            "A report can have at most {count} files, so this one was not added.").format(
                count=MAX_FILES))
        return
    if text:
        draft.parts.append(text)
    if incoming.attachment is not None:
        draft.attachments.append(incoming.attachment)
    draft.stage = DraftStage.DESCRIBING
    note = _("Added.")
    if incoming.forwarded:
        note = _("Added as text. Who wrote it and where it was forwarded from were not kept.")
    await _prompt(context, draft, chat_id, note + " " + _(
        "{length} of {limit} characters, {files}. Send more, or press 'Review'."
    ).format(length=draft.text_length, limit=MAX_TEXT,
             files=files_text(tr, len(draft.attachments))),
        _describe_keyboard(context, tr, user.id))


async def on_cancel(update: Update, context: BotContext) -> None:
    """/cancel while writing a report: drop the draft (nothing was stored)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    draft = context.services.dialog(user.id, ReportDraft)
    if draft is not None:
        await delete_quietly(context, chat.id, draft.prompts)
        context.services.session(user.id).close()
    tr = await context.translator(update)
    await context.bot.send_message(chat.id, tr.gettext("Cancelled. Nothing was stored."))


def register(application: ConsultbotApplication, router: Router) -> None:
    """/report and its buttons; the draft's input comes through the router."""

    async def check_sealing(app: ConsultbotApplication) -> None:
        # Storage decides the mode; a storage opened without the configured key would
        # quietly store readable reports, so refuse to start instead.
        if app.services.storage.reports.sealed != (app.services.settings.report_key is not None):
            raise RuntimeError("storage was opened without CONSULTBOT_REPORT_KEY's key "
                               "(or with a key the configuration does not name)")

    application.on_initialize.append(check_sealing)
    add_command(application, "report", N_("Report a concern anonymously"))
    application.add_handler(CommandHandler("report", start_report,
                                           filters=filters.ChatType.PRIVATE))
    router.own_buttons(ReportDraftButton, on_button)
