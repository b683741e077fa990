"""Anonymous reports: filing, follow-ups, moderator triage, digest counts and retention.

What a report row holds is listed in migration 0002: no identity of any kind, days instead
of times, a random id, ciphertexts for everything the reporter wrote. This repository does
the encryption and decryption itself (with a :class:`~storage.sealing.ReportCipher`) so
that no caller can store a plaintext body by mistake, and it hashes receipts and derives
each report's own key pair (:mod:`storage.reporter_keys`) off the event loop because
scrypt and Argon2id are deliberately slow. The statements it runs are in
:mod:`storage.report_rows`.
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
from nacl.public import PrivateKey, PublicKey

from storage import report_rows
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
from storage.reporter_keys import ReporterKey, derive_private_key, new_reporter_key
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


def _new_report_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(8))


def _mint(code: str, receipt_key: bytes) -> tuple[ReceiptHash, ReporterKey]:
    # Both slow hashes of a new receipt in one worker-thread hop.
    return hash_receipt(code, receipt_key), new_reporter_key(code)


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
            stored, reporter = await asyncio.to_thread(_mint, receipt, self._receipt_key)
            report_id = _new_report_id()

            report = (report_id, stored.lookup, stored.salt, stored.hash, category, sealed,
                      body_ct, day, day, reporter.public_key, reporter.salt, reporter.kdf)
            files = [(report_id, seq, content, day)
                     for seq, content in enumerate(files_ct, start=1)]
            try:
                await self._db.write(functools.partial(report_rows.insert_report,
                                                       report=report, files=files))
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
        row = await self._db.read(functools.partial(report_rows.select_receipt, lookup=lookup))
        stored = None if row is None else ReceiptHash(lookup, bytes(row[1]), bytes(row[2]))
        if await asyncio.to_thread(verify_receipt, code, stored):
            return str(row[0])
        return None

    async def reporter_view(self, report_id: str, receipt: str | None = None) -> ReporterView:
        """Status and moderator replies for ``/status``.

        Args:
            report_id: From :meth:`find_by_receipt`.
            receipt: The code as the reporter typed it. In sealed mode replies are sealed
                to the report's own key, which only this code derives (one Argon2id, in a
                worker thread); the derived key is used for this call and then dropped.
                Without it (or with a wrong one) such replies are only counted, in
                ``sealed_replies``.

        Raises:
            NotFound: No such report.
        """
        reporter_key = None
        code = normalize(receipt) if receipt is not None else None
        if code is not None:
            stored = await self._stored_reporter_key(report_id)
            if stored is not None:
                reporter_key = await asyncio.to_thread(derive_private_key, code, stored)
        report = await self._read(report_id, reporter_key)
        replies = tuple(
            (item.added_on, item.text)
            for item in report.items
            if item.kind == "reply" and item.text is not None
        )
        sealed_replies = sum(1 for item in report.items
                             if item.kind == "reply" and not item.readable)
        s = report.summary
        return ReporterView(s.report_id, s.status, s.filed_on, s.updated_on, replies,
                            s.followups, s.files, sealed_replies)

    async def add_followup(self, report_id: str, text: str) -> None:
        """Append a reporter's follow-up message (sealed like the body)."""
        await self._add_item(report_id, "followup", self._cipher.seal(text.encode("utf-8")))

    async def add_file(self, report_id: str, attachment: Attachment) -> None:
        """Append a cleaned file sent later through ``/status``."""
        await self._add_item(report_id, "file", self._cipher.seal(pack_attachment(attachment)))

    # --- moderators --------------------------------------------------------------------

    async def add_reply(self, report_id: str, text: str) -> None:
        """Store a moderator's reply for the reporter's ``/status``.

        In sealed mode it is sealed to the report's own key and the moderators' key, so
        the server cannot read it back; reports filed before they had their own key keep
        server-readable replies, or their reporter could never read them.

        Raises:
            NotFound: No such report.
        """
        stored = await self._stored_reporter_key(report_id)
        reporter_key = None if stored is None else PublicKey(stored.public_key)
        await self._add_item(report_id, "reply", self._cipher.seal_reply(
            text.encode("utf-8"), reporter_key))

    async def add_note(self, report_id: str, text: str) -> None:
        """Store a moderators' internal note, sealed like the report (never shown to the reporter).

        Raises:
            NotFound: No such report.
        """
        await self._add_item(report_id, "note", self._cipher.seal(text.encode("utf-8")))

    async def list_reports(
        self, statuses: Sequence[ReportStatus] | None = None, limit: int = 20, offset: int = 0
    ) -> list[ReportSummary]:
        """Reports newest day first (random order within a day, by id)."""
        wanted = [s.value for s in (statuses or list(ReportStatus))]
        rows = await self._db.read(functools.partial(
            report_rows.select_summaries, statuses=wanted, limit=limit, offset=offset))
        return [report_rows.summary_from_row(row) for row in rows]

    async def summary(self, report_id: str) -> ReportSummary:
        """Metadata of one report.

        Raises:
            NotFound: No such report (or it was deleted).
        """
        row = await self._db.read(functools.partial(report_rows.select_summary,
                                                    report_id=report_id))
        if row is None:
            raise NotFound(f"no report {report_id}")
        return report_rows.summary_from_row(row)

    async def get(self, report_id: str) -> Report:
        """A report with everything this process can decrypt.

        Raises:
            NotFound: No such report.
        """
        return await self._read(report_id, None)

    async def _read(self, report_id: str, reporter_key: PrivateKey | None) -> Report:
        head, body_row, rows, note_rows = await self._db.read(functools.partial(
            report_rows.select_report, report_id=report_id))
        if head is None:
            raise NotFound(f"no report {report_id}")
        body = self._open_text(bytes(body_row[0]))
        items = tuple(self._item(row, reporter_key) for row in rows)
        notes = tuple(self._item(row, None) for row in note_rows)
        return Report(summary=report_rows.summary_from_row(head), body=body, items=items,
                      notes=notes)

    async def set_status(self, report_id: str, status: ReportStatus) -> ReportSummary:
        """Move a report to ``status``; closing starts the retention countdown.

        Raises:
            NotFound: No such report.
        """
        day = self._today().isoformat()
        closed_on = day if status in CLOSED_STATUSES else None
        update = functools.partial(report_rows.update_status, report_id=report_id,
                                   status=status, day=day, closed_on=closed_on)
        if not await self._db.write(update):
            raise NotFound(f"no report {report_id}")
        return await self.summary(report_id)

    async def digest(self) -> DigestCounts:
        """Reports waiting for triage (status new), and all open ones.

        Counted from the statuses, never from a "counted in a digest" mark: a mark would
        tell which of today's reports came after the last digest (migration 0014).
        """

        async def work(connection: aiosqlite.Connection) -> DigestCounts:
            rows = await connection.execute_fetchall(report_rows.DIGEST_SQL)
            return report_rows.digest_counts(next(iter(rows)))

        counts: DigestCounts = await self._db.read(work)
        return counts

    async def delete(self, report_id: str) -> bool:
        """Erase one report and its items (overwritten: secure_delete, WAL truncated)."""
        remove = functools.partial(report_rows.delete_report, report_id=report_id)
        return bool(await self._db.write(remove, checkpoint=True))

    async def purge_closed(self, retention_days: int) -> int:
        """Erase reports closed at least ``retention_days`` days ago; return how many."""
        cutoff = (self._today() - _dt.timedelta(days=retention_days)).isoformat()
        remove = functools.partial(report_rows.delete_closed, cutoff=cutoff)
        removed: int = await self._db.write(remove, checkpoint=True)
        return removed

    # --- internals ---------------------------------------------------------------------

    async def _stored_reporter_key(self, report_id: str) -> ReporterKey | None:
        row = await self._db.read(functools.partial(report_rows.select_reporter_key,
                                                    report_id=report_id))
        return report_rows.reporter_key_from_row(row)

    async def _add_item(self, report_id: str, kind: str, content: bytes) -> None:
        day = self._today().isoformat()
        await self._db.write(functools.partial(report_rows.insert_item, report_id=report_id,
                                               kind=kind, content=content, day=day))

    def _open_text(self, ciphertext: bytes) -> str | None:
        try:
            return self._cipher.open(ciphertext).decode("utf-8")
        except CannotOpen:
            return None

    def _item(self, row: Any, reporter_key: PrivateKey | None) -> ReportItem:
        seq, kind, content = int(row[0]), str(row[1]), bytes(row[2])
        added_on = report_rows.parse_day(row[3])
        try:
            plaintext = self._cipher.open(content, reporter_key)
        except CannotOpen:
            return ReportItem(seq, kind, added_on, readable=False)
        if kind == "file":
            return ReportItem(seq, kind, added_on, True, attachment=unpack_attachment(plaintext))
        return ReportItem(seq, kind, added_on, True, text=plaintext.decode("utf-8"))
