"""The writer: grouped commits, acknowledgement after commit, isolation of failures, close."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiosqlite
import pytest

from storage.database import Database
from storage.errors import DatabaseClosed, StorageError
from storage.schema import Migration

SCHEMA = [
    Migration(
        1,
        "test",
        """
        CREATE TABLE item (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (
            id INTEGER PRIMARY KEY,
            parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED
        );
        """,
    )
]


class CommitCounter:
    """Counts COMMIT statements the writer connection really executes (SQLite trace hook)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.commits = 0

    def __call__(self, statement: str) -> None:
        if statement.strip().upper() == "COMMIT":
            with self._lock:
                self.commits += 1


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.sqlite3", migrations=SCHEMA)
    try:
        yield database
    finally:
        await database.close()


async def trace_commits(db: Database) -> CommitCounter:
    counter = CommitCounter()

    def install(connection: sqlite3.Connection) -> None:
        connection.set_trace_callback(counter)

    await db.write(install)
    counter.commits = 0
    return counter


def insert(item_id: int, label: str = "x") -> Callable[[sqlite3.Connection], int]:
    def work(connection: sqlite3.Connection) -> int:
        connection.execute("INSERT INTO item (id, label) VALUES (?, ?)", (item_id, label))
        return item_id

    return work


def committed_ids(path: Path) -> set[int]:
    """What another process would see: only committed rows."""
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM item")}


async def test_concurrent_writes_share_commits_and_are_acknowledged_after_commit(
    db: Database,
) -> None:
    counter = await trace_commits(db)
    seen_after_ack: dict[int, bool] = {}

    async def caller(item_id: int) -> None:
        await db.write(insert(item_id))
        # The moment write() returns, an independent connection must already see the row.
        seen_after_ack[item_id] = item_id in committed_ids(db.path)

    await asyncio.gather(*(caller(i) for i in range(100)))

    assert seen_after_ack == dict.fromkeys(range(100), True)
    assert 1 <= counter.commits < 100
    stats = db.stats
    assert stats.commits < stats.writes


async def test_batches_are_bounded(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3", migrations=SCHEMA, max_batch=4)
    try:
        counter = await trace_commits(db)
        await asyncio.gather(*(db.write(insert(i)) for i in range(20)))
        assert counter.commits >= 5
    finally:
        await db.close()
    assert committed_ids(tmp_path / "t.sqlite3") == set(range(20))


async def test_one_failing_write_rolls_back_only_itself(db: Database) -> None:
    def half_done_then_fail(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO item (id, label) VALUES (1000, 'half')")
        raise ValueError("refused")

    calls = [db.write(insert(i)) for i in range(10)]
    calls.insert(5, db.write(half_done_then_fail))
    calls.insert(7, db.write(insert(3)))  # duplicate key: a database error, also isolated
    results = await asyncio.gather(*calls, return_exceptions=True)

    assert isinstance(results[5], ValueError)
    assert isinstance(results[7], sqlite3.IntegrityError)
    assert [r for r in results if not isinstance(r, Exception)] == list(range(10))
    assert committed_ids(db.path) == set(range(10))
    assert db.stats.failed_writes == 2


async def test_a_failed_commit_fails_every_write_of_the_batch_and_the_writer_goes_on(
    db: Database,
) -> None:
    def orphan(connection: sqlite3.Connection) -> None:
        # A deferred foreign key is only checked at COMMIT: the whole batch's COMMIT fails.
        connection.execute("INSERT INTO child (id, parent_id) VALUES (1, 42)")

    results = await asyncio.gather(
        db.write(insert(1)), db.write(orphan), db.write(insert(2)), return_exceptions=True
    )

    assert all(isinstance(result, sqlite3.IntegrityError) for result in results)
    assert committed_ids(db.path) == set()
    assert await db.write(insert(3)) == 3
    assert committed_ids(db.path) == {3}


async def test_a_caller_cancelled_before_its_write_starts_never_runs_it(db: Database) -> None:
    gate = threading.Event()
    started = threading.Event()

    def blocking(connection: sqlite3.Connection) -> None:
        started.set()
        gate.wait(10)

    first = asyncio.create_task(db.write(blocking))
    await asyncio.to_thread(started.wait, 10)
    second = asyncio.create_task(db.write(insert(1)))
    await asyncio.sleep(0)  # let it enqueue
    second.cancel()
    gate.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await second
    await db.write(insert(2))
    assert committed_ids(db.path) == {2}


async def test_a_write_cancelled_while_running_still_commits(db: Database) -> None:
    gate = threading.Event()
    started = threading.Event()

    def slow(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO item (id, label) VALUES (7, 'slow')")
        started.set()
        gate.wait(10)

    caller = asyncio.create_task(db.write(slow))
    await asyncio.to_thread(started.wait, 10)
    caller.cancel()
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await db.write(insert(8))  # the writer is still healthy
    assert committed_ids(db.path) == {7, 8}


async def test_close_commits_every_queued_write_then_refuses_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    db = await Database.open(path, migrations=SCHEMA)
    pending = [asyncio.create_task(db.write(insert(i))) for i in range(30)]
    await asyncio.sleep(0)  # queued, not yet committed

    await db.close()

    assert [task.result() for task in pending] == list(range(30))
    assert committed_ids(path) == set(range(30))
    with pytest.raises(DatabaseClosed):
        await db.write(insert(99))
    with pytest.raises(DatabaseClosed):
        await db.read(lambda c: c.execute_fetchall("SELECT 1"))
    await db.close()  # a second close is harmless


async def test_a_coroutine_function_is_refused_and_never_acknowledged(db: Database) -> None:
    async def coroutine_work(connection: object) -> None:
        raise AssertionError("never runs")

    with pytest.raises(TypeError, match="plain function"):
        await db.write(coroutine_work)
    # A lambda hides the coroutine until it is called: the writer refuses it in the thread,
    # rolls its savepoint back and the rest of the batch commits.
    results = await asyncio.gather(
        db.write(insert(1)), db.write(lambda c: coroutine_work(c)), db.write(insert(2)),  # noqa: PLW0108 - the lambda hides the coroutine function on purpose
        return_exceptions=True,
    )
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], TypeError)
    assert committed_ids(db.path) == {1, 2}


async def test_reads_see_committed_writes_only(db: Database) -> None:
    gate = threading.Event()
    inserted = threading.Event()

    def uncommitted(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO item (id, label) VALUES (1, 'later')")
        inserted.set()
        gate.wait(10)

    async def count(connection: aiosqlite.Connection) -> int:
        rows = await connection.execute_fetchall("SELECT count(*) FROM item")
        return rows[0][0]

    writing = asyncio.create_task(db.write(uncommitted))
    await asyncio.to_thread(inserted.wait, 10)
    assert await db.read(count) == 0  # and the read was not blocked by the open write
    gate.set()
    await writing
    assert await db.read(count) == 1


async def test_a_reader_left_in_a_transaction_is_reset(db: Database) -> None:
    async def leaves_transaction_open(connection: aiosqlite.Connection) -> None:
        await connection.execute("BEGIN")
        await connection.execute("SELECT count(*) FROM item")

    async def count(connection: aiosqlite.Connection) -> int:
        rows = await connection.execute_fetchall("SELECT count(*) FROM item")
        return rows[0][0]

    for _ in range(3):  # every reader of the pool
        await db.read(leaves_transaction_open)
    await db.write(insert(1))
    assert [await db.read(count) for _ in range(3)] == [1, 1, 1]


async def test_checkpoint_empties_the_write_ahead_log(db: Database) -> None:
    await db.write(insert(1, "secret words"))
    wal = Path(f"{db.path}-wal")
    assert wal.stat().st_size > 0
    await db.checkpoint()
    assert wal.stat().st_size == 0


async def test_a_write_that_ends_the_transaction_is_never_acknowledged(db: Database) -> None:
    def rogue(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO item (id, label) VALUES (1, 'x')")
        connection.execute("ROLLBACK")

    with pytest.raises(StorageError):
        await db.write(rogue)  # alone in its batch

    results = await asyncio.gather(
        db.write(insert(2)), db.write(rogue), db.write(insert(3)), return_exceptions=True
    )
    assert all(isinstance(result, Exception) for result in results)
    assert committed_ids(db.path) == set()
    assert await db.write(insert(4)) == 4


async def test_callers_are_not_left_hanging_if_the_writer_dies(db: Database) -> None:
    gate = threading.Event()
    started = threading.Event()

    def dies(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO item (id, label) VALUES (1, 'x')")
        started.set()
        gate.wait(10)
        raise SystemExit  # not an Exception: it stops the writer thread itself

    running = asyncio.create_task(db.write(dies))
    await asyncio.to_thread(started.wait, 10)
    queued = asyncio.create_task(db.write(insert(2)))
    await asyncio.sleep(0.05)  # queued behind the dying batch
    gate.set()

    for task in (running, queued):
        with pytest.raises(DatabaseClosed):
            await task
    with pytest.raises(DatabaseClosed):
        await db.write(insert(3))
    assert committed_ids(db.path) == set()
    await db.close()


async def test_writes_run_off_the_event_loop_in_one_writer_thread(db: Database) -> None:
    threads = await asyncio.gather(*(
        db.write(lambda c: threading.get_ident()) for _ in range(20)
    ))
    assert len(set(threads)) == 1
    assert threads[0] != threading.get_ident()
