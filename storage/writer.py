"""The single writer: a thread that owns the one write connection and groups commits.

Every write of the process goes through :meth:`Writer.submit`. The thread takes whatever
is queued (up to ``max_batch`` writes), runs it in one ``BEGIN IMMEDIATE … COMMIT`` with
each write in its own SAVEPOINT, and only then resolves the callers' futures, with one
call back into each event loop per batch. See :mod:`storage.database` for why.

Writes submitted during one turn of the event loop reach the thread together, at the end
of that turn: the thread then runs a whole burst while the loop waits, instead of starting
on the first write and contending for the GIL with the loop still queueing the others (on
two cores that contention cost a fifth of the grouped throughput).

A write that happens very often (an answer) can be *grouped work*: instead of a function
of its own, it is an item for a function that handles every such item of the batch in one
call (:meth:`Writer.submit_item`), e.g. one ``executemany`` for all the answers of a
batch. Each item still gets its own result or error and is acknowledged after the COMMIT.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from storage.connections import open_writer
from storage.errors import DatabaseClosed, StorageError
from storage.schema import Migration, apply_migrations

__all__ = ["GroupWork", "Writer"]

logger = logging.getLogger(__name__)

_STOP: Final = object()

#: (job, its own error or None, its result): what one write came to, in the thread.
_Outcome = tuple["_Job", BaseException | None, Any]

#: Grouped work: given the connection and the items of consecutive jobs of one batch, it
#: returns one (error or None, result) per item, in order. An item it fails must have left
#: no change behind (check every item first, then write the good ones); if it raises, all
#: its items fail and everything it did is rolled back.
GroupWork = Callable[[sqlite3.Connection, list[Any]], list[tuple[BaseException | None, Any]]]


@dataclass(slots=True)
class _Job:
    work: Callable[[sqlite3.Connection], Any] | None
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    checkpoint: bool
    #: Set for grouped work (then ``work`` is None): the function, and this job's item.
    group: GroupWork | None = None
    item: Any = None


class Writer:
    """The writer thread and its queue (use :meth:`start`, then :meth:`submit`, :meth:`stop`)."""

    __slots__ = (
        "_commits",
        "_connection",
        "_failed_writes",
        "_jobs",
        "_lock",
        "_max_batch",
        "_outgoing",
        "_stopped",
        "_thread",
        "_writes",
    )

    def __init__(self, connection: sqlite3.Connection, max_batch: int) -> None:
        """Use :meth:`start`: it opens and migrates the connection in the thread first."""
        self._connection = connection
        self._max_batch = max_batch
        # What the thread receives: lists of jobs (one per event-loop turn), or _STOP.
        self._jobs: queue.SimpleQueue[list[_Job] | object] = queue.SimpleQueue()
        # Jobs submitted during the current loop turn, handed over by _flush at its end.
        self._outgoing: list[_Job] = []
        # Guards "stopped" against a submit racing the thread's exit, so that no job can be
        # queued after the final drain and wait forever.
        self._lock = threading.Lock()
        self._stopped = False
        self._writes = 0
        self._commits = 0
        self._failed_writes = 0
        self._thread: threading.Thread | None = None

    @classmethod
    async def start(
        cls, path: Path, migrations: Sequence[Migration], max_batch: int, busy_timeout_ms: int
    ) -> Writer:
        """Open, configure and migrate the write connection, then start the thread.

        The connection is created in the writer thread and never leaves it.

        Raises:
            sqlite3.DatabaseError: The file is not a database or stays locked.
            StorageError: WAL mode is unavailable.
            MigrationError: A migration failed (the database is left as it was).
        """
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[Writer] = loop.create_future()

        def run() -> None:
            try:
                connection = open_writer(path, busy_timeout_ms)
                try:
                    apply_migrations(connection, migrations)
                except BaseException:
                    connection.close()
                    raise
            except BaseException as error:  # noqa: BLE001 - handed to the opener, who raises it
                loop.call_soon_threadsafe(_settle, ready, error, None)
                return
            writer = cls(connection, max_batch)
            writer._thread = threading.current_thread()
            loop.call_soon_threadsafe(_settle, ready, None, writer)
            writer._run()

        # A daemon, so a process that forgets to close the database can still exit; SQLite
        # rolls back any transaction it left open, and nothing uncommitted was acknowledged.
        thread = threading.Thread(target=run, name="consultbot-db-writer", daemon=True)
        thread.start()
        return await ready

    def counters(self) -> tuple[int, int, int]:
        """(writes, commits, failed writes) so far."""
        return self._writes, self._commits, self._failed_writes

    async def submit(self, work: Callable[[sqlite3.Connection], Any], checkpoint: bool) -> Any:
        """Queue ``work`` and wait for the COMMIT that contains it (or its error)."""
        return await self._queue(work, checkpoint, None, None)

    async def submit_item(self, group: GroupWork, item: Any) -> Any:
        """Queue ``item`` for ``group`` and wait for the COMMIT that contains it (or its error).

        Consecutive items of the same ``group`` (the same function object) in one batch
        are handed to it in one call.
        """
        return await self._queue(None, False, group, item)

    async def _queue(self, work: Callable[[sqlite3.Connection], Any] | None, checkpoint: bool,
                     group: GroupWork | None, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            if self._stopped:
                raise DatabaseClosed("the database is closed")
            self._outgoing.append(_Job(work, future, loop, checkpoint, group, item))
            if len(self._outgoing) == 1:
                loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        """Hand this loop turn's writes to the thread in one piece."""
        with self._lock:
            jobs, self._outgoing = self._outgoing, []
            if not self._stopped:
                self._jobs.put(jobs)
                return
        # The writer died after these were accepted: they never ran.
        _resolve_all([(job, DatabaseClosed("the database was closed"), None) for job in jobs])

    async def stop(self) -> None:
        """Commit everything already queued, then close the connection and end the thread."""
        with self._lock:
            if not self._stopped:
                if self._outgoing:
                    self._jobs.put(self._outgoing)
                    self._outgoing = []
                self._jobs.put(_STOP)
        thread = self._thread
        if thread is not None and thread.is_alive():
            await asyncio.to_thread(thread.join)

    # --- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        pending: collections.deque[_Job] = collections.deque()
        try:
            stop = False
            while pending or not stop:
                if not pending:
                    received = self._jobs.get()
                    if not isinstance(received, list):  # _STOP
                        break
                    pending.extend(received)
                # Whatever else arrived meanwhile joins this batch, up to max_batch.
                while not stop and len(pending) < self._max_batch:
                    try:
                        received = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if isinstance(received, list):
                        pending.extend(received)
                    else:
                        stop = True  # commit what is pending, then stop
                size = min(len(pending), self._max_batch)
                self._run_batch([pending.popleft() for _ in range(size)])
        except BaseException:
            logger.exception("the database writer stopped with an error")
            _deliver([(job, DatabaseClosed("the database was closed"), None) for job in pending])
        finally:
            self._finish()

    def _finish(self) -> None:
        with self._lock:
            self._stopped = True
        closed = DatabaseClosed("the database was closed")
        while True:
            try:
                received = self._jobs.get_nowait()
            except queue.Empty:
                break
            if isinstance(received, list):
                _deliver([(job, closed, None) for job in received])
        try:
            self._connection.execute("PRAGMA optimize")
        except sqlite3.Error:
            logger.warning("PRAGMA optimize failed", exc_info=True)
        self._connection.close()

    def _run_batch(self, batch: list[_Job]) -> None:
        jobs = [job for job in batch if not job.future.cancelled()]
        if not jobs:
            return
        connection = self._connection
        outcomes: list[_Outcome] = []
        try:
            connection.execute("BEGIN IMMEDIATE")
            grouped = len(jobs) > 1
            position = 0
            while position < len(jobs):
                job = jobs[position]
                if job.group is not None:
                    # Consecutive items of the same grouped work: one call for all of them.
                    end = position + 1
                    while end < len(jobs) and jobs[end].group is job.group:
                        end += 1
                    run = [item for item in jobs[position:end] if not item.future.cancelled()]
                    outcomes += _run_group(connection, job.group, run, grouped)
                    position = end
                    continue
                position += 1
                if job.future.cancelled():  # its caller gave up while earlier jobs ran
                    continue
                outcomes.append(_run_job(connection, job, grouped))
            if connection.in_transaction:
                connection.execute("COMMIT")
                self._commits += 1
            elif any(error is None for _, error, _ in outcomes):
                # Someone's work ended the transaction itself: whatever it did, the other
                # writes were not committed by us, so nobody may be told "saved".
                raise StorageError("a write ended the transaction before COMMIT")
        except BaseException as error:
            # BEGIN, a savepoint or the COMMIT failed (disk full, I/O error, another process
            # holding the lock too long): nothing of this batch is committed, and every
            # caller must hear so.
            if connection.in_transaction:
                try:
                    connection.execute("ROLLBACK")
                except Exception:
                    logger.exception("rollback after a failed write batch failed")
            own_errors = {id(job): err for job, err, _ in outcomes if err is not None}
            failure = error if isinstance(error, Exception) else DatabaseClosed("writer stopped")
            _deliver([(job, own_errors.get(id(job), failure), None) for job in jobs])
            self._writes += len(jobs)
            self._failed_writes += len(jobs)
            if not isinstance(error, Exception):
                raise
            logger.error("a write batch of %d failed: %s", len(jobs), type(error).__name__)
            return
        self._writes += len(jobs)
        self._failed_writes += sum(1 for _, error, _ in outcomes if error is not None)
        if any(job.checkpoint for job, _, _ in outcomes):
            # Erasures: the deleted rows must not linger in the WAL once the caller hears
            # "done", so everyone of this batch is answered after the checkpoint.
            self._checkpoint()
        _deliver(outcomes)

    def _checkpoint(self) -> None:
        try:
            self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error:
            # Best effort: the data is committed; the next checkpoint will catch up.
            logger.warning("WAL checkpoint failed", exc_info=True)


def _undo(connection: sqlite3.Connection, grouped: bool, error: Exception) -> None:
    """Take back one failed write: its savepoint when grouped, else the transaction.

    Raises:
        Exception: ``error`` itself when SQLite already abandoned the whole transaction
            (disk full, I/O error): then the batch fails, with this write's error as cause.
    """
    try:
        if grouped:
            connection.execute("ROLLBACK TO work")
            connection.execute("RELEASE work")
        else:
            connection.execute("ROLLBACK")
    except Exception:  # noqa: BLE001 - re-raised as the write's own error
        raise error from None


def _run_group(connection: sqlite3.Connection, group: GroupWork, jobs: list[_Job],
               grouped: bool) -> list[_Outcome]:
    """Run grouped work for ``jobs`` in one savepoint: one call, one outcome per job."""
    if not jobs:
        return []
    if grouped:
        connection.execute("SAVEPOINT work")
    try:
        results = group(connection, [job.item for job in jobs])
        if len(results) != len(jobs):
            raise TypeError("grouped work must return one outcome per item")
    except Exception as error:  # noqa: BLE001 - every item's caller sees the failure
        _undo(connection, grouped, error)
        return [(job, error, None) for job in jobs]
    if grouped:
        connection.execute("RELEASE work")
    return [(job, error, result) for job, (error, result) in zip(jobs, results, strict=True)]


def _run_job(connection: sqlite3.Connection, job: _Job, grouped: bool) -> _Outcome:
    """Run one write in its savepoint (or, alone in its batch, in the transaction)."""
    assert job.work is not None
    if grouped:
        connection.execute("SAVEPOINT work")
    try:
        result = job.work(connection)
        if inspect.isawaitable(result):
            # An async function slipped through (e.g. a lambda returning a coroutine): it
            # never ran, and acknowledging it would be a lie.
            if inspect.iscoroutine(result):
                result.close()
            raise TypeError("Database.write takes a plain function; this one returned an awaitable")
    except Exception as error:  # noqa: BLE001 - any failure of a write is its caller's to see
        _undo(connection, grouped, error)
        return job, error, None
    if grouped:
        connection.execute("RELEASE work")
    return job, None, result


def _deliver(outcomes: list[_Outcome]) -> None:
    """Hand the outcomes to their event loops: one wake-up per loop, not one per write."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, mine in by_loop.items():
        # A closed event loop refuses the call: nobody is waiting there any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve_all, mine)


def _resolve_all(outcomes: list[_Outcome]) -> None:
    for job, error, result in outcomes:
        _settle(job.future, error, result)


def _settle(future: asyncio.Future[Any], error: BaseException | None, result: object) -> None:
    if future.done():  # the caller gave up while its write ran; it still committed
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
