"""``Database.scan``: one statement, one snapshot, on a connection of its own."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from storage.database import Database
from storage.errors import DatabaseClosed
from storage.schema import Migration

SCHEMA = [Migration(1, "test", "CREATE TABLE item (id INTEGER PRIMARY KEY, label TEXT NOT NULL);")]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "scan.sqlite3", migrations=SCHEMA, readers=1)
    try:
        def fill(connection: sqlite3.Connection) -> None:
            connection.executemany("INSERT INTO item (id, label) VALUES (?, ?)",
                                   [(n, f"item {n}") for n in range(1, 26)])

        await database.write(fill)
        yield database
    finally:
        await database.close()


async def test_a_scan_yields_every_row_in_batches_of_plain_tuples(db: Database) -> None:
    batches = [batch async for batch in db.scan("SELECT id, label FROM item WHERE id > ? "
                                                "ORDER BY id", (5,), batch_size=8)]
    assert [len(batch) for batch in batches] == [8, 8, 4]
    rows = [row for batch in batches for row in batch]
    assert rows[0] == (6, "item 6") and type(rows[0]) is tuple
    assert [row[0] for row in rows] == list(range(6, 26))


async def test_a_paused_scan_holds_no_reader_and_sees_one_snapshot(db: Database) -> None:
    scan = db.scan("SELECT id FROM item ORDER BY id", (), batch_size=10)
    first = await anext(scan)

    def add(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO item (id, label) VALUES (100, 'late')")

    await db.write(add)

    async def count(connection: aiosqlite.Connection) -> int:
        row = await (await connection.execute("SELECT count(*) FROM item")).fetchone()
        assert row is not None
        return int(row[0])

    # The only pooled reader is free while the scan waits between batches, and sees the write.
    assert await asyncio.wait_for(db.read(count), timeout=5) == 26
    rest = [row async for batch in scan for row in batch]
    assert [row[0] for row in [*first, *rest]] == list(range(1, 26))  # not the late row


async def test_a_scan_of_a_closed_database_is_refused(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "closed.sqlite3", migrations=SCHEMA)
    await database.close()
    with pytest.raises(DatabaseClosed):
        await anext(database.scan("SELECT id FROM item", (), batch_size=1))
