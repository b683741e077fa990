"""/reports: moderators list, open and triage reports, and reply to reporters.

Report text is sent as plain text (no ``parse_mode``, ever): a reporter's words are shown,
never interpreted as Markdown or HTML. In sealed mode the server cannot read reports, so
only metadata is shown and moderators use ``consultbot reports --key`` on their own
machine; status changes and replies still work. A reply is stored with the report and
reaches the reporter only when they check ``/status`` with their code: the bot has no
idea who filed what, so it cannot message them.

Handlers see only the reports of their categories (``handler:wages``); anyone else, a
handler of another category included, gets the same refusal as a stranger. Opening a
report's content needs a fresh second-factor code. A report can be assigned to one handler
and carry internal notes, sealed like the report.

Every action (listing, opening, status change, reply, note, assignment) is appended to the
audit log under the moderator's audit pseudonym.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, CommandScope, ConsultbotApplication, Translator
from bot.moderation_access import (
    AccessDenied,
    Grant,
    Permission,
    SecondFactorNeeded,
    require,
)
from bot.report_workflow import MAX_TEXT
from bot.sessions import ModeratorReply
from handlers.moderation.access import (
    REFUSAL,
    ModeratorCommand,
    ask_for_code,
    audit,
    moderator_only,
)
from handlers.reports.labels import category_label, files_text, split_text, status_label
from handlers.shared.button_data import ReportModeration, ReportModerationAction
from handlers.shared.buttons import answer_chat, button_data, read_press
from handlers.shared.commands import add_command
from handlers.shared.localized import language_label
from handlers.shared.render import send_long
from handlers.shared.router import Router, cancel_saying
from storage.audit import moderator_actor
from storage.errors import NotFound
from storage.reports import CLOSED_STATUSES, Report, ReportStatus
from surveys.messages import N_
from surveys.tally import UNDETERMINED, detect_language

__all__ = ["on_cancel", "on_reply_text", "register"]

_PAGE = 20
_OPEN = [s for s in ReportStatus if s not in CLOSED_STATUSES]
_STATUS_VALUES = frozenset(s.value for s in ReportStatus)


def _button(context: BotContext, user_id: int, label: str, action: ReportModerationAction,
            report_id: str | None = None, status: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=button_data(
        context.services, user_id, ReportModeration(action, report_id, status)))


@moderator_only(Permission.HANDLE_REPORTS)
async def list_reports(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/reports [all]: open reports (or all) of the handler's categories, newest day first."""
    args = context.args or []
    show_all = bool(args) and args[0].lower() == "all"
    await _send_list(context, command.tr, command.grant, command.chat_id, show_all)


async def _send_list(context: BotContext, tr: Translator, grant: Grant, chat_id: int,
                     show_all: bool) -> None:
    _ = tr.gettext
    user_id = grant.user_id
    reports = context.services.storage.reports
    summaries = await context.services.storage.report_routing.list_reports(
        grant.report_categories, None if show_all else _OPEN, limit=_PAGE)
    # No count in the entry: timestamped counts would narrow down when a report arrived.
    await audit(context, user_id, "reports.list", scope="all" if show_all else "open")
    header = _("All reports (newest first):") if show_all else _("Open reports (newest first):")
    if reports.sealed:
        header += "\n" + _("Reports are sealed: the bot shows only their details. Read them "
                           "with 'consultbot reports --key' on your own computer.")
    if not summaries:
        await context.bot.send_message(chat_id, header + "\n\n" + _("None."))
        return
    lines = [header] + [
        _("{id} · {category} · {status} · {day} · {followups}, {files}")
        .format(id=s.report_id, category=category_label(tr, s.category),
                status=status_label(tr, s.status.value), day=s.filed_on.isoformat(),
                followups=tr.ngettext("{count} follow-up", "{count} follow-ups",
                                      s.followups).format(count=s.followups),
                files=files_text(tr, s.files))
        for s in summaries
    ]
    rows = [[_button(context, user_id, _("Open {id}").format(id=s.report_id),
                     ReportModerationAction.OPEN, s.report_id)]
            for s in summaries]
    if not show_all:
        rows.append([_button(context, user_id, _("Show closed too"),
                             ReportModerationAction.SHOW_ALL)])
    await send_long(context.bot, chat_id, ["\n".join(lines)], InlineKeyboardMarkup(rows))


def _report_keyboard(context: BotContext, tr: Translator, user_id: int,
                     report_id: str, current: ReportStatus) -> InlineKeyboardMarkup:
    _ = tr.gettext
    statuses = [
        _button(context, user_id, ("• " if status is current else "") + status_label(tr, status),
                ReportModerationAction.SET_STATUS, report_id, status.value)
        for status in ReportStatus
    ]
    return InlineKeyboardMarkup([statuses[:3], statuses[3:],
                                 [_button(context, user_id, _("Reply"),
                                          ReportModerationAction.REPLY, report_id),
                                  _button(context, user_id, _("Internal note"),
                                          ReportModerationAction.NOTE, report_id),
                                  _button(context, user_id, _("Assign to me"),
                                          ReportModerationAction.ASSIGN, report_id)]])


def _report_lines(tr: Translator, report: Report) -> list[str]:
    _ = tr.gettext
    s = report.summary
    lines = [_("Report {id}\nTopic: {category}\nStatus: {status}\nFiled: {filed}\n"
               "Last change: {updated}").format(
        id=s.report_id, category=category_label(tr, s.category),
        status=status_label(tr, s.status.value), filed=s.filed_on.isoformat(),
        updated=s.updated_on.isoformat())]
    if report.body is None:
        lines.append(_("This report is sealed: the server cannot read it. Read it with "
                       "'consultbot reports --key' on your own computer. "
                       "Follow-ups: {followups}, files: {files}.").format(
            followups=s.followups, files=s.files))
    else:
        # Detected when read, not stored: the language is as protected as the text itself.
        detected = detect_language(report.body)
        if detected != UNDETERMINED:
            lines.append(_("Language of the description: {language}").format(
                language=language_label(detected, tr.language)))
        lines.extend(split_text(report.body))
    for item in report.items:
        if item.kind == "file":
            continue
        heading = (_("Follow-up from the reporter, {day}:") if item.kind == "followup"
                   else _("Moderators' reply, {day}:")).format(day=item.added_on.isoformat())
        if item.readable and item.text is not None:
            lines.extend(split_text(heading + "\n" + item.text))
        elif item.kind == "followup" and report.body is not None:
            lines.append(heading + "\n" + _("(sealed)"))
    return lines


async def _checked(context: BotContext, user_id: int, report_id: str | None, *,
                   fresh_2fa: bool = False) -> Grant:
    """The moderator's grant if they handle this report's category (and are fresh enough).

    Raises:
        AccessDenied: Not a handler of the report's category (or no report id).
        SecondFactorNeeded: The action reads content and no recent code was typed.
        NotFound: The report is gone.
    """
    services = context.services
    if report_id is None:
        return await require(services, user_id, Permission.HANDLE_REPORTS)
    category = await services.storage.report_routing.category_of(report_id)
    return await require(services, user_id, Permission.HANDLE_REPORTS, category=category,
                         fresh_2fa=fresh_2fa)


async def on_button(update: Update, context: BotContext) -> None:
    """Open a report, set its status, reply, note, assign, or list closed ones too."""
    query, button = read_press(update, context, ReportModeration)
    tr = await context.translator(update)
    _ = tr.gettext
    user_id = query.from_user.id
    chat_id = answer_chat(query)
    if button is None:
        await query.answer(_("Sorry, this is for moderators."))
        return
    action, report_id = button.action, button.report_id
    try:
        grant = await _checked(context, user_id, report_id,
                               fresh_2fa=action is ReportModerationAction.OPEN)
    except (AccessDenied, NotFound):
        # A report outside one's categories looks exactly like one that does not exist.
        await query.answer(_("Sorry, this is for moderators."))
        return
    except SecondFactorNeeded as needed:
        await query.answer()
        await ask_for_code(context, chat_id, tr, needed)
        return
    await _act(context, query, tr, grant, chat_id, button)


async def _act(context: BotContext, query: CallbackQuery, tr: Translator, grant: Grant,
               chat_id: int, button: ReportModeration) -> None:
    _ = tr.gettext
    user_id = grant.user_id
    action, report_id = button.action, button.report_id
    reports = context.services.storage.reports
    routing = context.services.storage.report_routing
    try:
        if action is ReportModerationAction.SHOW_ALL:
            await query.answer()
            await _send_list(context, tr, grant, chat_id, show_all=True)
        elif action is ReportModerationAction.OPEN and report_id is not None:
            await query.answer()
            report = await reports.get(report_id)
            notes = await routing.notes(report_id)
            assignee = await routing.assignee(report_id)
            await audit(context, user_id, "report.open", report_id=report_id)
            lines = _report_lines(tr, report)
            if assignee is not None:
                lines.append(_("Assigned to you.") if assignee == moderator_actor(
                    context.services.storage.secret, user_id) else _("Assigned to another handler."))
            for entry in notes:
                heading = _("Internal note, {day}:").format(day=entry.added_on.isoformat())
                lines.extend(split_text(heading + "\n" + (entry.text if entry.text is not None
                                                          else _("(sealed)"))))
            await send_long(context.bot, chat_id, lines,
                            _report_keyboard(context, tr, user_id, report_id,
                                             report.summary.status))
            for item in report.items:
                if item.kind == "file" and item.attachment is not None:
                    await context.bot.send_document(
                        chat_id, InputFile(item.attachment.data, filename=item.attachment.name),
                        caption=_("File of report {id}, {day}").format(
                            id=report_id, day=item.added_on.isoformat()))
        elif (action is ReportModerationAction.SET_STATUS and report_id is not None
              and button.status in _STATUS_VALUES):
            before = await reports.summary(report_id)
            after = await reports.set_status(report_id, ReportStatus(button.status))
            await audit(context, user_id, "report.status", report_id=report_id,
                        before=before.status.value, after=after.status.value)
            await query.answer(_("Status set to: {status}").format(
                status=status_label(tr, after.status.value)))
            if query.message is not None:
                await query.edit_message_reply_markup(_report_keyboard(
                    context, tr, user_id, report_id, after.status))
        elif action is ReportModerationAction.ASSIGN and report_id is not None:
            await routing.assign(report_id, moderator_actor(context.services.storage.secret,
                                                            user_id))
            await audit(context, user_id, "report.assign", report_id=report_id)
            await query.answer(_("Report {id} is assigned to you.").format(id=report_id))
        elif action in (ReportModerationAction.REPLY, ReportModerationAction.NOTE) \
                and report_id is not None:
            await reports.summary(report_id)  # NotFound if it is gone
            await query.answer()
            note = action is ReportModerationAction.NOTE
            context.services.session(user_id).open(ModeratorReply(report_id, note=note))
            text = (_("Write an internal note about report {id} in one message. Only "
                      "handlers of its category see it; it is stored sealed like the report. "
                      "Send /cancel to stop.") if note else
                    _("Write your reply to report {id} in one message. The reporter will see "
                      "it when they check /status with their code; the bot cannot message "
                      "them. Send /cancel to stop."))
            await context.bot.send_message(chat_id, text.format(id=report_id))
        else:
            await query.answer()
    except NotFound:
        await context.bot.send_message(chat_id, _("This report no longer exists."))


async def on_reply_text(update: Update, context: BotContext) -> None:
    """The moderator's reply or note, after they pressed "Reply" or "Internal note"."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    session = context.services.dialog(user.id, ModeratorReply)
    if session is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    context.services.session(user.id).close()
    try:
        await _checked(context, user.id, session.report_id)
    except (AccessDenied, NotFound):
        await context.bot.send_message(message.chat.id, _(REFUSAL))
        return
    if len(message.text) > MAX_TEXT:
        await context.bot.send_message(message.chat.id, _(
            "A reply can have at most {limit} characters; it was not saved.").format(
                limit=MAX_TEXT))
        return
    try:
        if session.note:
            await context.services.storage.report_routing.add_note(session.report_id,
                                                                   message.text)
        else:
            await context.services.storage.reports.add_reply(session.report_id, message.text)
    except NotFound:
        await context.bot.send_message(message.chat.id, _("This report no longer exists."))
        return
    if session.note:
        await audit(context, user.id, "report.note", report_id=session.report_id)
        await context.bot.send_message(message.chat.id, _(
            "Note saved to report {id}.").format(id=session.report_id))
        return
    await audit(context, user.id, "report.reply", report_id=session.report_id)
    await context.bot.send_message(message.chat.id, _(
        "Reply saved to report {id}. The reporter sees it with /status.").format(
            id=session.report_id))


#: /cancel while writing a reply: nothing is saved.
on_cancel = cancel_saying(N_("Reply cancelled."))


def register(application: ConsultbotApplication, router: Router) -> None:
    """/reports and its buttons; the reply text comes through the router."""
    add_command(application, "reports", N_("Triage anonymous reports"), CommandScope.MODERATOR)
    application.add_handler(CommandHandler("reports", list_reports,
                                           filters=filters.ChatType.PRIVATE))
    router.own_buttons(ReportModeration, on_button)
