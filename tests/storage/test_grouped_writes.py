"""Grouped work (``Database.write_item``) and key lookups on the loop (``Database.lookup``)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage.database import Database
from storage.errors import DatabaseClosed
from tests.storage.test_database import SCHEMA, committed_ids, insert, trace_commits

Outcomes = list[tuple[BaseException | None, Any]]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.sqlite3", migrations=SCHEMA)
    try:
        yield database
    finally:
        await database.close()


class Inserts:
    """Grouped work inserting items; records the size of each call and refuses odd labels."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, connection: sqlite3.Connection, items: list[Any]) -> Outcomes:
        self.calls.append(len(items))
        outcomes: Outcomes = []
        rows = []
        for item_id, label in items:
            if label == "refuse":
                outcomes.append((ValueError(f"refused {item_id}"), None))
                continue
            rows.append((item_id, label))
            outcomes.append((None, item_id))
        connection.executemany("INSERT INTO item (id, label) VALUES (?, ?)", rows)
        return outcomes


async def test_items_of_one_loop_turn_go_to_one_call_and_are_acknowledged_after_commit(
    db: Database,
) -> None:
    counter = await trace_commits(db)
    group = Inserts()
    seen_after_ack: dict[int, bool] = {}

    async def caller(item_id: int) -> None:
        assert await db.write_item(group, (item_id, "x")) == item_id
        seen_after_ack[item_id] = item_id in committed_ids(db.path)

    await asyncio.gather(*(caller(i) for i in range(50)))

    assert seen_after_ack == dict.fromkeys(range(50), True)
    assert sum(group.calls) == 50
    assert len(group.calls) < 50  # grouped: fewer calls than items
    assert counter.commits == len(group.calls)
    assert db.stats.writes - db.stats.failed_writes >= 50


async def test_an_item_refused_by_the_group_fails_alone(db: Database) -> None:
    group = Inserts()
    results = await asyncio.gather(
        *(db.write_item(group, (i, "refuse" if i == 3 else "x")) for i in range(6)),
        return_exceptions=True,
    )
    assert isinstance(results[3], ValueError)
    assert [r for r in results if not isinstance(r, BaseException)] == [0, 1, 2, 4, 5]
    assert committed_ids(db.path) == {0, 1, 2, 4, 5}


async def test_a_group_that_raises_fails_its_items_and_leaves_other_writes_committed(
    db: Database,
) -> None:
    def half_done_then_fail(connection: sqlite3.Connection, items: list[Any]) -> Outcomes:
        connection.executemany("INSERT INTO item (id, label) VALUES (?, 'half')",
                               [(item,) for item in items])
        raise OSError("disk on fire")

    results = await asyncio.gather(
        db.write(insert(1)),
        db.write_item(half_done_then_fail, 100),
        db.write_item(half_done_then_fail, 101),
        db.write(insert(2)),
        return_exceptions=True,
    )
    assert results[0] == 1 and results[3] == 2
    assert all(isinstance(result, OSError) for result in results[1:3])
    assert committed_ids(db.path) == {1, 2}


async def test_a_group_must_answer_for_every_item(db: Database) -> None:
    def forgetful(connection: sqlite3.Connection, items: list[Any]) -> Outcomes:
        return []

    with pytest.raises(TypeError):
        await db.write_item(forgetful, 1)


async def test_writes_keep_their_order_around_grouped_items(db: Database) -> None:
    """Plain writes and grouped items of one batch run in the order they were asked for."""
    order: list[str] = []

    def plain(name: str) -> Any:
        def work(connection: sqlite3.Connection) -> None:
            order.append(name)

        return work

    def grouped(connection: sqlite3.Connection, items: list[Any]) -> Outcomes:
        order.append("+".join(items))
        return [(None, None) for _ in items]

    await asyncio.gather(db.write(plain("a")), db.write_item(grouped, "b"),
                         db.write_item(grouped, "c"), db.write(plain("d")),
                         db.write_item(grouped, "e"))
    assert order == ["a", "b+c", "d", "e"]


async def test_grouped_items_are_refused_after_close(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3", migrations=SCHEMA)
    await db.close()
    with pytest.raises(DatabaseClosed):
        await db.write_item(Inserts(), (1, "x"))
    with pytest.raises(DatabaseClosed):
        await db.lookup(lambda connection: None)


def _ids(connection: sqlite3.Connection) -> set[int]:
    return {row[0] for row in connection.execute("SELECT id FROM item")}


async def test_a_lookup_runs_on_the_event_loop_and_sees_every_commit(db: Database) -> None:
    threads: list[threading.Thread] = []

    def work(connection: sqlite3.Connection) -> set[int]:
        threads.append(threading.current_thread())
        return _ids(connection)

    assert await db.lookup(work) == set()
    await db.write(insert(7))
    assert await db.lookup(work) == {7}
    assert threads == [threading.current_thread()] * 2


async def test_a_lookup_cannot_write(db: Database) -> None:
    def sneaky(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO item (id, label) VALUES (1, 'no')")

    with pytest.raises(sqlite3.OperationalError):
        await db.lookup(sneaky)
    assert committed_ids(db.path) == set()


async def test_a_lookup_meeting_a_lock_is_retried_in_a_thread_not_on_the_loop(
    db: Database,
) -> None:
    """SQLITE_BUSY on the loop's connection (another process mid-recovery) never blocks it.

    Holding such a lock from a test is not possible while the database's own connections
    have the WAL open, so the first attempt meets "database is locked" as SQLite reports it.
    """
    await db.write(insert(5))
    threads: list[threading.Thread] = []

    def work(connection: sqlite3.Connection) -> set[int]:
        threads.append(threading.current_thread())
        if len(threads) == 1:
            raise sqlite3.OperationalError("database is locked")
        return _ids(connection)

    assert await db.lookup(work) == {5}
    assert threads[0] is threading.current_thread()  # tried on the loop first
    assert threads[1] is not threading.current_thread()  # then in a worker thread


async def test_other_lookup_errors_are_raised(db: Database) -> None:
    def broken(connection: sqlite3.Connection) -> None:
        connection.execute("SELECT * FROM no_such_table")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await db.lookup(broken)
