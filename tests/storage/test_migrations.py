"""Migrations: applied from empty, once, in one transaction each; newer schemas refused."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from storage.database import Database
from storage.errors import MigrationError, SchemaTooNew, StorageError
from storage.schema import Migration, load_migrations, split_statements


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def _history(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(path) as connection:
        return list(
            connection.execute("SELECT version, name FROM schema_migrations ORDER BY version")
        )


def _write_migrations(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql, encoding="utf-8")
    return directory


async def test_package_migrations_are_numbered_from_0001_without_gaps() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "core"


async def test_empty_database_gets_every_migration_and_its_history(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path)
    await db.close()

    assert {"surveys", "responses", "participant_preferences", "schema_migrations"} <= _tables(path)
    assert _history(path) == [(m.version, m.name) for m in load_migrations()]
    with sqlite3.connect(path) as connection:
        (applied_on,) = connection.execute("SELECT applied_on FROM schema_migrations").fetchone()
    assert len(applied_on) == 10  # an ISO day, no time


async def test_reopening_applies_nothing_twice_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path)
    await db.write(
        lambda c: c.execute(
            "INSERT INTO participant_preferences (participant_key, language) VALUES (?, 'fr')",
            ("a" * 64,),
        )
    )
    await db.close()
    history = _history(path)

    db = await Database.open(path)
    rows = await db.read(
        lambda c: c.execute_fetchall("SELECT language FROM participant_preferences")
    )
    await db.close()

    assert [tuple(row) for row in rows] == [("fr",)]
    assert _history(path) == history


async def test_database_from_a_newer_consultbot_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path)
    await db.close()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO schema_migrations VALUES (9999, 'from_the_future', '2030-01-01')"
        )
    before = path.read_bytes()

    with pytest.raises(SchemaTooNew, match="9999"):
        await Database.open(path)

    assert path.read_bytes() == before


async def test_failed_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    directory = _write_migrations(
        tmp_path / "migrations",
        {
            "0001_first.sql": "CREATE TABLE first (x INTEGER);",
            "0002_broken.sql": (
                "CREATE TABLE second (x INTEGER);\n"
                "INSERT INTO first VALUES (1);\n"
                "THIS IS NOT SQL;\n"
            ),
        },
    )

    with pytest.raises(MigrationError, match="0002_broken"):
        await Database.open(path, migrations=load_migrations(directory))

    assert "second" not in _tables(path)
    assert _history(path) == [(1, "first")]
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM first").fetchone() == (0,)

    # Once fixed, the migration applies on the next start.
    (directory / "0002_broken.sql").write_text("CREATE TABLE second (x INTEGER);")
    db = await Database.open(path, migrations=load_migrations(directory))
    await db.close()
    assert _history(path) == [(1, "first"), (2, "broken")]
    assert "second" in _tables(path)


async def test_migrations_run_in_version_order_not_file_order(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    migrations = [
        Migration(1, "table", "CREATE TABLE t (x INTEGER);"),
        Migration(2, "column", "ALTER TABLE t ADD COLUMN y INTEGER;"),
    ]
    db = await Database.open(path, migrations=migrations)
    await db.close()
    db = await Database.open(
        path, migrations=[*migrations, Migration(3, "index", "CREATE INDEX ty ON t (y);")]
    )
    await db.close()
    assert _history(path) == [(1, "table"), (2, "column"), (3, "index")]


async def test_renamed_applied_migration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    db = await Database.open(path, migrations=[Migration(1, "one", "CREATE TABLE t (x);")])
    await db.close()
    with pytest.raises(MigrationError, match="append-only"):
        await Database.open(path, migrations=[Migration(1, "other", "CREATE TABLE t (x);")])


def test_duplicate_version_numbers_are_refused(tmp_path: Path) -> None:
    directory = _write_migrations(
        tmp_path / "m", {"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"}
    )
    with pytest.raises(MigrationError, match="0001"):
        load_migrations(directory)


def test_statements_split_like_sqlite_reads_them() -> None:
    script = """
        -- a comment; with a semicolon
        CREATE TABLE t (x TEXT DEFAULT 'a;b');
        CREATE TRIGGER t_guard BEFORE DELETE ON t BEGIN
            SELECT RAISE(ABORT, 'no; never');
        END;
        INSERT INTO t VALUES ('c')
    """
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    assert statements[2] == "INSERT INTO t VALUES ('c')"


async def test_pragmas_for_durability_and_erasure_are_set(database: Database) -> None:
    def pragmas(connection: sqlite3.Connection) -> dict[str, object]:
        values = {}
        for name in (
            "journal_mode",
            "synchronous",
            "secure_delete",
            "foreign_keys",
            "busy_timeout",
            "trusted_schema",
        ):
            values[name] = connection.execute(f"PRAGMA {name}").fetchone()[0]
        return values

    values = await database.write(pragmas)
    assert values["journal_mode"] == "wal"
    assert values["synchronous"] == 2  # FULL
    assert values["secure_delete"] == 1
    assert values["foreign_keys"] == 1
    assert values["busy_timeout"] > 0
    assert values["trusted_schema"] == 0


async def test_readers_cannot_write(database: Database) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await database.read(
            lambda c: c.execute(
                "INSERT INTO participant_preferences (participant_key) VALUES (?)", ("b" * 64,)
            )
        )


async def test_database_file_is_private(database: Database) -> None:
    assert stat.S_IMODE(os.stat(database.path).st_mode) == 0o600


async def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.write_bytes(b"this is a spreadsheet, not a database" * 200)
    with pytest.raises(StorageError, match=r"db\.sqlite3"):
        await Database.open(path)
