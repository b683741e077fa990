"""The report repository: what is stored, what can be read back, and what is erased."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.attachments import Attachment
from storage.database import Database
from storage.errors import NotFound
from storage.receipts import format_receipt
from storage.reports import ReportRepository, ReportStatus
from storage.sealing import ReportCipher, generate_key_pair, load_private_key, load_public_key

SERVER_KEY = b"s" * 32
RECEIPT_KEY = b"r" * 32
BODY = "Wages unpaid for six weeks at the Northgate depot"


class Clock:
    def __init__(self) -> None:
        self.day = dt.date(2026, 3, 2)

    def __call__(self) -> dt.date:
        return self.day


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "consultbot.sqlite3")
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reports(db: Database, clock: Clock) -> ReportRepository:
    return ReportRepository(db, ReportCipher(server_key=SERVER_KEY), RECEIPT_KEY, today=clock)


def all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file())


async def test_row_holds_no_plaintext_no_receipt_no_identity(
    reports: ReportRepository, db: Database, tmp_path: Path
) -> None:
    filed = await reports.file("corruption", BODY, [Attachment("d.pdf", "application/pdf",
                                                               b"%PDF payroll-ledger")])
    await reports.add_followup(filed.report_id, "The supervisor is called Ruslan")
    await db.checkpoint()
    raw = all_bytes(tmp_path)
    for secret in (BODY.encode(), b"payroll-ledger", b"Ruslan", filed.receipt.encode(),
                   format_receipt(filed.receipt).encode()):
        assert secret not in raw
    connection = sqlite3.connect(tmp_path / "consultbot.sqlite3")
    columns = {row[1] for table in ("reports", "report_items")
               for row in connection.execute(f"PRAGMA table_info({table})")}
    connection.close()
    assert not {c for c in columns if any(w in c for w in ("user", "chat", "message", "file_id",
                                                              "name", "time"))}


async def test_sealed_reports_cannot_be_read_by_the_server(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    private_path, public_path = generate_key_pair(tmp_path / "keys")
    server = ReportRepository(
        db, ReportCipher(server_key=SERVER_KEY, public_key=load_public_key(public_path)),
        RECEIPT_KEY, today=clock)
    filed = await server.file("safety_of_defenders", BODY)
    await server.add_followup(filed.report_id, "more detail")
    await server.add_reply(filed.report_id, "Thank you, we are on it")
    on_server = await server.get(filed.report_id)
    assert on_server.body is None and on_server.summary.sealed
    assert [i.readable for i in on_server.items] == [False, False]  # the reply too
    without_code = await server.reporter_view(filed.report_id)
    assert without_code.replies == () and without_code.sealed_replies == 1
    view = await server.reporter_view(filed.report_id, format_receipt(filed.receipt).lower())
    assert view.replies == ((dt.date(2026, 3, 2), "Thank you, we are on it"),)
    assert view.sealed_replies == 0
    moderator = ReportRepository(
        db, ReportCipher(private_key=load_private_key(private_path)), RECEIPT_KEY)
    on_laptop = await moderator.get(filed.report_id)
    assert on_laptop.body == BODY and on_laptop.items[0].text == "more detail"
    assert on_laptop.items[1].text == "Thank you, we are on it"


async def test_retention_erases_closed_reports_and_overwrites_them(
    reports: ReportRepository, db: Database, clock: Clock, tmp_path: Path
) -> None:
    marker = "UNIQUE-MARKER-" * 20
    kept = await reports.file("other", "still open")
    gone = await reports.file("other", marker, [Attachment("p.png", "image/png", b"x" * 5000)])
    await reports.add_reply(gone.report_id, "done")
    await db.checkpoint()
    ciphertext_sample = await _ciphertext(db, gone.report_id)
    assert ciphertext_sample in all_bytes(tmp_path)
    await reports.set_status(gone.report_id, ReportStatus.RESOLVED)
    clock.day += dt.timedelta(days=89)
    assert await reports.purge_closed(90) == 0
    clock.day += dt.timedelta(days=1)
    assert await reports.purge_closed(90) == 1
    with pytest.raises(NotFound):
        await reports.get(gone.report_id)
    assert (await reports.get(kept.report_id)).body == "still open"
    assert ciphertext_sample not in all_bytes(tmp_path)  # secure_delete + WAL truncated


async def _ciphertext(db: Database, report_id: str) -> bytes:
    async def select(connection):
        cursor = await connection.execute("SELECT body FROM reports WHERE report_id = ?",
                                          (report_id,))
        return bytes((await cursor.fetchone())[0])

    body: bytes = await db.read(select)
    return body[20:60]


async def test_delete_overwrites(reports: ReportRepository, db: Database, tmp_path: Path) -> None:
    filed = await reports.file("other", "x" * 300)
    await db.checkpoint()
    sample = await _ciphertext(db, filed.report_id)
    assert await reports.delete(filed.report_id)
    assert sample not in all_bytes(tmp_path)
