"""The moderator list holds raw Telegram ids, so it must hold no day (migration 0013).

The attack: a moderator added on a quiet day, right after answering, would be paired with
that day's few submissions by the day beside their id. README, "What each attacker can
learn about a survey answer", row (a).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from storage import DATABASE_FILE_NAME, Storage
from tests.storage.older_release import older_database

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MODERATOR = 8_123_456_789


def _moderator_rows(data_dir: Path) -> tuple[list[str], list[tuple[object, ...]]]:
    with sqlite3.connect(data_dir / DATABASE_FILE_NAME) as connection:
        cursor = connection.execute("SELECT * FROM moderators")
        return [c[0] for c in cursor.description], cursor.fetchall()


def _dated(columns: list[str], rows: list[tuple[object, ...]]) -> list[object]:
    return [value for row in rows for value in row if isinstance(value, str) and DAY.search(value)]


async def test_a_new_moderator_is_stored_without_a_day(tmp_path: Path) -> None:
    async with await Storage.open(tmp_path) as storage:
        await storage.moderators.add(MODERATOR, added_by=1, role="analyst")
        assert (await storage.moderators.get(MODERATOR)).role == "analyst"
    columns, rows = _moderator_rows(tmp_path)
    assert len(rows) == 1 and not any(name.endswith("_on") for name in columns)
    assert _dated(columns, rows) == []


async def test_the_upgrade_drops_the_day_an_older_release_stored(tmp_path: Path) -> None:
    data_dir, key = tmp_path / "data", tmp_path / "key"
    db, _ = await older_database(data_dir, key, "s", before=13)
    await db.write(lambda connection: connection.execute(
        "INSERT INTO moderators (user_id, added_by, added_on, role, categories)"
        " VALUES (?, 1, '2026-03-14', 'handler', '')", (MODERATOR,)))
    await db.close()
    columns, rows = _moderator_rows(data_dir)
    assert _dated(columns, rows) == ["2026-03-14"]  # the attack works on the old layout
    async with await Storage.open(data_dir, key_file=key) as storage:
        assert (await storage.moderators.get(MODERATOR)).role == "handler"  # kept, undated
    columns, rows = _moderator_rows(data_dir)
    assert len(rows) == 1 and _dated(columns, rows) == []
    leftovers = b"".join(p.read_bytes() for p in data_dir.glob(DATABASE_FILE_NAME + "*"))
    assert b"2026-03-14" not in leftovers  # not left behind in a free page or the WAL
