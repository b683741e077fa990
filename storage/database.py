"""The SQLite database: one writer that groups commits, a small pool of readers.

Why this shape (DESIGN.md §4):

* **One writer connection.** SQLite allows one writer at a time anyway; funnelling every
  write through one task removes ``database is locked`` surprises and lets us group writes.
* **Grouped commits.** With ``synchronous=FULL`` every COMMIT is an fsync, and an fsync per
  answer would cap the bot at a few hundred answers a second on a slow disk. Writes queued
  while a commit is in flight are run together in the next ``BEGIN IMMEDIATE … COMMIT``,
  each inside its own SAVEPOINT so one failing write rolls back only itself.
* **Acknowledge only after commit.** :meth:`Database.write` returns (or raises) only once
  the COMMIT that contains the write has returned, so the bot never tells a participant
  "saved" for an answer a power cut could still lose.
* **Readers never block the writer** (WAL), and never see uncommitted data.
* **Hot writes run in the database thread** (:meth:`Database.write_sync`). Every
  ``await connection.execute`` is a hand-off to aiosqlite's thread and back; with a
  SAVEPOINT and RELEASE around each grouped write, an answer cost four of them, and the
  hand-offs, not SQLite, bounded grouped commits (bench/README.md, benchmark 2). Plain
  functions given to ``write_sync`` run back to back in the thread in one hand-off.

The interface (``write(fn)``, ``read(fn)``, ``close()``) is small on purpose: a PostgreSQL
implementation can offer the same with a connection pool and one transaction per batch.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import aiosqlite

from storage.connections import connect, create_private_file, pragma
from storage.errors import DatabaseClosed, StorageError
from storage.schema import Migration, apply_migrations, load_migrations

__all__ = ["Database", "WriteStats"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: A unit of work: receives the connection, runs its statements, returns a result.
Work = Callable[[aiosqlite.Connection], Awaitable[T]]
#: The same, as a plain function run in the database thread on the sqlite3 connection.
SyncWork = Callable[[sqlite3.Connection], T]

#: Largest number of writes grouped into one transaction: bounds how long one COMMIT holds
#: the write lock and how much work one failing COMMIT has to report back.
DEFAULT_MAX_BATCH: Final = 64
DEFAULT_READERS: Final = 2
DEFAULT_BUSY_TIMEOUT_MS: Final = 5_000
#: Keeps the WAL file from growing without bound after a burst (bytes).
_JOURNAL_SIZE_LIMIT: Final = 64 * 1024 * 1024

_STOP: Final = object()


@dataclass(slots=True)
class _Job:
    work: Work[Any] | SyncWork[Any]
    future: asyncio.Future[Any]
    checkpoint: bool
    in_thread: bool = False


@dataclass(frozen=True, slots=True)
class WriteStats:
    """Counters of the writer, for benchmarks and tests (``writes / commits`` = grouping)."""

    writes: int
    commits: int
    failed_writes: int


class Database:
    """A SQLite database with grouped, acknowledged-after-commit writes.

    Create it with :meth:`open`; always :meth:`close` it (or use ``async with``).
    """

    __slots__ = (
        "_close_task",
        "_closing",
        "_commits",
        "_failed_writes",
        "_max_batch",
        "_path",
        "_queue",
        "_reader_count",
        "_readers",
        "_writer",
        "_writer_task",
        "_writes",
    )

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        readers: Sequence[aiosqlite.Connection],
        max_batch: int,
    ) -> None:
        """Use :meth:`open`: it configures and migrates the connections first."""
        self._path = path
        self._writer = writer
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for reader in readers:
            self._readers.put_nowait(reader)
        self._reader_count = len(readers)
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Job | object] = asyncio.Queue()
        self._closing = False
        self._close_task: asyncio.Task[None] | None = None
        self._writes = 0
        self._commits = 0
        self._failed_writes = 0
        self._writer_task = asyncio.create_task(self._run_writer(), name="consultbot-db-writer")

    # --- opening -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        migrations: Sequence[Migration] | None = None,
        readers: int = DEFAULT_READERS,
        max_batch: int = DEFAULT_MAX_BATCH,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> Database:
        """Open (creating if needed) and migrate the database at ``path``.

        Args:
            path: The SQLite file. Its directory must exist.
            migrations: Defaults to the package's ``storage/migrations/*.sql``.
            readers: Number of read connections.
            max_batch: Most writes grouped into one transaction.
            busy_timeout_ms: How long to wait for another process holding the write lock.

        Raises:
            SchemaTooNew: The file was written by a newer consultbot.
            MigrationError: A migration failed; the database is left as it was.
            StorageError: The file is not a SQLite database, stays locked by another
                process, or cannot be put into WAL mode.
        """
        if readers < 1 or max_batch < 1:
            raise ValueError("readers and max_batch must be at least 1")
        path = Path(path)
        create_private_file(path)
        try:
            return await cls._open(path, migrations, readers, max_batch, busy_timeout_ms)
        except sqlite3.DatabaseError as error:
            # e.g. "file is not a database", "database is locked": say which file, plainly.
            raise StorageError(f"cannot open the database {path}: {error}") from error

    @classmethod
    async def _open(
        cls,
        path: Path,
        migrations: Sequence[Migration] | None,
        readers: int,
        max_batch: int,
        busy_timeout_ms: int,
    ) -> Database:
        writer = await connect(path, busy_timeout_ms)
        opened: list[aiosqlite.Connection] = [writer]
        try:
            mode = await pragma(writer, "journal_mode = WAL")
            if str(mode).lower() != "wal":
                raise StorageError(f"cannot use WAL journal mode on {path} (got {mode!r})")
            # FULL: a committed answer survives a power cut, not only a process crash.
            await pragma(writer, "synchronous = FULL")
            # Deleted responses (/forget) are overwritten with zeros, not left in free pages.
            await pragma(writer, "secure_delete = ON")
            await pragma(writer, f"journal_size_limit = {_JOURNAL_SIZE_LIMIT}")
            await apply_migrations(writer, load_migrations() if migrations is None else migrations)
            for _ in range(readers):
                reader = await connect(path, busy_timeout_ms)
                opened.append(reader)
                await pragma(reader, "query_only = ON")
        except BaseException:
            for connection in opened:
                await connection.close()
            raise
        return cls(path, writer, opened[1:], max_batch)

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    @property
    def stats(self) -> WriteStats:
        """A snapshot of the writer's counters."""
        return WriteStats(self._writes, self._commits, self._failed_writes)

    # --- writing -------------------------------------------------------------------------

    async def write(self, work: Work[T], *, checkpoint: bool = False) -> T:
        """Run ``work`` in a write transaction and return its result once committed.

        ``work`` may be grouped with other callers' writes into one transaction; it runs
        inside its own SAVEPOINT, so if it raises, only its own changes are rolled back and
        the exception is raised here. It must only use the connection it is given and must
        not call :meth:`write` itself (that would wait for its own transaction).

        ``work`` must not COMMIT or ROLLBACK itself; if it ends the transaction, every
        write of the batch fails rather than being acknowledged without our COMMIT.

        If the caller is cancelled before ``work`` starts, it never runs. Once it has
        started it runs to the end and commits: half-cancelling a transaction would be
        worse than an answer the caller no longer waits for.

        Args:
            work: ``async def work(connection) -> result``.
            checkpoint: After the commit, copy the WAL into the database and truncate it
                before returning: used by erasure, so deleted data does not linger in the
                write-ahead log.

        Raises:
            DatabaseClosed: :meth:`close` was called.
            Exception: Whatever ``work`` raised, or the error of a failed COMMIT.
        """
        if self._closing or self._writer_task.done():
            raise DatabaseClosed("the database is closed")
        if asyncio.current_task() is self._writer_task:
            raise RuntimeError("write() called from inside a write; use the given connection")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(work, future, checkpoint))
        return await future

    async def write_sync(self, work: SyncWork[T]) -> T:
        """Like :meth:`write`, for a plain function run in the database's own thread.

        ``work(connection)`` gets the underlying ``sqlite3.Connection`` (rows are
        ``sqlite3.Row``) and must only run statements on it: it runs outside the event
        loop, so it must not touch asyncio objects. Consecutive ``write_sync`` jobs of a
        batch run in one hand-off to the thread, each in its own SAVEPOINT, which is what
        makes grouped commits cheap for the per-answer writes.

        Raises:
            DatabaseClosed: :meth:`close` was called.
            Exception: Whatever ``work`` raised, or the error of a failed COMMIT.
        """
        if self._closing or self._writer_task.done():
            raise DatabaseClosed("the database is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(work, future, False, in_thread=True))
        return await future

    async def checkpoint(self) -> None:
        """Move everything committed from the WAL into the database file, and truncate it."""

        async def nothing(connection: aiosqlite.Connection) -> None:
            return None

        await self.write(nothing, checkpoint=True)

    async def _run_writer(self) -> None:
        try:
            while True:
                first = await self._queue.get()
                if first is _STOP:
                    return
                batch: list[_Job] = [first]  # type: ignore[list-item]
                stop = False
                while len(batch) < self._max_batch and not self._queue.empty():
                    job = self._queue.get_nowait()
                    if job is _STOP:
                        stop = True
                        break
                    batch.append(job)  # type: ignore[arg-type]
                await self._run_batch(batch)
                if stop:
                    return
        finally:
            # Only reached with jobs still queued if the writer itself was cancelled.
            while not self._queue.empty():
                job = self._queue.get_nowait()
                if isinstance(job, _Job) and not job.future.done():
                    job.future.set_exception(DatabaseClosed("the database was closed"))

    async def _run_batch(self, batch: list[_Job]) -> None:
        jobs = [job for job in batch if not job.future.cancelled()]
        if not jobs:
            return
        connection = self._writer
        grouped = len(jobs) > 1
        outcomes: list[tuple[_Job, BaseException | None, Any]] = []
        try:
            await connection.execute("BEGIN IMMEDIATE")
            position = 0
            while position < len(jobs):
                job = jobs[position]
                position += 1
                if job.future.cancelled():  # its caller gave up while earlier jobs ran
                    continue
                if job.in_thread:
                    run = [job]
                    while position < len(jobs) and jobs[position].in_thread:
                        if not jobs[position].future.cancelled():
                            run.append(jobs[position])
                        position += 1
                    outcomes += await connection._execute(  # noqa: SLF001 - see _run_in_thread
                        _run_in_thread, connection._conn, run, grouped)  # noqa: SLF001
                    continue
                if grouped:
                    await connection.execute("SAVEPOINT work")
                try:
                    result = await job.work(connection)
                except Exception as error:
                    try:
                        if grouped:
                            await connection.execute("ROLLBACK TO work")
                            await connection.execute("RELEASE work")
                        else:
                            await connection.execute("ROLLBACK")
                    except Exception:
                        # SQLite already abandoned the whole transaction (disk full, I/O
                        # error): the batch fails, with this write's error as the cause.
                        raise error from None
                    outcomes.append((job, error, None))
                    continue
                if grouped:
                    await connection.execute("RELEASE work")
                outcomes.append((job, None, result))
            if connection.in_transaction:
                await connection.execute("COMMIT")
                self._commits += 1
            elif any(err is None for _, err, _ in outcomes):
                # Someone's work ended the transaction itself: whatever it did, the other
                # writes were not committed by us, so nobody may be told "saved".
                raise StorageError("a write ended the transaction before COMMIT")
        except BaseException as error:
            # BEGIN, a savepoint or the COMMIT failed (disk full, I/O error, another process
            # holding the lock too long), or the writer is being cancelled: nothing of this
            # batch is committed, and every caller must hear so.
            if connection.in_transaction:
                try:
                    await connection.execute("ROLLBACK")
                except Exception:
                    logger.exception("rollback after a failed write batch failed")
            own_errors = {id(job): err for job, err, _ in outcomes if err is not None}
            failure = error if isinstance(error, Exception) else DatabaseClosed("writer stopped")
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(own_errors.get(id(job), failure))
            self._writes += len(jobs)
            self._failed_writes += len(jobs)
            if not isinstance(error, Exception):
                raise
            logger.error("a write batch of %d failed: %s", len(jobs), type(error).__name__)
            return
        self._writes += len(jobs)
        self._failed_writes += sum(1 for _, err, _ in outcomes if err is not None)
        later = [outcome for outcome in outcomes if outcome[0].checkpoint]
        for outcome in outcomes:
            if not outcome[0].checkpoint:
                _resolve(*outcome)
        if later:
            await self._checkpoint()
            for outcome in later:
                _resolve(*outcome)

    async def _checkpoint(self) -> None:
        try:
            await pragma(self._writer, "wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            # Best effort: the data is committed; the next checkpoint will catch up.
            logger.warning("WAL checkpoint failed", exc_info=True)

    # --- reading -------------------------------------------------------------------------

    async def read(self, work: Work[T]) -> T:
        """Run read-only ``work`` on a reader connection; it sees every committed write.

        Each statement sees the latest commit; wrap several statements in ``BEGIN`` …
        ``COMMIT`` inside ``work`` if they must see one snapshot. Keep ``work`` short: a
        reader is held for its duration.

        Raises:
            DatabaseClosed: :meth:`close` was called.
        """
        if self._closing:
            raise DatabaseClosed("the database is closed")
        connection = await self._readers.get()
        try:
            return await work(connection)
        finally:
            try:
                if connection.in_transaction:
                    await connection.execute("ROLLBACK")
            finally:
                self._readers.put_nowait(connection)

    # --- closing -------------------------------------------------------------------------

    async def close(self) -> None:
        """Finish every write already queued, then close all connections.

        Writes requested after ``close()`` started raise :class:`DatabaseClosed`; writes
        queued before it are committed and acknowledged, so a SIGTERM loses nothing that
        was accepted. Safe to call more than once, and from several tasks.
        """
        if self._close_task is None:
            self._closing = True
            self._queue.put_nowait(_STOP)
            self._close_task = asyncio.create_task(self._close(), name="consultbot-db-close")
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        try:
            await self._writer_task
        except BaseException:
            logger.exception("the database writer stopped with an error")
        for _ in range(self._reader_count):
            reader = await self._readers.get()
            await reader.close()
        try:
            await pragma(self._writer, "optimize")
        except sqlite3.Error:
            logger.warning("PRAGMA optimize failed", exc_info=True)
        await self._writer.close()


def _run_in_thread(raw: sqlite3.Connection, jobs: list[_Job],
                   grouped: bool) -> list[tuple[_Job, BaseException | None, Any]]:
    """Run ``write_sync`` jobs back to back in aiosqlite's thread, each in its savepoint.

    Called through ``aiosqlite.Connection._execute`` (the private hook aiosqlite's own
    methods use to run a function in its thread; pinned by ``aiosqlite<1``), with the
    connection's own ``sqlite3.Connection``: one hand-off for the whole run of jobs.
    Mirrors the per-job handling of :meth:`Database._run_batch`.
    """
    outcomes: list[tuple[_Job, BaseException | None, Any]] = []
    for job in jobs:
        if grouped:
            raw.execute("SAVEPOINT work")
        try:
            result = job.work(raw)
        except Exception as error:
            try:
                if grouped:
                    raw.execute("ROLLBACK TO work")
                    raw.execute("RELEASE work")
                else:
                    raw.execute("ROLLBACK")
            except Exception:
                raise error from None
            outcomes.append((job, error, None))
            continue
        if grouped:
            raw.execute("RELEASE work")
        outcomes.append((job, None, result))
    return outcomes


def _resolve(job: _Job, error: BaseException | None, result: object) -> None:
    if job.future.done():  # the caller gave up while its write ran; it still committed
        return
    if error is not None:
        job.future.set_exception(error)
    else:
        job.future.set_result(result)
