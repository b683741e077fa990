"""Anonymous reports: filing, follow-ups, moderator triage, digest counts and retention.

What a report row holds is listed in migration 0002: no identity of any kind, days instead
of times, a random id, ciphertexts for everything the reporter wrote. This repository does
the encryption and decryption itself (with a :class:`~storage.sealing.ReportCipher`) so
that no caller can store a plaintext body by mistake, and it hashes receipts off the event
loop because scrypt is deliberately slow.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import functools
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite

from storage.attachments import Attachment, pack_attachment, unpack_attachment
from storage.errors import NotFound
from storage.receipts import (
    ALPHABET,
    ReceiptHash,
    hash_receipt,
    lookup_id,
    new_receipt,
    normalize,
    verify_receipt,
)
from storage.report_records import (
    CLOSED_STATUSES,
    DigestCounts,
    FiledReport,
    Report,
    ReporterView,
    ReportItem,
    ReportStatus,
    ReportSummary,
)
from storage.sealing import CannotOpen, ReportCipher

__all__ = [
    "CLOSED_STATUSES",
    "DigestCounts",
    "FiledReport",
    "Report",
    "ReportItem",
    "ReportRepository",
    "ReportStatus",
    "ReportSummary",
    "ReporterView",
]


def _today() -> _dt.date:
    return _dt.datetime.now(_dt.UTC).date()


def _day(value: object) -> _dt.date:
    return _dt.date.fromisoformat(str(value))


def _new_report_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(8))


_SUMMARY_SQL = """
SELECT r.report_id, r.category, r.status, r.sealed, r.filed_on, r.updated_on, r.closed_on,
       (SELECT count(*) FROM report_items i WHERE i.report_id = r.report_id AND i.kind = 'followup'),
       (SELECT count(*) FROM report_items i WHERE i.report_id = r.report_id AND i.kind = 'file'),
       (SELECT count(*) FROM report_items i WHERE i.report_id = r.report_id AND i.kind = 'reply')
FROM reports r
"""


def _insert_report(
    connection: sqlite3.Connection, report: tuple[object, ...], files: Sequence[tuple[object, ...]]
) -> None:
    connection.execute(
        "INSERT INTO reports (report_id, receipt_lookup, receipt_salt, receipt_hash,"
        " category, status, sealed, body, filed_on, updated_on)"
        " VALUES (?, ?, ?, ?, ?, 'new', ?, ?, ?, ?)",
        report,
    )
    connection.executemany(
        "INSERT INTO report_items (report_id, seq, kind, content, added_on)"
        " VALUES (?, ?, 'file', ?, ?)",
        files,
    )


def _summary(row: Any) -> ReportSummary:
    return ReportSummary(
        report_id=str(row[0]),
        category=str(row[1]),
        status=ReportStatus(row[2]),
        sealed=bool(row[3]),
        filed_on=_day(row[4]),
        updated_on=_day(row[5]),
        closed_on=None if row[6] is None else _day(row[6]),
        followups=int(row[7]),
        files=int(row[8]),
        replies=int(row[9]),
    )


class ReportRepository:
    """Reports in the database, encrypted by ``cipher``.

    Args:
        db: The :class:`storage.database.Database`.
        cipher: Seals new content; opens what its keys allow.
        receipt_key: ``ServerSecret.derive_key(RECEIPTS_PURPOSE)`` for the receipt lookup HMAC.
        today: The current UTC day; tests pass their own.
    """

    __slots__ = ("_cipher", "_db", "_receipt_key", "_today")

    def __init__(
        self,
        db: Any,
        cipher: ReportCipher,
        receipt_key: bytes,
        today: Callable[[], _dt.date] = _today,
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._receipt_key = receipt_key
        self._today = today

    @property
    def sealed(self) -> bool:
        """Whether new reports are sealed to the moderators' key."""
        return self._cipher.sealed

    # --- reporters ---------------------------------------------------------------------

    async def file(
        self, category: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> FiledReport:
        """Store a new report and its files in one transaction, and mint its receipt.

        Either everything is stored or nothing is: a report never exists without its files.
        """
        body_ct = self._cipher.seal(body.encode("utf-8"))
        files_ct = [self._cipher.seal(pack_attachment(a)) for a in attachments]
        day = self._today().isoformat()
        sealed = int(self._cipher.sealed)
        for _ in range(5):  # a duplicate id or lookup is astronomically rare; retry anyway
            receipt = new_receipt()
            stored = await asyncio.to_thread(hash_receipt, receipt, self._receipt_key)
            report_id = _new_report_id()

            report = (report_id, stored.lookup, stored.salt, stored.hash, category, sealed,
                      body_ct, day, day)
            files = [(report_id, seq, content, day)
                     for seq, content in enumerate(files_ct, start=1)]
            try:
                await self._db.write(functools.partial(_insert_report, report=report, files=files))
            except sqlite3.IntegrityError:
                continue
            return FiledReport(report_id=report_id, receipt=receipt)
        raise RuntimeError("could not allocate a unique report id")

    async def find_by_receipt(self, typed: str) -> str | None:
        """Return the id of the report a typed receipt opens, or ``None``.

        Costs one scrypt whatever is typed (malformed, unknown or right), so the answer
        time says nothing about the code.
        """
        code = normalize(typed)
        lookup = lookup_id(code if code is not None else "", self._receipt_key)

        async def select(connection: aiosqlite.Connection) -> Any:
            cursor = await connection.execute(
                "SELECT report_id, receipt_salt, receipt_hash FROM reports"
                " WHERE receipt_lookup = ?",
                (lookup,),
            )
            return await cursor.fetchone()

        row = await self._db.read(select)
        stored = None if row is None else ReceiptHash(lookup, bytes(row[1]), bytes(row[2]))
        if await asyncio.to_thread(verify_receipt, code, stored):
            return str(row[0])
        return None

    async def reporter_view(self, report_id: str) -> ReporterView:
        """Status and moderator replies for ``/status``."""
        report = await self.get(report_id)
        replies = tuple(
            (item.added_on, item.text if item.text is not None else "")
            for item in report.items
            if item.kind == "reply"
        )
        s = report.summary
        return ReporterView(s.report_id, s.status, s.filed_on, s.updated_on, replies,
                            s.followups, s.files)

    async def add_followup(self, report_id: str, text: str) -> None:
        """Append a reporter's follow-up message (sealed like the body)."""
        await self._add_item(report_id, "followup", self._cipher.seal(text.encode("utf-8")))

    async def add_file(self, report_id: str, attachment: Attachment) -> None:
        """Append a cleaned file sent later through ``/status``."""
        await self._add_item(report_id, "file", self._cipher.seal(pack_attachment(attachment)))

    # --- moderators --------------------------------------------------------------------

    async def add_reply(self, report_id: str, text: str) -> None:
        """Store a moderator's reply, readable by the server so ``/status`` can show it."""
        await self._add_item(report_id, "reply", self._cipher.seal_for_server(
            text.encode("utf-8")))

    async def list_reports(
        self, statuses: Sequence[ReportStatus] | None = None, limit: int = 20, offset: int = 0
    ) -> list[ReportSummary]:
        """Reports newest day first (random order within a day, by id)."""
        wanted = [s.value for s in (statuses or list(ReportStatus))]
        marks = ", ".join("?" for _ in wanted)

        async def select(connection: aiosqlite.Connection) -> list[Any]:
            cursor = await connection.execute(
                _SUMMARY_SQL + f" WHERE r.status IN ({marks})"
                " ORDER BY r.filed_on DESC, r.report_id LIMIT ? OFFSET ?",
                (*wanted, limit, offset),
            )
            return list(await cursor.fetchall())

        return [_summary(row) for row in await self._db.read(select)]

    async def summary(self, report_id: str) -> ReportSummary:
        """Metadata of one report.

        Raises:
            NotFound: No such report (or it was deleted).
        """

        async def select(connection: aiosqlite.Connection) -> Any:
            cursor = await connection.execute(_SUMMARY_SQL + " WHERE r.report_id = ?",
                                              (report_id,))
            return await cursor.fetchone()

        row = await self._db.read(select)
        if row is None:
            raise NotFound(f"no report {report_id}")
        return _summary(row)

    async def get(self, report_id: str) -> Report:
        """A report with everything this process can decrypt.

        Raises:
            NotFound: No such report.
        """

        async def select(connection: aiosqlite.Connection) -> tuple[Any, Any, list[Any]]:
            await connection.execute("BEGIN")
            cursor = await connection.execute(_SUMMARY_SQL + " WHERE r.report_id = ?",
                                              (report_id,))
            head = await cursor.fetchone()
            cursor = await connection.execute(
                "SELECT body FROM reports WHERE report_id = ?", (report_id,))
            body = await cursor.fetchone()
            cursor = await connection.execute(
                "SELECT seq, kind, content, added_on FROM report_items WHERE report_id = ?"
                " ORDER BY seq", (report_id,))
            items = list(await cursor.fetchall())
            await connection.execute("COMMIT")
            return head, body, items

        head, body_row, rows = await self._db.read(select)
        if head is None:
            raise NotFound(f"no report {report_id}")
        body = self._open_text(bytes(body_row[0]))
        items = tuple(self._item(row) for row in rows)
        return Report(summary=_summary(head), body=body, items=items)

    async def set_status(self, report_id: str, status: ReportStatus) -> ReportSummary:
        """Move a report to ``status``; closing starts the retention countdown.

        Raises:
            NotFound: No such report.
        """
        day = self._today().isoformat()
        closed_on = day if status in CLOSED_STATUSES else None

        def update(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "UPDATE reports SET status = ?, updated_on = ?, closed_on = ?"
                " WHERE report_id = ?",
                (status.value, day, closed_on, report_id),
            )
            return cursor.rowcount

        if not await self._db.write(update):
            raise NotFound(f"no report {report_id}")
        return await self.summary(report_id)

    async def take_digest(self) -> DigestCounts:
        """Count reports not announced yet (and mark them announced), and all open ones."""

        def take(connection: sqlite3.Connection) -> DigestCounts:
            cursor = connection.execute(
                "UPDATE reports SET announced = 1 WHERE announced = 0")
            new = cursor.rowcount
            cursor = connection.execute(
                "SELECT count(*) FROM reports WHERE closed_on IS NULL")
            row = cursor.fetchone()
            return DigestCounts(new=int(new), open=int(row[0]))

        counts: DigestCounts = await self._db.write(take)
        return counts

    async def delete(self, report_id: str) -> bool:
        """Erase one report and its items (overwritten: secure_delete, WAL truncated)."""

        def remove(connection: sqlite3.Connection) -> int:
            cursor = connection.execute("DELETE FROM reports WHERE report_id = ?",
                                              (report_id,))
            return cursor.rowcount

        return bool(await self._db.write(remove, checkpoint=True))

    async def purge_closed(self, retention_days: int) -> int:
        """Erase reports closed at least ``retention_days`` days ago; return how many."""
        cutoff = (self._today() - _dt.timedelta(days=retention_days)).isoformat()

        def remove(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "DELETE FROM reports WHERE closed_on IS NOT NULL AND closed_on <= ?", (cutoff,))
            return cursor.rowcount

        removed: int = await self._db.write(remove, checkpoint=True)
        return removed

    # --- internals ---------------------------------------------------------------------

    async def _add_item(self, report_id: str, kind: str, content: bytes) -> None:
        day = self._today().isoformat()

        def insert(connection: sqlite3.Connection) -> None:
            cursor = connection.execute(
                "UPDATE reports SET updated_on = ? WHERE report_id = ?", (day, report_id))
            if cursor.rowcount == 0:
                raise NotFound(f"no report {report_id}")
            cursor = connection.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM report_items WHERE report_id = ?",
                (report_id,))
            (seq,) = cursor.fetchone()
            connection.execute(
                "INSERT INTO report_items (report_id, seq, kind, content, added_on)"
                " VALUES (?, ?, ?, ?, ?)",
                (report_id, int(seq), kind, content, day),
            )

        await self._db.write(insert)

    def _open_text(self, ciphertext: bytes) -> str | None:
        try:
            return self._cipher.open(ciphertext).decode("utf-8")
        except CannotOpen:
            return None

    def _item(self, row: Any) -> ReportItem:
        seq, kind, content, added_on = int(row[0]), str(row[1]), bytes(row[2]), _day(row[3])
        try:
            plaintext = self._cipher.open(content)
        except CannotOpen:
            return ReportItem(seq, kind, added_on, readable=False)
        if kind == "file":
            return ReportItem(seq, kind, added_on, True, attachment=unpack_attachment(plaintext))
        return ReportItem(seq, kind, added_on, True, text=plaintext.decode("utf-8"))
