"""The report workflow: what a report may contain, and filing a draft exactly once.

Drafts live in the reporter's session (:class:`bot.sessions.ReportDraft`), in memory only
and keyed by pseudonym, never in the database (ARCHITECTURE.md, "Privacy rules"): a stored
draft, even encrypted, would be a trace of someone *considering* a report. Nothing is
written before "Send", and then everything in one transaction. Filing is deliberately
neither logged nor audited: a log line's timestamp would record the moment of filing,
which the stored day-only dates are meant to hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Config
from bot.events import ReportFiled
from bot.sessions import DraftStage, ReportDraft
from surveys.messages import N_

if TYPE_CHECKING:
    from bot.context import Services

__all__ = [
    "DEFAULT_CATEGORIES",
    "MAX_FILES",
    "MAX_TEXT",
    "Filed",
    "TooManyReports",
    "categories",
    "file_draft",
    "is_moderator",
    "max_file_bytes",
]

#: Category id -> English label (translated when shown). Operators may configure other ids.
DEFAULT_CATEGORIES: dict[str, str] = {
    "labour_rights": N_("Labour rights"),
    "freedom_of_expression": N_("Freedom of expression"),
    "safety_of_defenders": N_("Safety of defenders"),
    "discrimination": N_("Discrimination"),
    "corruption": N_("Corruption"),
    "other": N_("Other"),
}

#: Most characters of a description (all its messages together), or of one follow-up.
MAX_TEXT = 10_000
#: Most attachments per report.
MAX_FILES = 5


def categories(config: Config) -> tuple[str, ...]:
    """Category ids offered as buttons, in order: the configured ones or the built-in list."""
    return config.report_categories or tuple(DEFAULT_CATEGORIES)


def max_file_bytes(config: Config) -> int:
    """The largest attachment accepted, in bytes."""
    return int(config.report_max_file_mb * 1024 * 1024) or 10 * 1024 * 1024


async def is_moderator(services: Services, user_id: int) -> bool:
    """Admins from the configuration, or moderators added by an admin (storage.moderators)."""
    if user_id in services.settings.admins:
        return True
    return await services.storage.moderators.is_moderator(user_id)


class TooManyReports(Exception):
    """This person filed ``reports_per_hour`` reports in the last hour; the draft is kept."""


@dataclass(frozen=True, slots=True)
class Filed:
    """A filed report: the receipt is shown once and never stored."""

    report_id: str
    receipt: str


async def file_draft(services: Services, user_id: int, draft: ReportDraft) -> Filed | None:
    """File ``draft`` once: ``None`` when it is not (or no longer) the reporter's open draft.

    The draft is taken from the session (and the filing counted) with no ``await`` in
    between, so of two concurrent taps on "Send" only the one that takes it files it. If
    storing fails, the draft is given back so the reporter loses nothing. Publishes
    :class:`bot.events.ReportFiled` once the report is committed.

    Raises:
        TooManyReports: The hourly limit is reached; the draft stays open.
    """
    key = services.session_key(user_id)
    session = services.sessions.get(key)
    if session is None or session.dialog is not draft or draft.stage is not DraftStage.REVIEW:
        return None
    limits = services.report_limits
    limits.filings.limit = services.settings.reports_per_hour
    if not limits.filings.allowed(key):
        raise TooManyReports
    session.dialog = None  # taken, not wiped: its words are about to be stored
    limits.filings.record(key)
    assert draft.category is not None
    try:
        filed = await services.storage.reports.file(draft.category, draft.body, draft.attachments)
    except BaseException:
        if session.dialog is None:
            session.dialog = draft  # nothing was stored; the draft is not lost
        raise
    draft.wipe()
    await services.events.publish(ReportFiled(filed.report_id))
    return Filed(filed.report_id, filed.receipt)
