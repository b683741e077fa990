"""SQLite-level work for backups, restores and health checks (the SQL half of ``bot.backups``).

* :func:`snapshot` copies a live database through SQLite's online backup API. It runs on
  its own read connection in one step: in WAL mode that is one read transaction, so the copy
  is the database exactly as of one commit, and the bot's writer is never blocked (it keeps
  appending to the WAL; only checkpoints wait for the copy to finish).
* :func:`inspect` checks a candidate file before it may replace anything: SQLite's
  ``integrity_check``, the recorded schema versions against this release's migrations, and
  the audit chain. It opens the file read-only and immutable, so checking never writes.
* :func:`database_in_use` tells whether another process has a database open.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite

from storage.audit import AuditLog, AuditVerification
from storage.connections import create_private_file
from storage.schema import Migration, load_migrations

__all__ = [
    "DatabaseInspection",
    "database_in_use",
    "database_size",
    "inspect",
    "pending_migrations",
    "snapshot",
]

T = TypeVar("T")

#: Byte of the ``-shm`` file on which every open connection holds a shared lock (SQLite's
#: unix VFS, ``UNIX_SHM_DMS``): if we cannot lock it exclusively, someone has the file open.
_SHM_DMS_OFFSET = 128


@dataclass(frozen=True, slots=True)
class DatabaseInspection:
    """What :func:`inspect` found in a database file.

    Attributes:
        integrity: ``"ok"``, or SQLite's first complaints from ``PRAGMA integrity_check``.
        schema_versions: The migration versions the file records.
        newest_known: The newest migration this release has.
        unknown_versions: Recorded versions this release does not have (a newer release
            wrote the file, or it is not a consultbot database).
        audit: The audit chain check, or ``None`` when no audit key was given or the file
            has no audit table yet.
        submitted_responses: How many submitted responses it holds (shown to the operator).
        reports: How many reports it holds.
    """

    integrity: str
    schema_versions: tuple[int, ...]
    newest_known: int
    unknown_versions: tuple[int, ...]
    audit: AuditVerification | None
    submitted_responses: int
    reports: int

    @property
    def ok(self) -> bool:
        """Whether the file may replace a live database."""
        audit_ok = self.audit is None or self.audit.ok
        return (self.integrity == "ok" and bool(self.schema_versions)
                and not self.unknown_versions and audit_ok)


def snapshot(source: Path, destination: Path) -> None:
    """Copy the live database ``source`` into the new file ``destination``, consistently.

    ``destination`` is created with mode 0600 and must not exist yet. Safe while other
    processes write to ``source``.

    Raises:
        FileExistsError: ``destination`` exists.
        sqlite3.Error: The source cannot be read.
    """
    if destination.exists():
        raise FileExistsError(destination)
    create_private_file(destination)
    source_connection = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(destination)
        try:
            # pages=-1: one step, hence one read transaction and one consistent snapshot. A
            # stepwise copy restarts whenever another connection commits, and under a steady
            # stream of answers it could restart forever.
            source_connection.backup(target, pages=-1)
            # A single file, no -wal beside it: the copy travels alone.
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    finally:
        source_connection.close()
    with open(destination, "rb") as handle:
        os.fsync(handle.fileno())


def database_size(path: Path) -> int:
    """Bytes the database occupies on disk, its WAL included (0 when missing)."""
    total = 0
    for name in (path, path.with_name(path.name + "-wal")):
        with contextlib.suppress(FileNotFoundError):
            total += name.stat().st_size
    return total


def database_in_use(path: Path) -> bool:
    """Whether another process has the database at ``path`` open.

    Every SQLite connection to a WAL database holds a shared POSIX lock on one byte of the
    ``-shm`` file for as long as it is open; a process that cannot take that byte
    exclusively knows someone else has the database open. (POSIX locks do not conflict
    within one process, so connections of the calling process are not seen.)
    """
    shm = path.with_name(path.name + "-shm")
    try:
        fd = os.open(shm, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_OFFSET, os.SEEK_SET)
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EAGAIN):
                return True
            raise
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS_OFFSET, os.SEEK_SET)
        return False
    finally:
        os.close(fd)


async def pending_migrations(path: Path) -> tuple[Migration, ...]:
    """This release's migrations that the database at ``path`` has not applied yet.

    An empty tuple also when the file records versions newer than this release; use
    :func:`inspect` to tell that case apart.
    """
    async with _read_only(path) as connection:
        applied = set(await _versions(connection))
    return tuple(migration for migration in load_migrations() if migration.version not in applied)


async def inspect(path: Path, audit_key: bytes | None, *,
                  integrity: Literal["full", "quick", "skip"] = "full") -> DatabaseInspection:
    """Check a database file without changing it.

    Args:
        path: The file (a decrypted backup, or the live database).
        audit_key: ``ServerSecret.derive_key("audit")`` of the installation, to walk the
            audit chain; ``None`` skips that check.
        integrity: ``"full"`` runs ``PRAGMA integrity_check``; ``"quick"`` runs
            ``quick_check`` (skips index consistency, the slow part on a big file);
            ``"skip"`` reads only the schema versions, for frequent health checks (the
            integrity is then reported as ``"ok"`` and the counts as 0).

    Raises:
        sqlite3.DatabaseError: The file is not a SQLite database at all.
    """
    known = load_migrations()
    newest_known = max((migration.version for migration in known), default=0)
    async with _read_only(path) as connection:
        result = "ok"
        if integrity != "skip":
            rows = await connection.execute_fetchall(
                "PRAGMA quick_check(5)" if integrity == "quick" else "PRAGMA integrity_check(5)")
            result = "; ".join(str(row[0]) for row in rows)
        versions = tuple(sorted(await _versions(connection)))
        tables = {str(row[0]) for row in await connection.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table'")} if integrity != "skip" else set()
        responses = await _count(connection, tables, "responses", "status = 'submitted'")
        reports = await _count(connection, tables, "reports", "1 = 1")
        audit = None
        if audit_key is not None and "audit_log" in tables and result == "ok":
            audit = await AuditLog(_Reader(connection), audit_key).verify()
    known_versions = {migration.version for migration in known}
    return DatabaseInspection(
        integrity=result,
        schema_versions=versions,
        newest_known=newest_known,
        unknown_versions=tuple(v for v in versions if v not in known_versions),
        audit=audit,
        submitted_responses=responses,
        reports=reports,
    )


class _Reader:
    """The ``read(fn)`` half of :class:`storage.database.Database` over one connection."""

    __slots__ = ("_connection",)

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def read(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        return await work(self._connection)


@contextlib.asynccontextmanager
async def _read_only(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    if not path.is_file():
        raise FileNotFoundError(path)
    # immutable=1 on a closed copy: no -shm/-wal is created next to it and nothing locks;
    # on a live database only mode=ro, so committed WAL content is seen.
    live = path.with_name(path.name + "-wal").exists()
    query = "mode=ro" if live else "mode=ro&immutable=1"
    connection = await aiosqlite.connect(f"{path.resolve().as_uri()}?{query}", uri=True)
    try:
        await connection.execute("PRAGMA trusted_schema = OFF")
        yield connection
    finally:
        await connection.close()


async def _versions(connection: aiosqlite.Connection) -> list[int]:
    rows = await connection.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    if not list(rows):
        return []
    return [int(row[0]) for row in
            await connection.execute_fetchall("SELECT version FROM schema_migrations")]


async def _count(connection: aiosqlite.Connection, tables: set[str], table: str,
                 condition: str) -> int:
    # The table and condition are constants of this module, never input.
    if table not in tables:
        return 0
    rows: Any = await connection.execute_fetchall(
        f"SELECT count(*) FROM {table} WHERE {condition}")
    return int(next(iter(rows))[0])


@contextlib.contextmanager
def private_temporary(directory: Path, prefix: str) -> Iterator[Path]:
    """A not-yet-existing path in ``directory`` for a temporary file, removed afterwards."""
    path = directory / f".{prefix}-{os.urandom(8).hex()}.tmp"
    try:
        yield path
    finally:
        for leftover in (path, path.with_name(path.name + "-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
