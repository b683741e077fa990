"""The audit log on SQLite: triggers refuse edits, tampering with the file is found.

The chain itself (links, verification, no raw ids) is in contract/test_audit_chain.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.audit import AuditLog
from storage.database import Database

KEY = b"a" * 32


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "consultbot.sqlite3")
    yield database
    await database.close()


async def test_sql_cannot_update_or_delete_entries(db: Database) -> None:
    log = AuditLog(db, KEY)
    await log.append("cli", "export", {})

    def edit(connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE audit_log SET actor = 'someone'")

    def remove(connection: sqlite3.Connection) -> None:
        connection.execute("DELETE FROM audit_log")

    for work in (edit, remove):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await db.write(work)


def _tamper(path: Path, statement: str) -> None:
    """Edit the file behind the bot's back, as someone with the database file could."""
    connection = sqlite3.connect(path)
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("DROP TRIGGER audit_log_no_delete")
    connection.execute(statement)
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    ("statement", "broken_seq"),
    [
        ("UPDATE audit_log SET details = '{\"status\":\"new\"}' WHERE seq = 2", 2),
        ("DELETE FROM audit_log WHERE seq = 2", 3),
        ("UPDATE audit_log SET actor = 'cli' WHERE seq = 3", 3),
    ],
)
async def test_tampering_is_found_at_the_first_broken_entry(
    tmp_path: Path, statement: str, broken_seq: int
) -> None:
    path = tmp_path / "consultbot.sqlite3"
    async with await Database.open(path) as db:
        log = AuditLog(db, KEY)
        for n in range(4):
            await log.append("b" * 64, "report.status", {"status": "resolved", "n": n})
        await db.checkpoint()
    _tamper(path, statement)
    async with await Database.open(path) as db:
        result = await AuditLog(db, KEY).verify()
    assert not result.ok
    assert result.first_broken is not None and result.first_broken.seq == broken_seq
    assert result.reason


async def test_a_forged_chain_needs_the_key(tmp_path: Path) -> None:
    path = tmp_path / "consultbot.sqlite3"
    async with await Database.open(path) as db:
        await AuditLog(db, KEY).append("cli", "export", {})
        result = await AuditLog(db, b"z" * 32).verify()
    assert not result.ok and result.first_broken is not None and result.first_broken.seq == 1
