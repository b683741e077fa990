"""Scheduled report work: the moderators' digest and the retention purge.

**Digest.** Moderators learn of new reports only here, at fixed times (every
``report_digest_hours`` from midnight UTC, or at ``report_digest_times``), never at the
moment a report is filed: a notification seconds after someone used the bot would tie the
report to them for anyone who watches moderators' phones or the bot's traffic. It is sent
even when nothing is new, with the same wording every time, so its arrival says nothing.

**Retention.** The daily job of :mod:`bot.retention` (reports, survey answers, audit
entries) is scheduled here; it also runs once at start-up, so a bot that was down on the
due day still erases on time.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from typing import Any

from telegram import User
from telegram.error import TelegramError
from telegram.ext import CallbackContext

from bot.context import ConsultbotApplication, Services, services_of
from bot.moderation_access import Grant, Permission, Role
from bot.retention import run_retention

__all__ = ["digest_text", "next_aligned", "report_handlers", "schedule", "send_digest"]

logger = logging.getLogger(__name__)

_RETENTION_TIME = _dt.time(3, 17, tzinfo=_dt.UTC)


def digest_text(gettext: Callable[[str], str], new: int, open_total: int) -> str:
    """The digest, worded the same whatever the numbers (no plural forms, no "nothing new")."""
    _ = gettext
    return _("Reports digest. Waiting for triage: {new}. Open in total: {open}. "
             "Use /reports to review them.").format(new=new, open=open_total)


async def report_handlers(services: Services) -> list[Grant]:
    """Everyone who handles reports: admins and handlers (analysts never get digests)."""
    grants = [Grant(admin, Role.ADMIN) for admin in sorted(services.settings.admins)]
    for moderator in await services.storage.moderators.list():
        if moderator.user_id in services.settings.admins:
            continue
        grant = Grant(moderator.user_id, Role(moderator.role), moderator.categories)
        if grant.allows(Permission.HANDLE_REPORTS):
            grants.append(grant)
    return grants


async def send_digest(application: ConsultbotApplication) -> int:
    """Tell each handler how many reports of their categories wait for triage, and are open.

    A handler limited to some categories counts only those: a digest is routed like the
    reports it announces. Returns how many moderators were told.
    """
    services = services_of(application)
    by_category = await services.storage.report_routing.digest_by_category()
    told = 0
    for grant in await report_handlers(services):
        new = sum(c.new for c in by_category if grant.handles(c.category))
        open_total = sum(c.open for c in by_category if grant.handles(c.category))
        user = User(id=grant.user_id, first_name="", is_bot=False)
        language = services.bot_language(await services.wished_languages(user))
        translator = services.translations.translator(language)
        try:
            await application.bot.send_message(
                grant.user_id, digest_text(translator.gettext, new, open_total))
            told += 1
        except TelegramError as error:
            logger.warning("A report digest could not be delivered (%s)", type(error).__name__)
    return told


def next_aligned(now: _dt.datetime, hours: float) -> _dt.datetime:
    """The next multiple of ``hours`` after midnight UTC that is later than ``now``."""
    midnight = now.astimezone(_dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    step = _dt.timedelta(hours=hours)
    moment = midnight
    while moment <= now:
        moment += step
    return moment


async def _digest_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    assert isinstance(context.application, ConsultbotApplication)
    await send_digest(context.application)


async def _retention_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    assert isinstance(context.application, ConsultbotApplication)
    await run_retention(context.application)


def schedule(application: ConsultbotApplication) -> None:
    """Schedule the digest and retention, and run retention once at start-up."""
    settings = application.services.settings

    async def retention_at_start(app: ConsultbotApplication) -> None:
        await run_retention(app)

    application.on_initialize.append(retention_at_start)
    jobs = application.job_queue
    if jobs is None:  # python-telegram-bot without the job-queue extra
        raise RuntimeError("consultbot needs python-telegram-bot[job-queue]")
    jobs.run_daily(_retention_job, _RETENTION_TIME, name="report-retention")
    if settings.report_digest_times:
        for text in settings.report_digest_times:
            hour, minute = (int(part) for part in text.split(":"))
            jobs.run_daily(_digest_job, _dt.time(hour, minute, tzinfo=_dt.UTC),
                           name="report-digest")
    else:
        first = next_aligned(_dt.datetime.now(_dt.UTC), settings.report_digest_hours)
        jobs.run_repeating(_digest_job, interval=_dt.timedelta(hours=settings.report_digest_hours),
                           first=first, name="report-digest")
