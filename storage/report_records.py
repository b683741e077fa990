"""The values the report repository returns: frozen, with no database row inside.

Kept apart from :mod:`storage.reports` so the repository module stays about SQL and
encryption, and handlers can read these shapes without the queries.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from enum import StrEnum

from storage.attachments import Attachment

__all__ = [
    "CLOSED_STATUSES",
    "DigestCounts",
    "FiledReport",
    "Report",
    "ReportItem",
    "ReportStatus",
    "ReportSummary",
    "ReporterView",
]


class ReportStatus(StrEnum):
    """Where a report stands in the moderators' triage."""

    NEW = "new"
    IN_REVIEW = "in_review"
    FORWARDED = "forwarded"
    RESOLVED = "resolved"
    REJECTED = "rejected"


#: A closed report starts its retention countdown (see :meth:`ReportRepository.purge_closed`).
CLOSED_STATUSES = frozenset({ReportStatus.RESOLVED, ReportStatus.REJECTED})


@dataclass(frozen=True, slots=True)
class FiledReport:
    """The result of filing: the receipt is returned exactly once and never stored."""

    report_id: str
    receipt: str


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """Metadata a moderator may see in any mode."""

    report_id: str
    category: str
    status: ReportStatus
    sealed: bool
    filed_on: _dt.date
    updated_on: _dt.date
    closed_on: _dt.date | None
    followups: int
    files: int
    replies: int


@dataclass(frozen=True, slots=True)
class ReportItem:
    """A follow-up, file or reply; ``readable`` is false when this process has no key."""

    seq: int
    kind: str
    added_on: _dt.date
    readable: bool
    text: str | None = None
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A report as far as this process can read it (``body`` is ``None`` when sealed)."""

    summary: ReportSummary
    body: str | None
    items: tuple[ReportItem, ...]


@dataclass(frozen=True, slots=True)
class ReporterView:
    """What ``/status`` shows: status and replies, never the reporter's own text."""

    report_id: str
    status: ReportStatus
    filed_on: _dt.date
    updated_on: _dt.date
    replies: tuple[tuple[_dt.date, str], ...]
    followups: int
    files: int


@dataclass(frozen=True, slots=True)
class DigestCounts:
    """The numbers of one digest: reports not yet announced, and all open ones."""

    new: int
    open: int
