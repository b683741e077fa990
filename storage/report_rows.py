"""The SQL of the report tables: the statements, and a row turned into its record.

Split from :mod:`storage.reports` so that the repository reads as what it is for, sealing
and opening what reporters and moderators write, hashing receipts, deriving each report's
key, while the statements it runs sit here as plain functions of a connection: the
synchronous ones for the writer thread (``storage/writer.py``), the async ones for a
reader. Nothing here sees a plaintext: every ``content`` and ``body`` is ciphertext the
repository sealed. :mod:`storage.report_routing` lists reports in the same summary shape,
so both take it from here.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from storage.errors import NotFound
from storage.report_records import DigestCounts, ReportStatus, ReportSummary
from storage.reporter_keys import ReporterKey

__all__ = [
    "DIGEST_SQL",
    "SUMMARY_SQL",
    "delete_closed",
    "delete_report",
    "digest_counts",
    "insert_item",
    "insert_report",
    "parse_day",
    "reporter_key_from_row",
    "select_receipt",
    "select_report",
    "select_reporter_key",
    "select_summaries",
    "select_summary",
    "summary_from_row",
    "update_status",
]

#: One report's metadata and item counts; callers append their ``WHERE`` (and order).
SUMMARY_SQL = """
SELECT r.report_id, r.category, r.status, r.sealed, r.filed_on, r.updated_on, r.closed_on,
       (SELECT count(*) FROM report_items i WHERE i.report_id = r.report_id AND i.kind = 'followup'),
       (SELECT count(*) FROM report_items i WHERE i.report_id = r.report_id AND i.kind = 'file'),
       (SELECT count(*) FROM report_items i WHERE i.report_id = r.report_id AND i.kind = 'reply'),
       (SELECT count(*) FROM report_notes n WHERE n.report_id = r.report_id)
FROM reports r
"""


def parse_day(value: object) -> _dt.date:
    """A stored ISO day (reports keep days, never times)."""
    return _dt.date.fromisoformat(str(value))


def summary_from_row(row: Any) -> ReportSummary:
    """The :class:`ReportSummary` of one row of :data:`SUMMARY_SQL`."""
    return ReportSummary(
        report_id=str(row[0]),
        category=str(row[1]),
        status=ReportStatus(row[2]),
        sealed=bool(row[3]),
        filed_on=parse_day(row[4]),
        updated_on=parse_day(row[5]),
        closed_on=None if row[6] is None else parse_day(row[6]),
        followups=int(row[7]),
        files=int(row[8]),
        replies=int(row[9]),
        notes=int(row[10]),
    )


def reporter_key_from_row(row: Any) -> ReporterKey | None:
    """The stored public half of a report's own key, from :func:`select_reporter_key`."""
    if row is None or row[0] is None:
        return None  # filed before reports had their own key (migration 0007)
    return ReporterKey(bytes(row[0]), bytes(row[1]), str(row[2]))


# --- writes (run in the writer thread) -----------------------------------------------


def insert_report(
    connection: sqlite3.Connection, report: tuple[object, ...], files: Sequence[tuple[object, ...]]
) -> None:
    """Insert a new report and its files; both or neither, as one write."""
    connection.execute(
        "INSERT INTO reports (report_id, receipt_lookup, receipt_salt, receipt_hash,"
        " category, status, sealed, body, filed_on, updated_on, reporter_key,"
        " reporter_salt, reporter_kdf)"
        " VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?)",
        report,
    )
    connection.executemany(
        "INSERT INTO report_items (report_id, seq, kind, content, added_on)"
        " VALUES (?, ?, 'file', ?, ?)",
        files,
    )


def insert_item(
    connection: sqlite3.Connection, report_id: str, kind: str, content: bytes, day: str
) -> None:
    """Append one sealed item (or note) to a report and mark the report updated on ``day``.

    Raises:
        NotFound: No such report.
    """
    # Notes have their own table: no query for the reporter can ever return one.
    table = "report_notes" if kind == "note" else "report_items"
    cursor = connection.execute(
        "UPDATE reports SET updated_on = ? WHERE report_id = ?", (day, report_id))
    if cursor.rowcount == 0:
        raise NotFound(f"no report {report_id}")
    cursor = connection.execute(
        f"SELECT coalesce(max(seq), 0) + 1 FROM {table} WHERE report_id = ?",  # table: one of two constants
        (report_id,))
    (seq,) = cursor.fetchone()
    if kind == "note":
        connection.execute(
            "INSERT INTO report_notes (report_id, seq, content, added_on)"
            " VALUES (?, ?, ?, ?)", (report_id, int(seq), content, day))
    else:
        connection.execute(
            "INSERT INTO report_items (report_id, seq, kind, content, added_on)"
            " VALUES (?, ?, ?, ?, ?)", (report_id, int(seq), kind, content, day))


def update_status(
    connection: sqlite3.Connection, report_id: str, status: ReportStatus, day: str,
    closed_on: str | None,
) -> int:
    """Set a report's status; return how many rows changed (0: no such report)."""
    cursor = connection.execute(
        "UPDATE reports SET status = ?, updated_on = ?, closed_on = ?"
        " WHERE report_id = ?",
        (status.value, day, closed_on, report_id),
    )
    return cursor.rowcount


#: What a digest counts: reports waiting for triage, and open ones (migration 0014).
DIGEST_SQL = ("SELECT sum(status = 'new'), sum(closed_on IS NULL) FROM reports")


def digest_counts(row: Sequence[object]) -> DigestCounts:
    """The counts of :data:`DIGEST_SQL`'s row (sums of no rows are NULL)."""
    return DigestCounts(new=int(str(row[0] or 0)), open=int(str(row[1] or 0)))


def delete_report(connection: sqlite3.Connection, report_id: str) -> int:
    """Delete one report (its items and notes follow by foreign key); return the count."""
    cursor = connection.execute("DELETE FROM reports WHERE report_id = ?",
                                (report_id,))
    return cursor.rowcount


def delete_closed(connection: sqlite3.Connection, cutoff: str) -> int:
    """Delete the reports closed on or before the ISO day ``cutoff``; return how many."""
    cursor = connection.execute(
        "DELETE FROM reports WHERE closed_on IS NOT NULL AND closed_on <= ?", (cutoff,))
    return cursor.rowcount


# --- reads (run on a reader connection) ----------------------------------------------


async def select_receipt(connection: aiosqlite.Connection, lookup: bytes) -> Any:
    """The id, salt and hash stored under a receipt's lookup id, or ``None``."""
    cursor = await connection.execute(
        "SELECT report_id, receipt_salt, receipt_hash FROM reports"
        " WHERE receipt_lookup = ?",
        (lookup,),
    )
    return await cursor.fetchone()


async def select_summaries(
    connection: aiosqlite.Connection, statuses: Sequence[str], limit: int, offset: int
) -> list[Any]:
    """Summary rows of reports in ``statuses``, newest day first (by id within a day)."""
    marks = ", ".join("?" for _ in statuses)
    cursor = await connection.execute(
        SUMMARY_SQL + f" WHERE r.status IN ({marks})"
        " ORDER BY r.filed_on DESC, r.report_id LIMIT ? OFFSET ?",
        (*statuses, limit, offset),
    )
    return list(await cursor.fetchall())


async def select_summary(connection: aiosqlite.Connection, report_id: str) -> Any:
    """The summary row of one report, or ``None``."""
    cursor = await connection.execute(SUMMARY_SQL + " WHERE r.report_id = ?",
                                      (report_id,))
    return await cursor.fetchone()


async def select_report(
    connection: aiosqlite.Connection, report_id: str
) -> tuple[Any, Any, list[Any], list[Any]]:
    """A report's summary row, body, items and notes, read in one snapshot.

    The head is ``None`` when there is no such report.
    """
    await connection.execute("BEGIN")
    cursor = await connection.execute(SUMMARY_SQL + " WHERE r.report_id = ?",
                                      (report_id,))
    head = await cursor.fetchone()
    cursor = await connection.execute(
        "SELECT body FROM reports WHERE report_id = ?", (report_id,))
    body = await cursor.fetchone()
    cursor = await connection.execute(
        "SELECT seq, kind, content, added_on FROM report_items WHERE report_id = ?"
        " ORDER BY seq", (report_id,))
    items = list(await cursor.fetchall())
    cursor = await connection.execute(
        "SELECT seq, 'note', content, added_on FROM report_notes WHERE report_id = ?"
        " ORDER BY seq", (report_id,))
    notes = list(await cursor.fetchall())
    await connection.execute("COMMIT")
    return head, body, items, notes


async def select_reporter_key(connection: aiosqlite.Connection, report_id: str) -> Any:
    """The row :func:`reporter_key_from_row` reads, or ``None``."""
    cursor = await connection.execute(
        "SELECT reporter_key, reporter_salt, reporter_kdf FROM reports"
        " WHERE report_id = ?", (report_id,))
    return await cursor.fetchone()
