"""The values the report repository returns: frozen, with no database row inside.

Kept apart from :mod:`storage.reports` (encryption) and :mod:`storage.report_rows` (SQL),
so handlers can read these shapes without the queries.
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
    notes: int = 0


@dataclass(frozen=True, slots=True)
class ReportItem:
    """A follow-up, file, reply or note; ``readable`` is false when this process has no key.

    ``kind`` is ``"followup"``, ``"file"`` or ``"reply"`` in :attr:`Report.items`, and
    ``"note"`` in :attr:`Report.notes`.
    """

    seq: int
    kind: str
    added_on: _dt.date
    readable: bool
    text: str | None = None
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A report as far as this process can read it (``body`` is ``None`` when sealed).

    ``notes`` are the moderators' internal notes, kept apart from ``items`` so that nothing
    built from ``items`` for the reporter can include one.
    """

    summary: ReportSummary
    body: str | None
    items: tuple[ReportItem, ...]
    notes: tuple[ReportItem, ...] = ()


@dataclass(frozen=True, slots=True)
class ReporterView:
    """What ``/status`` shows: status and replies, never the reporter's own text.

    ``sealed_replies`` counts replies sealed to the reporter that could not be opened
    because no (or a wrong) receipt was given: they are not in ``replies``.
    """

    report_id: str
    status: ReportStatus
    filed_on: _dt.date
    updated_on: _dt.date
    replies: tuple[tuple[_dt.date, str], ...]
    followups: int
    files: int
    sealed_replies: int = 0


@dataclass(frozen=True, slots=True)
class DigestCounts:
    """The numbers of one digest: reports waiting for triage (status new), and open ones."""

    new: int
    open: int
