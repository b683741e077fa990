"""/summary and /export: results for moderators, computed off the event loop.

Both use :mod:`bot.publication` (the same code as ``consultbot summary``/``export``),
so Telegram and the terminal agree to the number. Counting, charts and file writing run in
worker threads; a moderator's export never delays a participant's next question.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import tempfile
from pathlib import Path

from telegram import InputFile, InputMediaPhoto, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.moderation_access import Permission
from bot.publication import (
    SurveyNotFound,
    build_summary,
    export_responses,
    record_export,
)
from handlers.moderation.access import ModeratorCommand, audit, moderator_only
from handlers.shared.render import MESSAGE_LIMIT, send_long
from storage.audit import moderator_actor
from surveys.aggregation import BreakdownError
from surveys.charts import render_charts
from surveys.export import ExportFormat, ExportTooLarge
from surveys.summary_text import render_summary

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "export",
    "parse_summary_args",
    "split_message",
    "summary",
]

logger = logging.getLogger(__name__)

#: Bots may upload documents up to 50 MB; larger exports are for ``consultbot export``.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
#: Telegram albums hold 2 to 10 photos.
_ALBUM = 10


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at blank lines, then at line ends, so no figure is ever cut off or clipped."""
    chunks: list[str] = []
    current = ""
    for whole_line in text.split("\n"):
        line = whole_line[:limit]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        cut = current.rfind("\n\n")  # prefer ending a chunk between two questions
        if cut > 0:
            chunks.append(current[:cut])
            current = current[cut + 2:] + "\n" + line
        else:
            chunks.append(current)
            current = line
        if len(current) > limit:
            chunks.append(current[: current.rfind("\n")])
            current = line
    if current.strip():
        chunks.append(current)
    return [chunk.strip("\n") for chunk in chunks if chunk.strip()]


def parse_summary_args(args: list[str]) -> tuple[str, str | None] | None:
    """``<id>`` or ``<id> by <question>`` (``by`` may be left out); ``None`` if malformed."""
    if not args:
        return None
    if len(args) == 1:
        return args[0], None
    if len(args) == 3 and args[1].lower() == "by":
        return args[0], args[2]
    if len(args) == 2:
        return args[0], args[1]
    return None


@moderator_only(Permission.READ_RESULTS)
async def summary(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/summary <id> [by <question>]: the suppressed summary as text, then the charts."""
    user_id, chat_id, tr = command.user_id, command.chat_id, command.tr
    _ = tr.gettext
    parsed = parse_summary_args(list(context.args or []))
    if parsed is None:
        await context.bot.send_message(chat_id, _("Usage: /summary <survey id> [by <question id>]"))
        return
    survey_id, by = parsed
    services = context.services
    kept = await services.storage.retention.aggregate(survey_id)
    if kept is not None:  # aggregate-only after retention: the summary is all that is left
        await audit(context, user_id, "summary", survey_id=survey_id, by="")
        lines = [_("The answers to this survey were erased after its retention period; "
                   "this is the summary kept from them."), *kept.split("\n")]
        await send_long(context.bot, chat_id, lines)
        return
    try:
        result = await build_summary(services.storage, survey_id, by=by,
                                     min_cell=services.settings.min_cell)
    except SurveyNotFound:
        await context.bot.send_message(chat_id, _("There is no survey with the id {id}.").format(
            id=survey_id))
        return
    except BreakdownError as error:
        await context.bot.send_message(chat_id, error.message.render(_))
        return
    await audit(context, user_id, "summary", survey_id=survey_id, by=by or "")
    text = render_summary(result, gettext=_, ngettext=tr.ngettext, locale=tr.language)
    for chunk in split_message(text):
        await context.bot.send_message(chat_id, chunk)
    charts = await asyncio.to_thread(render_charts, result, gettext=_, language=tr.language)
    survey = result.survey
    language = survey.language_for(tr.language)

    def caption(question_id: str) -> str:
        question = survey.question(question_id)
        label = question.label.get(language, survey.default_language) if question else ""
        return (label or question_id)[:1000]

    for start in range(0, len(charts), _ALBUM):
        album = charts[start:start + _ALBUM]
        media = [InputMediaPhoto(InputFile(chart.png, filename=f"{chart.question_id}.png"),
                                 caption=caption(chart.question_id)) for chart in album]
        try:
            if len(media) == 1:
                await context.bot.send_photo(chat_id, media[0].media,
                                             caption=caption(album[0].question_id))
            else:
                await context.bot.send_media_group(chat_id, media)
        except TelegramError as error:
            logger.warning("Charts could not be sent (%s)", type(error).__name__)


@moderator_only(Permission.READ_RESULTS)
async def export(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/export <id> [csv|xlsx|json]: the responses as a document, recorded in the audit log."""
    user_id, chat_id, tr = command.user_id, command.chat_id, command.tr
    _ = tr.gettext
    args = list(context.args or [])
    formats = [f.value for f in ExportFormat]
    if not args or len(args) > 2 or (len(args) == 2 and args[1].lower() not in formats):
        await context.bot.send_message(chat_id, _("Usage: /export <survey id> [csv|xlsx|json]"))
        return
    survey_id = args[0]
    fmt = ExportFormat(args[1].lower()) if len(args) == 2 else ExportFormat.CSV
    storage = context.services.storage
    with tempfile.TemporaryDirectory(prefix="consultbot-export-") as directory:
        name = f"{survey_id}-{_dt.datetime.now(_dt.UTC).date().isoformat()}.{fmt.value}"
        path = Path(directory) / name
        try:
            result = await export_responses(storage, survey_id, fmt, path,
                                            min_cell=context.services.settings.min_cell)
        except SurveyNotFound:
            await context.bot.send_message(chat_id, _("There is no survey with the id {id}.")
                                           .format(id=survey_id))
            return
        except ExportTooLarge:
            await context.bot.send_message(chat_id, _("Too many responses for one XLSX sheet. "
                                                      "Export CSV or JSON instead."))
            return
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            await context.bot.send_message(chat_id, _("The export is larger than Telegram allows "
                                                      "(50 MB). Use 'consultbot export' on the "
                                                      "server."))
            return
        caption = _("{rows} responses · SHA-256 {sha256}").format(rows=result.rows,
                                                                   sha256=result.sha256[:16])
        with path.open("rb") as file:
            await context.bot.send_document(chat_id, InputFile(file, filename=name),
                                            caption=caption)
    await record_export(storage, moderator_actor(storage.secret, user_id), survey_id, result)
