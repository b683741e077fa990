"""Routing reports to their handlers: listing by category, digests, assignment, notes.

Handlers may be limited to some report categories (``storage.moderators``); this module
answers the questions routing asks, in SQL: which reports of these categories, how many new
and open ones per category (for digests that reach only the handlers of a category), who
a report is assigned to, and the internal notes moderators keep about it.

Notes are sealed exactly like the report (``ReportCipher.seal``): with the moderators' key
configured the server cannot read them either. Assignment names the handler by audit
pseudonym, never a Telegram id.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.database import Database
from storage.errors import NotFound
from storage.report_records import ReportStatus, ReportSummary
from storage.report_rows import SUMMARY_SQL, summary_from_row  # one summary shape for both views
from storage.sealing import CannotOpen, ReportCipher

__all__ = ["CategoryCounts", "ReportNote", "ReportRouting"]


@dataclass(frozen=True, slots=True)
class CategoryCounts:
    """Reports waiting for triage (status new) and open reports of one category."""

    category: str
    new: int
    open: int


@dataclass(frozen=True, slots=True)
class ReportNote:
    """An internal note; ``text`` is ``None`` when this process cannot open it (sealed)."""

    seq: int
    added_on: _dt.date
    text: str | None


def _today() -> _dt.date:
    return _dt.datetime.now(_dt.UTC).date()


class ReportRouting:
    """Category views, digest counts, assignment and notes of reports."""

    __slots__ = ("_cipher", "_db", "_today")

    def __init__(self, db: Database, cipher: ReportCipher,
                 today: Callable[[], _dt.date] = _today) -> None:
        self._db = db
        self._cipher = cipher
        self._today = today

    async def list_reports(self, categories: Sequence[str] | None,
                           statuses: Sequence[ReportStatus] | None = None, limit: int = 20,
                           offset: int = 0) -> list[ReportSummary]:
        """Like ``ReportRepository.list_reports``, limited to ``categories`` (``None``: all)."""
        wanted = [s.value for s in (statuses or list(ReportStatus))]
        sql = SUMMARY_SQL + " WHERE r.status IN ({})".format(", ".join("?" for _ in wanted))
        params: list[object] = list(wanted)
        if categories is not None:
            sql += " AND r.category IN ({})".format(", ".join("?" for _ in categories))
            params.extend(categories)
        sql += " ORDER BY r.filed_on DESC, r.report_id LIMIT ? OFFSET ?"
        params.extend((limit, offset))

        async def work(connection: aiosqlite.Connection) -> list[ReportSummary]:
            return [summary_from_row(row) for row in await connection.execute_fetchall(sql, params)]

        return await self._db.read(work)

    async def report_ids(self, categories: Sequence[str] | None,
                         statuses: Sequence[ReportStatus]) -> set[str]:
        """Ids of the reports in ``categories`` (``None``: all) with one of ``statuses``."""
        wanted = [s.value for s in statuses]
        sql = "SELECT report_id FROM reports WHERE status IN ({})".format(
            ", ".join("?" for _ in wanted))
        params: list[object] = list(wanted)
        if categories is not None:
            sql += " AND category IN ({})".format(", ".join("?" for _ in categories))
            params.extend(categories)

        async def work(connection: aiosqlite.Connection) -> set[str]:
            rows = await connection.execute_fetchall(sql, params)
            return {str(row[0]) for row in rows}

        return await self._db.read(work)

    async def category_of(self, report_id: str) -> str:
        """The category of one report.

        Raises:
            NotFound: No such report.
        """

        async def work(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT category FROM reports WHERE report_id = ?", (report_id,)))

        rows = await self._db.read(work)
        if not rows:
            raise NotFound(f"no report {report_id}")
        return str(rows[0][0])

    async def digest_by_category(self) -> list[CategoryCounts]:
        """Per category: reports waiting for triage (status new), and open ones."""

        async def work(connection: aiosqlite.Connection) -> list[CategoryCounts]:
            rows = await connection.execute_fetchall(
                "SELECT category, sum(status = 'new'), sum(closed_on IS NULL) FROM reports"
                " GROUP BY category ORDER BY category")
            return [CategoryCounts(str(r[0]), int(r[1] or 0), int(r[2] or 0)) for r in rows]

        return await self._db.read(work)

    async def assign(self, report_id: str, handler: str | None) -> None:
        """Assign a report to one handler (audit pseudonym), or unassign with ``None``.

        Raises:
            NotFound: No such report.
        """
        await self.category_of(report_id)

        def work(connection: sqlite3.Connection) -> None:
            if handler is None:
                connection.execute(
                    "DELETE FROM report_assignments WHERE report_id = ?", (report_id,))
            else:
                connection.execute(
                    "INSERT INTO report_assignments (report_id, handler) VALUES (?, ?)"
                    " ON CONFLICT (report_id) DO UPDATE SET handler = excluded.handler",
                    (report_id, handler))

        await self._db.write(work)

    async def assignee(self, report_id: str) -> str | None:
        """The pseudonym of the handler a report is assigned to, if any."""

        async def work(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT handler FROM report_assignments WHERE report_id = ?", (report_id,)))

        rows = await self._db.read(work)
        return str(rows[0][0]) if rows else None

    async def add_note(self, report_id: str, text: str) -> None:
        """Store an internal note, sealed like the report.

        Raises:
            NotFound: No such report.
        """
        content = self._cipher.seal(text.encode("utf-8"))
        day = self._today().isoformat()

        def work(connection: sqlite3.Connection) -> None:
            cursor = connection.execute(
                "SELECT coalesce(max(seq), 0) + 1, (SELECT count(*) FROM reports"
                " WHERE report_id = ?) FROM report_notes WHERE report_id = ?",
                (report_id, report_id))
            row = cursor.fetchone()
            assert row is not None  # an aggregate always returns a row
            if not int(row[1]):
                raise NotFound(f"no report {report_id}")
            connection.execute(
                "INSERT INTO report_notes (report_id, seq, content, added_on)"
                " VALUES (?, ?, ?, ?)", (report_id, int(row[0]), content, day))

        await self._db.write(work)

    async def notes(self, report_id: str) -> list[ReportNote]:
        """The notes of a report, oldest first, opened where this process can."""

        async def work(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT seq, added_on, content FROM report_notes WHERE report_id = ?"
                " ORDER BY seq", (report_id,)))

        notes = []
        for seq, added_on, content in await self._db.read(work):
            try:
                text: str | None = self._cipher.open(bytes(content)).decode("utf-8")
            except CannotOpen:
                text = None
            notes.append(ReportNote(int(seq), _dt.date.fromisoformat(str(added_on)), text))
        return notes
