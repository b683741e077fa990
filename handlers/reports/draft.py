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
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext, ConsultbotApplication, Translator
from bot.report_workflow import (
    Draft,
    ReportSettings,
    category_label,
    files_text,
    report_settings,
    report_state,
)
from handlers.reports.files import megabytes, read_incoming, refusal_text
from handlers.shared.buttons import answer_chat, pack, pressed_button
from handlers.shared.commands import add_command
from handlers.shared.render import clip
from storage.receipts import format_receipt
from surveys.messages import N_

__all__ = ["DRAFT_GROUP", "INPUT_FILTER", "delete_quietly", "register"]

logger = logging.getLogger(__name__)

#: Handler group of the draft input: before the survey flow's text catch-all (group 0).
DRAFT_GROUP = -1
#: Messages a reporter may send into a draft or a follow-up.
INPUT_FILTER = filters.ChatType.PRIVATE & (
    (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL
)


async def delete_quietly(context: BotContext, chat_id: int, message_ids: list[int]) -> None:
    """Delete messages where Telegram allows it; a refusal only leaves a trace in the chat."""
    for message_id in message_ids:
        try:
            await context.bot.delete_message(chat_id, message_id)
        except TelegramError as error:
            logger.debug("Could not delete a flow message (%s)", type(error).__name__)


def _button(context: BotContext, user_id: int, label: str, *fields: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=pack(context.services, user_id, "rp", *fields))


def warning_text(tr: Translator, sealed: bool, settings: ReportSettings) -> str:
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
    if settings.channels:
        text += "\n\n" + _(
            "If you are in danger or at high risk, these channels may protect you better:"
        ) + "\n" + "\n".join(f"• {channel}" for channel in settings.channels)
    return text


async def start_report(update: Update, context: BotContext) -> None:
    """/report: drop any old draft, show the warning."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    services = context.services
    key = services.storage.secret.participant_key(user.id)
    state = report_state(context.application)
    state.followups.pop(key, None)
    old = state.drafts.pop(key, None)
    if old is not None:
        await delete_quietly(context, chat.id, old.prompts)
    draft = Draft()
    state.drafts[key] = draft
    keyboard = InlineKeyboardMarkup([[
        _button(context, user.id, _("I understand, continue"), "go"),
        _button(context, user.id, _("Cancel"), "cancel"),
    ]])
    text = warning_text(tr, services.storage.reports.sealed, report_settings(services))
    sent = await context.bot.send_message(chat.id, text, reply_markup=keyboard)
    draft.prompts.append(sent.message_id)


async def _prompt(context: BotContext, draft: Draft, chat_id: int, text: str,
                  keyboard: InlineKeyboardMarkup | None = None) -> Message:
    sent = await context.bot.send_message(chat_id, text, reply_markup=keyboard)
    draft.prompts.append(sent.message_id)
    return sent


async def on_button(update: Update, context: BotContext) -> None:
    """Every button of the flow: continue, category, review, add more, send, cancel."""
    pressed = await pressed_button(update, context, fits=lambda fields: len(fields) >= 2)
    if pressed is None:
        return
    query, fields = pressed
    tr = await context.translator(update)
    _ = tr.gettext
    user_id = query.from_user.id
    chat_id = answer_chat(query)
    action = fields[1]
    if action == "gone":  # the receipt message: the reporter wrote the code down
        await query.answer()
        await delete_quietly(context, chat_id, [query.message.message_id] if query.message else [])
        return
    key = context.services.storage.secret.participant_key(user_id)
    state = report_state(context.application)
    draft = state.draft(key)
    if draft is None:
        await query.answer()
        await context.bot.send_message(chat_id, _(
            "This report draft is no longer here (it expired, or the bot restarted: drafts "
            "are never saved to disk). Please start again with /report."))
        return
    await query.answer()
    draft.touched = time.monotonic()
    settings = report_settings(context.services)
    if action == "cancel":
        del state.drafts[key]
        await delete_quietly(context, chat_id, draft.prompts)
        await context.bot.send_message(chat_id, _("Cancelled. Nothing was stored."))
    elif action == "go":
        rows = [[_button(context, user_id, category_label(tr, category), "cat", str(index))]
                for index, category in enumerate(settings.categories)]
        rows.append([_button(context, user_id, _("Cancel"), "cancel")])
        draft.stage = "category"
        await _prompt(context, draft, chat_id, _("What is your concern about?"),
                      InlineKeyboardMarkup(rows))
    elif action == "cat" and len(fields) == 3 and fields[2].isdigit():
        index = int(fields[2])
        if index >= len(settings.categories):
            return
        draft.category = settings.categories[index]
        draft.stage = "describing"
        await _prompt(context, draft, chat_id, _(
            "Describe what happened, in your own words: what, where, when (a date or a "
            "period is enough) and who was involved. You can send several messages, and "
            "photos or documents (up to {files} files, {size} MB each). Press 'Review' when "
            "you are done."
        ).format(files=settings.max_files, size=megabytes(settings.max_file_bytes)),
            _describe_keyboard(context, tr, user_id))
    elif action == "review":
        await _show_review(context, tr, draft, chat_id, user_id)
    elif action == "more":
        draft.stage = "describing"
        await _prompt(context, draft, chat_id, _("Send what you want to add, then press "
                                                 "'Review'."),
                      _describe_keyboard(context, tr, user_id))
    elif action == "send":
        await _send(context, tr, key, draft, chat_id)


def _describe_keyboard(context: BotContext, tr: Translator, user_id: int) -> InlineKeyboardMarkup:
    _ = tr.gettext
    return InlineKeyboardMarkup([[_button(context, user_id, _("Review"), "review"),
                                  _button(context, user_id, _("Cancel"), "cancel")]])


async def _show_review(context: BotContext, tr: Translator, draft: Draft, chat_id: int,
                       user_id: int) -> None:
    _ = tr.gettext
    if not draft.parts:
        await _prompt(context, draft, chat_id, _("Your report has no description yet. Please "
                                                 "describe what happened first."),
                      _describe_keyboard(context, tr, user_id))
        return
    draft.stage = "review"
    text = _(
        "Please check your report before sending it.\n\nTopic: {category}\nFiles: {files}\n\n"
        "Description:\n{description}"
    ).format(category=category_label(tr, draft.category or "other"),
             files=len(draft.attachments), description=clip(draft.body, 3000))
    keyboard = InlineKeyboardMarkup([
        [_button(context, user_id, _("Send report"), "send")],
        [_button(context, user_id, _("Add more"), "more"),
         _button(context, user_id, _("Cancel"), "cancel")],
    ])
    await _prompt(context, draft, chat_id, text, keyboard)


async def _send(context: BotContext, tr: Translator, key: str, draft: Draft,
                chat_id: int) -> None:
    _ = tr.gettext
    state = report_state(context.application)
    if draft.stage != "review" or draft.category is None or not draft.parts:
        await _show_review(context, tr, draft, chat_id, chat_id)  # an old "Send" button
        return
    if not state.filings.allowed(key):
        await _prompt(context, draft, chat_id, _(
            "You have sent many reports in the last hour. Please wait a while before sending "
            "another one; this draft is kept for now."))
        return
    # Take the draft (and count the filing) with no await in between: a double tap on
    # "Send" is processed concurrently, and only the tap that takes the draft files it.
    if state.drafts.get(key) is not draft:
        return
    del state.drafts[key]
    state.filings.record(key)
    try:
        filed = await context.services.storage.reports.file(draft.category, draft.body,
                                                            draft.attachments)
    except BaseException:
        state.drafts.setdefault(key, draft)  # nothing was stored; the draft is not lost
        raise
    await delete_quietly(context, chat_id, draft.prompts)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
        _("I have written it down: remove this message"),
        callback_data=pack(context.services, chat_id, "rp", "gone"))]])
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
    """A message while a draft is open goes into the draft; otherwise it is not ours."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    key = context.services.storage.secret.participant_key(user.id)
    draft = report_state(context.application).draft(key)
    if draft is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    draft.touched = time.monotonic()
    chat_id = message.chat.id
    if draft.stage in ("warned", "category"):
        await _prompt(context, draft, chat_id, _("Please use the buttons above first."))
        raise ApplicationHandlerStop
    settings = report_settings(context.services)
    incoming = await read_incoming(message, settings.max_file_bytes)
    if incoming.problem is not None:
        await _prompt(context, draft, chat_id,
                      refusal_text(tr.gettext, incoming.problem, settings.max_file_bytes))
        raise ApplicationHandlerStop
    text = incoming.text or incoming.caption
    if text and draft.text_length + len(text) + 2 > settings.max_text:
        await _prompt(context, draft, chat_id, _(
            "That would make the description longer than {limit} characters, so it was not "
            "added (nothing of it was kept). Please send it shorter.").format(
                limit=settings.max_text))
        raise ApplicationHandlerStop
    if incoming.attachment is not None and len(draft.attachments) >= settings.max_files:
        await _prompt(context, draft, chat_id, _(
            "A report can have at most {count} files, so this one was not added.").format(
                count=settings.max_files))
        raise ApplicationHandlerStop
    if text:
        draft.parts.append(text)
    if incoming.attachment is not None:
        draft.attachments.append(incoming.attachment)
    draft.stage = "describing"
    note = _("Added.")
    if incoming.forwarded:
        note = _("Added as text. Who wrote it and where it was forwarded from were not kept.")
    await _prompt(context, draft, chat_id, note + " " + _(
        "{length} of {limit} characters, {files}. Send more, or press 'Review'."
    ).format(length=draft.text_length, limit=settings.max_text,
             files=files_text(tr, len(draft.attachments))),
        _describe_keyboard(context, tr, user.id))
    raise ApplicationHandlerStop


async def on_cancel(update: Update, context: BotContext) -> None:
    """/cancel during a draft drops it; otherwise /cancel belongs to other features."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    key = context.services.storage.secret.participant_key(user.id)
    draft = report_state(context.application).drafts.pop(key, None)
    if draft is None:
        return
    tr = await context.translator(update)
    await delete_quietly(context, chat.id, draft.prompts)
    await context.bot.send_message(chat.id, tr.gettext("Cancelled. Nothing was stored."))
    raise ApplicationHandlerStop


def register(application: ConsultbotApplication) -> None:
    """/report, its buttons, and the draft input (group -1, before the survey catch-all)."""
    settings = report_settings(application.services)
    report_state(application).filings.limit = settings.reports_per_hour

    async def check_sealing(app: ConsultbotApplication) -> None:
        # Storage decides the mode; a storage opened without the configured key would
        # quietly store readable reports, so refuse to start instead.
        if app.services.storage.reports.sealed != (app.services.settings.report_key is not None):
            raise RuntimeError("storage was opened without CONSULTBOT_REPORT_KEY's key "
                               "(or with a key the configuration does not name)")

    application.on_initialize.append(check_sealing)

    async def forget(user_id: int) -> None:
        # /forget: drop what memory holds under this person's pseudonym (the database
        # holds nothing that links them to a report).
        app = application
        key = app.services.storage.secret.participant_key(user_id)
        state = report_state(app)
        state.drafts.pop(key, None)
        state.followups.pop(key, None)

    application.services.erasers.append(forget)
    add_command(application, "report", N_("Report a concern anonymously"))
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("report", start_report, filters=private))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^rp\|"))
    application.add_handler(CommandHandler("cancel", on_cancel, filters=private),
                            group=DRAFT_GROUP)
    application.add_handler(MessageHandler(INPUT_FILTER, on_message), group=DRAFT_GROUP)
