"""Opening SQLite connections the way consultbot needs them (used by :mod:`storage.database`)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import aiosqlite

__all__ = ["connect", "create_private_file", "fetch_one", "pragma"]


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
    return rows[0] if rows else None


async def connect(path: Path, busy_timeout_ms: int) -> aiosqlite.Connection:
    """Open a connection in autocommit mode with the settings every connection needs.

    Args:
        path: The database file.
        busy_timeout_ms: How long a statement waits for another process's lock.
    """
    # isolation_level=None: the sqlite3 module must not open transactions behind our back;
    # every BEGIN/COMMIT/SAVEPOINT is explicit.
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        connection.row_factory = sqlite3.Row
        await pragma(connection, f"busy_timeout = {int(busy_timeout_ms)}")
        await pragma(connection, "foreign_keys = ON")
        # Never let a crafted database file run functions from its schema with our rights.
        await pragma(connection, "trusted_schema = OFF")
    except BaseException:
        await connection.close()
        raise
    return connection


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists."""
    # SQLite creates a new file with mode 0644 and gives -wal/-shm the mode of the main
    # file; creating it ourselves with 0600 keeps all three private from the start.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600))
