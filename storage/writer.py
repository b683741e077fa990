"""The single writer: a thread that owns the one write connection and groups commits.

Every write of the process goes through :meth:`Writer.submit`. The thread takes whatever
is queued (up to ``max_batch`` writes), runs it in one ``BEGIN IMMEDIATE … COMMIT`` with
each write in its own SAVEPOINT, and only then resolves the callers' futures, with one
call back into each event loop per batch. See :mod:`storage.database` for why.

Writes submitted during one turn of the event loop reach the thread together, at the end
of that turn: the thread then runs a whole burst while the loop waits, instead of starting
on the first write and contending for the GIL with the loop still queueing the others (on
two cores that contention cost a fifth of the grouped throughput).
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

__all__ = ["Writer"]

logger = logging.getLogger(__name__)

_STOP: Final = object()

#: (job, its own error or None, its result): what one write came to, in the thread.
_Outcome = tuple["_Job", BaseException | None, Any]


@dataclass(slots=True)
class _Job:
    work: Callable[[sqlite3.Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    checkpoint: bool


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
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            if self._stopped:
                raise DatabaseClosed("the database is closed")
            self._outgoing.append(_Job(work, future, loop, checkpoint))
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
            for job in jobs:
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


def _run_job(connection: sqlite3.Connection, job: _Job, grouped: bool) -> _Outcome:
    """Run one write in its savepoint (or, alone in its batch, in the transaction)."""
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
        try:
            if grouped:
                connection.execute("ROLLBACK TO work")
                connection.execute("RELEASE work")
            else:
                connection.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - re-raised below as the write's own error
            # SQLite already abandoned the whole transaction (disk full, I/O error): the
            # batch fails, with this write's error as the cause.
            raise error from None
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
