"""The daily retention job: erase what is due, warn handlers first, audit the counts.

Runs every day (and once at start-up, so a bot that was down on the due day still
erases on time):

* reports closed ``report_retention_days`` ago are erased;
* reports never closed are erased ``report_open_max_days`` after they were filed; the
  handlers of their categories are warned (counts only) :data:`WARNING_DAYS` before;
* a closed survey's answers are erased, or reduced to their protected summary
  (aggregate-only), ``survey_retention_days`` after it closed (or per survey:
  ``consultbot retention``), and its "has responded" markers with them;
* unfinished answers nobody touched for ``draft_expiry_days`` are erased, also while
  their survey stays open;
* audit entries older than ``audit_retention_days`` are erased from the chain's start.

One audit entry records what was erased, as counts only (none when nothing was).
"""

from __future__ import annotations

import datetime as _dt
import logging
from typing import TYPE_CHECKING

from telegram import User
from telegram.error import TelegramError

from bot.moderation_access import Grant
from bot.publication import SurveyNotFound, build_summary
from storage.retention import SurveyPolicy
from surveys.summary_text import render_summary

if TYPE_CHECKING:
    from bot.context import ConsultbotApplication, Services

__all__ = ["RETENTION_ACTOR", "WARNING_DAYS", "run_retention", "warning_text"]

logger = logging.getLogger(__name__)

RETENTION_ACTOR = "retention"
#: How long before erasing a never-closed report its handlers are warned.
WARNING_DAYS = 14


def warning_text(gettext: object, count: int) -> str:
    """The warning to handlers, in their language (counts only, no report ids)."""
    _ = gettext
    assert callable(_)
    text: str = _("Retention warning: {count} open reports will be erased within {days} days "
                  "because they were never closed. Use /reports to close or act on them."
                  ).format(count=count, days=WARNING_DAYS)
    return text


def _today() -> _dt.date:
    return _dt.datetime.now(_dt.UTC).date()


async def _aggregate_text(services: Services, survey_id: str) -> str | None:
    """The protected summary, in the bot's default language, as an aggregate-only survey keeps."""
    translator = services.translations.translator(services.translations.default_language)
    try:
        result = await build_summary(services.storage, survey_id, by=None,
                                     min_cell=services.settings.min_cell)
    except SurveyNotFound:
        return None
    return render_summary(result, gettext=translator.gettext, ngettext=translator.ngettext,
                          locale=translator.language)


async def _warn(application: ConsultbotApplication, handlers: list[Grant],
                counts: dict[str, int]) -> None:
    services = application.services
    for grant in handlers:
        count = sum(n for category, n in counts.items() if grant.handles(category))
        if not count:
            continue
        user = User(id=grant.user_id, first_name="", is_bot=False)
        translator = services.translations.translator(
            services.bot_language(await services.wished_languages(user)))
        try:
            await application.bot.send_message(grant.user_id,
                                               warning_text(translator.gettext, count))
        except TelegramError as error:
            logger.warning("A retention warning could not be delivered (%s)",
                           type(error).__name__)


async def run_retention(application: ConsultbotApplication,
                        today: _dt.date | None = None) -> dict[str, int]:
    """Erase everything due today; returns (and audits) the counts."""
    from bot.report_jobs import report_handlers  # the digest's recipients are the handlers

    services = application.services
    settings = services.settings
    storage = services.storage
    day = today or _today()
    retention = storage.retention
    counts = {
        "closed_reports": await retention.erase_closed_reports(
            day - _dt.timedelta(days=settings.report_retention_days)),
        "open_reports": await retention.erase_open_reports(
            day - _dt.timedelta(days=settings.report_open_max_days)),
        "surveys_deleted": 0, "surveys_aggregated": 0, "responses": 0,
        "stale_drafts": await retention.erase_stale_drafts(
            day - _dt.timedelta(days=settings.draft_expiry_days)),
    }
    soon = await retention.open_reports_by_category(
        day - _dt.timedelta(days=settings.report_open_max_days - WARNING_DAYS))
    if soon:
        await _warn(application, await report_handlers(services), soon)
    default = SurveyPolicy(settings.survey_retention_days, settings.survey_retention_action)
    for due in await retention.due_surveys(day, default):
        summary = (await _aggregate_text(services, due.survey_id)
                   if due.action == "aggregate" else None)
        counts["responses"] += await retention.erase_responses(due.survey_id, summary, day)
        counts["surveys_aggregated" if summary is not None else "surveys_deleted"] += 1
    counts["audit_entries"] = await retention.prune_audit(
        day - _dt.timedelta(days=settings.audit_retention_days))
    if any(counts.values()):  # an entry only when something was erased
        await storage.audit.append(RETENTION_ACTOR, "retention", counts)
        logger.info("Retention erased: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
