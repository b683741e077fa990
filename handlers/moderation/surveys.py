"""Moderators in Telegram: roles, survey uploads, publishing and closing.

``register`` also wires the rest of the moderator feature (summaries and exports in
:mod:`handlers.moderation.results`, announcements in :mod:`handlers.moderation.announce`), so
:mod:`bot.application` adds one line for all of it. Every command checks the sender first
and answers anyone else with the single refusal of :mod:`handlers.moderation.access`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import PurePath

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, CommandScope, ConsultbotApplication, Translator
from bot.moderation_access import Permission, Role, parse_role
from bot.report_workflow import categories as categories_of
from handlers.moderation import announce as moderation_announce
from handlers.moderation import results as moderation_results
from handlers.moderation.access import (
    ModeratorCommand,
    audit,
    clear_moderator_menu,
    end_moderator_session,
    moderator_only,
    set_moderator_menu,
)
from handlers.moderation.audit_log import show_audit
from handlers.moderation.second_factor import second_factor
from handlers.shared.commands import add_command
from handlers.shared.files import file_not_taken
from handlers.shared.render import MESSAGE_LIMIT
from handlers.shared.router import Router
from storage.audit import moderator_actor
from storage.errors import InvalidTransition, NotFound
from storage.survey_records import SurveyRecord
from storage.surveys import SurveyRepository
from surveys.limits import MAX_FILE_BYTES
from surveys.loading import inspect_bytes
from surveys.messages import N_
from surveys.model import QuestionType

__all__ = ["MAX_SURVEY_FILE_BYTES", "SURVEY_EXTENSIONS", "file_outside_a_dialog", "register"]

logger = logging.getLogger(__name__)

#: Survey files are small; anything larger is not a survey and is not downloaded.
MAX_SURVEY_FILE_BYTES = MAX_FILE_BYTES
SURVEY_EXTENSIONS = (".yaml", ".yml", ".xlsx")


def _user_id_argument(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    # Telegram user ids are positive and fit in 52 bits; anything else is a typo (and an
    # id of 2^63 or more would not fit in SQLite's integer).
    return value if 0 < value < 1 << 52 else None


# -- roles -----------------------------------------------------------------------------------


def _role_text(tr: Translator, role: str, categories: tuple[str, ...]) -> str:
    _ = tr.gettext
    names = {Role.ADMIN: _("admin"), Role.ANALYST: _("analyst"), Role.HANDLER: _("handler")}
    name = names[Role(role)]
    if role == Role.HANDLER:
        return _("{role} of {categories}").format(
            role=name, categories=", ".join(categories) if categories else _("every category"))
    return name


@moderator_only(Permission.MANAGE_MODERATORS)
async def list_moderators(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/mods: the admins (from the configuration) and the moderators they added, with roles."""
    tr = command.tr
    _ = tr.gettext
    services = context.services
    lines = [_("Admins (from CONSULTBOT_ADMINS): {ids}").format(
        ids=", ".join(str(i) for i in sorted(services.settings.admins)) or _("none"))]
    moderators = await services.storage.moderators.list()
    if moderators:
        lines.append(_("Moderators:"))
        lines.extend(f"{m.user_id}: {_role_text(tr, m.role, m.categories)}" for m in moderators)
    else:
        lines.append(_("No moderators added yet. Admins add one with "
                       "/addmod <user id> <role>."))
    await context.bot.send_message(command.chat_id, "\n".join(lines))


def _addmod_usage(tr: Translator) -> str:
    _ = tr.gettext
    return (_("Usage: /addmod <user id> <role>, where the role is admin, analyst, handler, "
              "or handler:<category>,<category> for a handler of some report categories.")
            + "\n" + _("A person can see their numeric user id with a bot such as "
                        "@userinfobot."))


@moderator_only(Permission.MANAGE_MODERATORS, fresh_2fa=True)
async def add_moderator(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/addmod <user id> <role>[:categories] (admins, with a fresh second factor)."""
    _ = command.tr.gettext
    args = list(context.args or [])
    target = _user_id_argument(args[0]) if len(args) == 2 else None
    parsed = parse_role(args[1]) if target is not None else None
    if target is None or parsed is None:
        await context.bot.send_message(command.chat_id, _addmod_usage(command.tr))
        return
    role, categories = parsed
    services = context.services
    if target in services.settings.admins:
        await context.bot.send_message(command.chat_id, _(
            "{id} is an admin from CONSULTBOT_ADMINS; change that setting instead.").format(
                id=target))
        return
    known = set(categories_of(services.settings))
    unknown = [c for c in categories if c not in known]
    if unknown:
        await context.bot.send_message(command.chat_id, _(
            "Unknown report categories: {unknown}. The categories are: {known}.").format(
                unknown=", ".join(unknown), known=", ".join(sorted(known))))
        return
    before = await services.storage.moderators.get(target)
    changed = await services.storage.moderators.add(target, command.user_id, role.value,
                                                     categories)
    role_text = _role_text(command.tr, role.value, categories)
    if not changed:
        await context.bot.send_message(command.chat_id, _("{id} already is {role}.").format(
            id=target, role=role_text))
        return
    if before is not None:
        end_moderator_session(services, target)  # a changed role starts from nothing
    await set_moderator_menu(context.application, target)
    # The audit log names moderators by pseudonym only, the target included.
    await audit(context, command.user_id, "moderator.add" if before is None else "moderator.role",
                moderator=moderator_actor(services.storage.secret, target), role=role.value,
                categories=list(categories))
    await context.bot.send_message(command.chat_id, _("{id} is now {role}.").format(
        id=target, role=role_text))


@moderator_only(Permission.MANAGE_MODERATORS, fresh_2fa=True)
async def remove_moderator(update: Update, context: BotContext,
                           command: ModeratorCommand) -> None:
    """/delmod <user id> (admins, with a fresh second factor): access ends at once."""
    _ = command.tr.gettext
    args = list(context.args or [])
    target = _user_id_argument(args[0]) if len(args) == 1 else None
    if target is None:
        await context.bot.send_message(command.chat_id, _("Usage: /delmod <user id>"))
        return
    services = context.services
    removed = await services.storage.moderators.remove(target)
    if not removed:
        await context.bot.send_message(command.chat_id, _("{id} was not a moderator.").format(
            id=target))
        return
    actor = moderator_actor(services.storage.secret, target)
    end_moderator_session(services, target)
    await services.storage.second_factors.reset(actor)
    if target not in services.settings.admins:
        await clear_moderator_menu(context.application, target)
    await audit(context, command.user_id, "moderator.remove", moderator=actor)
    await context.bot.send_message(command.chat_id, _("{id} is no longer a moderator.").format(
        id=target))


# -- survey life cycle -------------------------------------------------------------------------


@moderator_only(Permission.MANAGE_SURVEYS)
async def upload_survey(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """A .yaml/.yml/.xlsx document: validate it, store it as a draft, show a preview."""
    user_id, tr = command.user_id, command.tr
    message = update.effective_message
    if message is None or message.document is None:
        return
    _ = tr.gettext
    document = message.document
    name = PurePath(document.file_name or "survey").name
    if document.file_size is not None and document.file_size > MAX_SURVEY_FILE_BYTES:
        await message.reply_text(_("That file is too large to be a survey definition."))
        return
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except TelegramError as error:
        logger.warning("A survey file could not be downloaded (%s)", type(error).__name__)
        await message.reply_text(_("The file could not be downloaded. Please send it again."))
        return
    result = await asyncio.to_thread(inspect_bytes, data, name)
    problems = sorted(result.problems, key=lambda p: (p.severity != "error", p.number or 0))
    rendered = [p.render(_) for p in problems]
    if result.survey is None:
        errors = sum(1 for p in problems if p.severity == "error")
        lines = [tr.ngettext("The survey file has {count} error; nothing was stored:",
                             "The survey file has {count} errors; nothing was stored:",
                             errors).format(count=errors)]
        lines.extend(rendered)  # every problem, so the author fixes everything in one pass
        await _send_lines(context, message.chat_id, lines)
        return
    survey = result.survey
    record = await context.services.storage.surveys.save_draft(survey, data, name)
    await audit(context, user_id, "survey.draft", survey_id=survey.id, version=record.version)
    questions = sum(1 for q in survey.questions if q.type is not QuestionType.NOTE)
    lines = [
        _("Saved as a draft: “{title}” ({id}), version {version}.").format(
            title=survey.title.get(tr.language, survey.default_language), id=survey.id,
            version=record.version),
        tr.ngettext("{count} question", "{count} questions", questions).format(count=questions),
        _("Languages: {languages}").format(languages=", ".join(survey.languages)),
    ]
    if rendered:
        lines.append(_("Warnings:"))
        lines.extend(rendered)
    lines.append(_("Publish it with /publish {id}").format(id=survey.id))
    await _send_lines(context, message.chat_id, lines)


async def _send_lines(context: BotContext, chat_id: int, lines: list[str]) -> None:
    """Plain text (never Markdown: file names and labels come from outside), split to fit."""
    chunk = ""
    for line in lines:
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > MESSAGE_LIMIT and chunk:
            await context.bot.send_message(chat_id, chunk)
            chunk = line[:MESSAGE_LIMIT]
        else:
            chunk = candidate[:MESSAGE_LIMIT]
    if chunk:
        await context.bot.send_message(chat_id, chunk)


@moderator_only(Permission.MANAGE_SURVEYS)
async def publish_survey(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/publish <id>: open the draft and reply with its deep link."""

    def published(tr: Translator, record: SurveyRecord) -> str:
        _ = tr.gettext
        link = f"https://t.me/{context.services.bot_username}?start={record.survey_id}"
        return _("Published “{title}” (version {version}). Share this link:\n{link}").format(
            title=record.survey.title.get(record.survey.default_language,
                                          record.survey.default_language),
            version=record.version, link=link)

    await _change_survey(context, command, "survey.publish",
                         lambda surveys, survey_id: surveys.publish(survey_id),
                         usage=N_("Usage: /publish <survey id>"),
                         refused=N_("{id} has no draft to publish. Send the survey file first."),
                         done=published)


@moderator_only(Permission.MANAGE_SURVEYS)
async def close_survey(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/close <id>: stop taking answers."""

    def closed(tr: Translator, record: SurveyRecord) -> str:
        _ = tr.gettext
        return _("Closed {id}: it takes no more answers. Its results stay available with "
                 "/summary and /export.").format(id=record.survey_id)

    await _change_survey(context, command, "survey.close",
                         lambda surveys, survey_id: surveys.close(survey_id),
                         usage=N_("Usage: /close <survey id>"),
                         refused=N_("{id} is not open."), done=closed)


async def _change_survey(
    context: BotContext, command: ModeratorCommand, action: str,
    change: Callable[[SurveyRepository, str], Awaitable[SurveyRecord]], *,
    usage: str, refused: str, done: Callable[[Translator, SurveyRecord], str],
) -> None:
    """One step of a survey's life cycle (publish, close), checked, audited and confirmed.

    Args:
        context: The handler's context.
        command: The moderator who sent it.
        action: The audit log's name of the step.
        change: The storage call making the step; raises ``NotFound`` or
            ``InvalidTransition``.
        usage: ``N_``-marked usage line, for a command without a survey id.
        refused: ``N_``-marked ``{id}`` text, for a survey not in a state to take the step.
        done: The confirmation, in the moderator's language.
    """
    user_id, chat_id, tr = command.user_id, command.chat_id, command.tr
    _ = tr.gettext
    if not context.args:
        await context.bot.send_message(chat_id, _(usage))
        return
    survey_id = context.args[0]
    try:
        record = await change(context.services.storage.surveys, survey_id)
    except NotFound:
        await context.bot.send_message(chat_id, _("There is no survey with the id {id}.").format(
            id=survey_id))
        return
    except InvalidTransition:
        await context.bot.send_message(chat_id, _(refused).format(id=survey_id))
        return
    await audit(context, user_id, action, survey_id=survey_id, version=record.version)
    await context.bot.send_message(chat_id, done(tr, record))


async def _menus_at_start(application: ConsultbotApplication) -> None:
    """Give every stored moderator their menu (admins get theirs from bot.application)."""
    for moderator_id in await application.services.storage.moderators.ids():
        if moderator_id not in application.services.settings.admins:
            await set_moderator_menu(application, moderator_id)


async def file_outside_a_dialog(update: Update, context: BotContext) -> None:
    """A file outside any dialog: a survey definition is an upload, anything else is refused.

    The owner of files in every mode that does not take files itself (idle, consent,
    survey answer, and the moderators' text dialogs), so a moderator can upload a survey
    whatever they were doing.
    """
    message = update.effective_message
    document = message.document if message is not None else None
    name = (document.file_name or "") if document is not None else ""
    if PurePath(name).suffix.lower() in SURVEY_EXTENSIONS:
        await upload_survey(update, context)
    else:
        await file_not_taken(update, context)


def register(application: ConsultbotApplication, router: Router) -> None:
    """Moderator commands (survey uploads arrive through the router)."""
    private = filters.ChatType.PRIVATE
    commands = [
        ("summary", N_("Summary and charts of a survey"), moderation_results.summary),
        ("export", N_("Export responses (csv, xlsx or json)"), moderation_results.export),
        ("publish", N_("Publish an uploaded survey"), publish_survey),
        ("close", N_("Close a survey"), close_survey),
        ("announce", N_("Send an update to a survey's subscribers"),
         moderation_announce.announce),
        ("mods", N_("List moderators"), list_moderators),
        ("addmod", N_("Add a moderator (admins)"), add_moderator),
        ("delmod", N_("Remove a moderator (admins)"), remove_moderator),
        ("2fa", N_("Set up or confirm your second factor"), second_factor),
        ("audit", N_("Read the audit log (admins)"), show_audit),
    ]
    for name, description, callback in commands:
        add_command(application, name, description, CommandScope.MODERATOR)
        application.add_handler(CommandHandler(name, callback, filters=private))
    moderation_announce.register(router)
    application.on_initialize.append(_menus_at_start)
