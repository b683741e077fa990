"""The SQLite database: one writer thread that groups commits, a small pool of readers.

Why this shape (ARCHITECTURE.md, "Storage"):

* **One writer.** SQLite allows one writer at a time anyway; funnelling every write through
  one thread that owns one plain ``sqlite3`` connection removes ``database is locked``
  surprises and lets us group writes. It is datasette's design: a write is a plain
  function ``work(connection) -> result`` run by the writer thread, never on the event loop.
* **Grouped commits.** With ``synchronous=FULL`` every COMMIT is an fsync, and an fsync per
  answer would cap the bot at a few hundred answers a second on a slow disk. Writes queued
  while a commit is in flight run together in the next ``BEGIN IMMEDIATE … COMMIT``, each
  inside its own SAVEPOINT so one failing write rolls back only itself.
* **Acknowledge only after commit.** :meth:`Database.write` returns (or raises) only once
  the COMMIT that contains the write has returned, so the bot never tells a participant
  "saved" for an answer a power cut could still lose.
* **Cheap hand-offs.** A whole batch costs one wake-up of the writer thread and one
  call back into the event loop, however many writes it holds; the statements of a write
  run back to back in the thread (bench/README.md, benchmark 2).
* **Readers never block the writer** (WAL), and never see uncommitted data; they are
  aiosqlite connections with ``query_only`` set.
* **Key lookups stay on the event loop.** Finding one row by its key takes SQLite a few
  microseconds; handing it to a reader thread and back costs two GIL hand-offs, hundreds
  of microseconds on a busy machine, several times per answer (bench/README.md,
  benchmark 1). :meth:`Database.lookup` runs such a lookup on a ``query_only`` connection
  of the event loop's own, never waiting for a lock: if one is held, the lookup goes
  to a reader thread as any other read.

The interface (``write(fn)``, ``read(fn)``, ``lookup(fn)``, ``checkpoint()``, ``close()``) is small on
purpose: a PostgreSQL implementation can offer the same with a connection pool and one
transaction per batch, and must pass ``tests/storage/contract``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Self, TypeVar, cast

import aiosqlite

from storage.connections import connect, connect_inline, create_private_file
from storage.errors import DatabaseClosed, StorageError
from storage.schema import Migration, load_migrations
from storage.writer import GroupWork, Writer

__all__ = ["Database", "GroupWork", "WriteStats"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: A write: a plain function given the writer's ``sqlite3.Connection`` (rows are
#: ``sqlite3.Row``), run in the writer thread inside the batch's transaction.
WriteWork = Callable[[sqlite3.Connection], T]
#: A read: receives a reader connection, runs its queries, returns a result.
ReadWork = Callable[[aiosqlite.Connection], Awaitable[T]]
#: A lookup: a plain function given a ``query_only`` ``sqlite3.Connection``; a few indexed
#: row reads, nothing that scans.
LookupWork = Callable[[sqlite3.Connection], T]

#: Largest number of writes grouped into one transaction: bounds how long one COMMIT holds
#: the write lock and how much work one failing COMMIT has to report back.
DEFAULT_MAX_BATCH: Final = 64
DEFAULT_READERS: Final = 2
DEFAULT_BUSY_TIMEOUT_MS: Final = 5_000


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
        "_busy_timeout_ms",
        "_close_task",
        "_closing",
        "_inline",
        "_path",
        "_reader_count",
        "_readers",
        "_writer",
    )

    def __init__(
        self,
        path: Path,
        writer: Writer,
        readers: Sequence[aiosqlite.Connection],
        inline: sqlite3.Connection | None = None,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        """Use :meth:`open`: it configures and migrates the connections first."""
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._writer = writer
        self._inline = inline
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for reader in readers:
            self._readers.put_nowait(reader)
        self._reader_count = len(readers)
        self._closing = False
        self._close_task: asyncio.Task[None] | None = None

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
        known = load_migrations() if migrations is None else migrations
        try:
            writer = await Writer.start(path, known, max_batch, busy_timeout_ms)
        except sqlite3.DatabaseError as error:
            # e.g. "file is not a database", "database is locked": say which file, plainly.
            raise StorageError(f"cannot open the database {path}: {error}") from error
        opened: list[aiosqlite.Connection] = []
        inline: sqlite3.Connection | None = None
        try:
            for _ in range(readers):
                opened.append(await connect(path, busy_timeout_ms, query_only=True))
            inline = connect_inline(path)
        except BaseException as error:
            for connection in opened:
                await connection.close()
            await writer.stop()
            if isinstance(error, sqlite3.DatabaseError):
                raise StorageError(f"cannot open the database {path}: {error}") from error
            raise
        return cls(path, writer, opened, inline, busy_timeout_ms)

    async def __aenter__(self) -> Self:
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
        writes, commits, failed = self._writer.counters()
        return WriteStats(writes, commits, failed)

    # --- writing -------------------------------------------------------------------------

    async def write(self, work: WriteWork[T], *, checkpoint: bool = False) -> T:
        """Run ``work`` in a write transaction and return its result once committed.

        ``work(connection)`` is a plain function run in the writer thread, on the writer's
        ``sqlite3.Connection``; it must only run statements on it (it is outside the event
        loop, so it must not touch asyncio objects) and must not COMMIT or ROLLBACK itself:
        if it ends the transaction, every write of the batch fails rather than being
        acknowledged without our COMMIT. It may be grouped with other callers' writes into
        one transaction; it runs inside its own SAVEPOINT, so if it raises, only its own
        changes are rolled back and the exception is raised here.

        If the caller is cancelled before ``work`` starts, it never runs. Once it has
        started it runs to the end and commits: half-cancelling a transaction would be
        worse than an answer the caller no longer waits for.

        Args:
            work: ``def work(connection) -> result``.
            checkpoint: After the commit, copy the WAL into the database and truncate it
                before returning: used by erasure, so deleted data does not linger in the
                write-ahead log.

        Raises:
            DatabaseClosed: :meth:`close` was called, or the writer stopped.
            TypeError: ``work`` is a coroutine function (writes are plain functions).
            Exception: Whatever ``work`` raised, or the error of a failed COMMIT.
        """
        if inspect.iscoroutinefunction(work):
            raise TypeError("Database.write takes a plain function, not a coroutine function")
        if self._closing:
            raise DatabaseClosed("the database is closed")
        result: T = await self._writer.submit(work, checkpoint)
        return result

    async def write_item(self, group: GroupWork, item: Any) -> Any:
        """Write ``item`` with the grouped work ``group``; return its result once committed.

        For writes so frequent (an answer) that the Python work around each one counts:
        ``group(connection, items)`` runs once, in the writer thread, for the items of
        every consecutive call with the same ``group`` that reaches one batch, inside one
        SAVEPOINT of the batch's transaction, and returns one ``(error, result)`` per item,
        in order. An item it fails must leave no change behind (check all, then write the
        good ones, e.g. with one ``executemany``); if ``group`` raises, every item of the
        call fails with that error and its changes are rolled back. As with :meth:`write`,
        this returns (or raises the item's error) only after the COMMIT.

        Raises:
            DatabaseClosed: :meth:`close` was called, or the writer stopped.
            Exception: The item's own error, or the error of a failed COMMIT.
        """
        if self._closing:
            raise DatabaseClosed("the database is closed")
        return await self._writer.submit_item(group, item)

    async def checkpoint(self) -> None:
        """Move everything committed from the WAL into the database file, and truncate it."""
        await self.write(_nothing, checkpoint=True)

    # --- reading -------------------------------------------------------------------------

    async def read(self, work: ReadWork[T]) -> T:
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

    async def scan(self, sql: str, params: Sequence[object], *,
                   batch_size: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Yield the rows of one ``SELECT`` as plain tuples, ``batch_size`` at a time.

        For reads of a whole table (exports): one statement, so one snapshot and one walk
        of the b-tree, where pages of ``LIMIT`` queries seek again for each page. It runs on
        a connection of its own, opened for the scan and closed after it, so however long
        the caller takes between batches the reader connections stay free for everyone
        else (a moderator's export never holds a participant's read).

        Raises:
            DatabaseClosed: :meth:`close` was called.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self._closing:
            raise DatabaseClosed("the database is closed")
        connection = await connect(self._path, self._busy_timeout_ms, query_only=True)
        try:
            cursor = await connection.cursor()
            cursor.row_factory = None
            cursor.arraysize = batch_size
            await cursor.execute(sql, tuple(params))
            while rows := await cursor.fetchmany():
                # row_factory None: the rows are plain tuples, whatever aiosqlite's hints say.
                yield cast(list[tuple[Any, ...]], list(rows))
                if self._closing:
                    raise DatabaseClosed("the database is closed")
        finally:
            await connection.close()

    async def lookup(self, work: LookupWork[T]) -> T:
        """Run a key lookup on the event loop's own read connection, without a thread hop.

        For a few reads of rows by their key (an index seek each), which SQLite answers in
        microseconds: the hand-off to a reader thread would cost far more than the read.
        ``work(connection)`` gets a ``query_only`` ``sqlite3.Connection`` in autocommit
        mode, sees every committed write, and must not scan tables. That connection never
        waits for a lock: when another process holds one (a rare moment of WAL recovery),
        ``work`` runs on a reader thread instead, as :meth:`read` would run it.

        Raises:
            DatabaseClosed: :meth:`close` was called.
        """
        if self._closing:
            raise DatabaseClosed("the database is closed")
        inline = self._inline
        if inline is not None:
            try:
                return work(inline)
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                if inline.in_transaction:
                    inline.execute("ROLLBACK")

        # Rare: wait for the lock as a reader would, in a worker thread, on a connection
        # of its own (the loop's one may be used meanwhile).
        return await asyncio.to_thread(_lookup_waiting, self._path, self._busy_timeout_ms, work)

    # --- closing -------------------------------------------------------------------------

    async def close(self) -> None:
        """Finish every write already queued, then close all connections.

        Writes requested after ``close()`` started raise :class:`DatabaseClosed`; writes
        queued before it are committed and acknowledged, so a SIGTERM loses nothing that
        was accepted. Safe to call more than once, and from several tasks.
        """
        if self._close_task is None:
            self._closing = True
            self._close_task = asyncio.create_task(self._close(), name="consultbot-db-close")
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        try:
            await self._writer.stop()
        except Exception:
            logger.exception("the database writer stopped with an error")
        for _ in range(self._reader_count):
            reader = await self._readers.get()
            await reader.close()
        if self._inline is not None:
            self._inline.close()
            self._inline = None


def _lookup_waiting(path: Path, busy_timeout_ms: int, work: LookupWork[T]) -> T:
    connection = connect_inline(path, busy_timeout_ms)
    try:
        return work(connection)
    finally:
        connection.close()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds a lock this one would wait for."""
    code = getattr(error, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(error)


def _nothing(connection: sqlite3.Connection) -> Any:
    return None
