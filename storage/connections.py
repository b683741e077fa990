"""Opening SQLite connections the way consultbot needs them (used by :mod:`storage.database`)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Final

import aiosqlite

from storage.errors import StorageError

__all__ = [
    "configure_writer",
    "connect",
    "connect_inline",
    "create_private_file",
    "fetch_one",
    "fetch_one_now",
    "open_writer",
    "pragma",
]

#: Keeps the WAL file from growing without bound after a burst (bytes).
_JOURNAL_SIZE_LIMIT: Final = 64 * 1024 * 1024


def _common_pragmas(busy_timeout_ms: int) -> tuple[str, ...]:
    return (
        f"busy_timeout = {int(busy_timeout_ms)}",
        "foreign_keys = ON",
        # Never let a crafted database file run functions from its schema with our rights.
        "trusted_schema = OFF",
    )


async def pragma(connection: aiosqlite.Connection, statement: str) -> object:
    """Run ``PRAGMA <statement>`` and return the first column of its first row (or None)."""
    async with connection.execute(f"PRAGMA {statement}") as cursor:
        row = await cursor.fetchone()
    return None if row is None else row[0]


async def fetch_one(
    connection: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> sqlite3.Row | None:
    """The first row of a query (meant for lookups by key), or None.

    One trip to the connection's thread instead of three (execute, fetchone, close the
    cursor): each trip hands the GIL to aiosqlite's thread and back, and on the answer path
    those hand-offs were a third of the storage time (see bench/README.md, benchmark 1).
    """
    rows = await connection.execute_fetchall(sql, params)
    return next(iter(rows), None)


def fetch_one_now(
    connection: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()
) -> sqlite3.Row | None:
    """:func:`fetch_one` for a write running in the writer thread."""
    row: sqlite3.Row | None = connection.execute(sql, params).fetchone()
    return row


async def connect(
    path: Path, busy_timeout_ms: int, *, query_only: bool = False
) -> aiosqlite.Connection:
    """Open a reader connection in autocommit mode with the settings every connection needs.

    Args:
        path: The database file.
        busy_timeout_ms: How long a statement waits for another process's lock.
        query_only: Refuse every write on this connection (readers).
    """
    # isolation_level=None: the sqlite3 module must not open transactions behind our back;
    # every BEGIN/COMMIT/SAVEPOINT is explicit.
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        for statement in _common_pragmas(busy_timeout_ms):
            await pragma(connection, statement)
        if query_only:
            await pragma(connection, "query_only = ON")
    except BaseException:
        await connection.close()
        raise
    return connection


def connect_inline(path: Path, busy_timeout_ms: int = 0) -> sqlite3.Connection:
    """Open a ``query_only`` plain connection for key lookups (``Database.lookup``).

    With the default ``busy_timeout_ms`` of 0 it never waits for a lock, so it can run on
    the event loop: a lookup that meets a lock fails at once and is retried elsewhere.
    ``check_same_thread`` is off because the event loop of a test or of ``asyncio.run``
    may live on another thread than the one that opened the database; SQLite serialises
    the use of one connection itself.
    """
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        connection.row_factory = sqlite3.Row
        for statement in (*_common_pragmas(busy_timeout_ms), "query_only = ON"):
            connection.execute(f"PRAGMA {statement}").fetchall()
    except BaseException:
        connection.close()
        raise
    return connection


def open_writer(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """Open the writer's plain ``sqlite3`` connection (call it in the writer thread).

    Raises:
        sqlite3.DatabaseError: The file is not a database, or stays locked.
        StorageError: WAL mode cannot be used on it.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        for statement in _common_pragmas(busy_timeout_ms):
            connection.execute(f"PRAGMA {statement}").fetchall()
        configure_writer(connection, path)
    except BaseException:
        connection.close()
        raise
    return connection


def configure_writer(connection: sqlite3.Connection, path: Path) -> None:
    """The settings that make the writer durable and erasure real."""
    mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageError(f"cannot use WAL journal mode on {path} (got {mode!r})")
    # FULL: a committed answer survives a power cut, not only a process crash.
    connection.execute("PRAGMA synchronous = FULL")
    # Deleted responses (/forget) are overwritten with zeros, not left in free pages.
    connection.execute("PRAGMA secure_delete = ON").fetchall()
    connection.execute(f"PRAGMA journal_size_limit = {_JOURNAL_SIZE_LIMIT}").fetchall()


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists."""
    # SQLite creates a new file with mode 0644 and gives -wal/-shm the mode of the main
    # file; creating it ourselves with 0600 keeps all three private from the start.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
