"""Numbered, append-only SQL migrations, each applied in one transaction with its version row.

The files are ``storage/migrations/NNNN_name.sql`` (package data). A migration that fails
leaves the database exactly as it was, because the schema change and the
``schema_migrations`` row commit together or not at all. A database that records a version
this code does not know was written by a newer consultbot: it is refused rather than used,
since older code could silently misread or damage newer data.
"""

from __future__ import annotations

import datetime as _dt
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from storage.errors import MigrationError, SchemaTooNew

__all__ = [
    "Migration",
    "applied_versions",
    "apply_migrations",
    "load_migrations",
    "split_statements",
]

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_HISTORY = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_on TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: ``version`` orders them, ``sql`` is a script of statements."""

    version: int
    name: str
    sql: str


def load_migrations(directory: Traversable | Path | None = None) -> tuple[Migration, ...]:
    """Read every ``NNNN_name.sql`` of a directory, in version order.

    Args:
        directory: Defaults to the package's ``storage/migrations``; tests pass their own.

    Raises:
        MigrationError: Two files share a version number.
    """
    root = directory if directory is not None else resources.files("storage") / "migrations"
    migrations: dict[int, Migration] = {}
    for entry in root.iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        version = int(match["version"])
        if version in migrations:
            raise MigrationError(
                f"two migrations numbered {version:04d}: "
                f"{migrations[version].name} and {match['name']}"
            )
        migrations[version] = Migration(version, match["name"], entry.read_text("utf-8"))
    return tuple(migrations[version] for version in sorted(migrations))


def applied_versions(connection: sqlite3.Connection) -> dict[int, str]:
    """The versions recorded in ``schema_migrations`` (empty for a new database)."""
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchall()
    if not rows:
        return {}
    rows = connection.execute("SELECT version, name FROM schema_migrations").fetchall()
    return {int(version): str(name) for version, name in rows}


def _check_history(applied: dict[int, str], known: Sequence[Migration]) -> None:
    by_version = {migration.version: migration for migration in known}
    newest_known = max(by_version, default=0)
    unknown = sorted(version for version in applied if version not in by_version)
    if unknown and max(unknown) > newest_known:
        raise SchemaTooNew(
            f"the database has schema version {max(unknown):04d} but this consultbot only "
            f"knows up to {newest_known:04d}; upgrade consultbot (or restore a backup) "
            "instead of running an older version on newer data"
        )
    if unknown:
        raise MigrationError(
            f"the database records migration(s) {', '.join(f'{v:04d}' for v in unknown)} "
            "that this consultbot does not have; migrations are append-only"
        )
    for version, name in applied.items():
        if by_version[version].name != name:
            raise MigrationError(
                f"migration {version:04d} was applied as {name!r} but is now named "
                f"{by_version[version].name!r}; migrations are append-only"
            )


def split_statements(sql: str) -> list[str]:
    """Split a migration script into single statements.

    ``executescript()`` would commit any open transaction before running, which would break
    "one migration, one transaction"; so statements are executed one by one, cut where
    SQLite itself says a statement is complete (semicolons in strings, comments and trigger
    bodies do not cut).
    """
    statements: list[str] = []
    buffer = ""
    pieces = sql.split(";")
    for piece in pieces[:-1]:
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    buffer += pieces[-1]
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _apply_one(connection: sqlite3.Connection, migration: Migration, day: str) -> bool:
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another process may have migrated meanwhile.
        if migration.version in applied_versions(connection):
            connection.execute("ROLLBACK")
            return False
        for statement in split_statements(migration.sql):
            connection.execute(statement)
        connection.execute(
            "INSERT INTO schema_migrations (version, name, applied_on) VALUES (?, ?, ?)",
            (migration.version, migration.name, day),
        )
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return True


def apply_migrations(
    connection: sqlite3.Connection,
    migrations: Iterable[Migration],
    *,
    today: _dt.date | None = None,
) -> list[Migration]:
    """Bring the schema up to date, one transaction per migration.

    Runs on the writer connection (in autocommit mode, in the writer thread) before any
    other write.

    Returns:
        The migrations that were applied now (empty if the schema was current).

    Raises:
        SchemaTooNew: The database is newer than this code.
        MigrationError: A migration failed (the database is left as before it) or the
            recorded history contradicts the migration files.
    """
    known = list(migrations)
    connection.execute(_CREATE_HISTORY)
    applied = applied_versions(connection)
    _check_history(applied, known)
    day = (today or _dt.datetime.now(_dt.UTC).date()).isoformat()
    done: list[Migration] = []
    for migration in known:
        if migration.version in applied:
            continue
        try:
            if _apply_one(connection, migration, day):
                done.append(migration)
        except Exception as error:
            raise MigrationError(
                f"migration {migration.version:04d}_{migration.name} failed and was rolled "
                f"back: {error}"
            ) from error
    return done
