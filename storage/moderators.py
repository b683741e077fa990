"""The moderator list: Telegram user ids an admin allowed to moderate.

One of the two places a raw Telegram id may be stored. Admins themselves
come from ``CONSULTBOT_ADMINS`` and are not stored here.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from storage.database import Database
from surveys import model

__all__ = ["Moderator", "ModeratorRepository"]


@dataclass(frozen=True, slots=True)
class Moderator:
    """A moderator added by an admin."""

    user_id: int
    added_by: int
    added_on: _dt.date


class ModeratorRepository:
    """Adds, removes and lists moderators."""

    __slots__ = ("_db", "_today")

    def __init__(self, db: Database, *, today: Callable[[], _dt.date] = model.today) -> None:
        self._db = db
        self._today = today

    async def add(self, user_id: int, added_by: int) -> bool:
        """Add a moderator; ``False`` if they already were one."""
        today = self._today().isoformat()

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO moderators (user_id, added_by, added_on) VALUES (?, ?, ?)",
                (int(user_id), int(added_by), today),
            )
            added = cursor.rowcount == 1
            return added

        return await self._db.write(work)

    async def remove(self, user_id: int) -> bool:
        """Remove a moderator; ``False`` if they were not one."""

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM moderators WHERE user_id = ?", (int(user_id),)
            )
            removed = cursor.rowcount == 1
            return removed

        return await self._db.write(work)

    async def is_moderator(self, user_id: int) -> bool:
        """Whether an admin added this user (admins from the configuration are not listed)."""

        async def work(connection: aiosqlite.Connection) -> bool:
            rows = await connection.execute_fetchall(
                "SELECT 1 FROM moderators WHERE user_id = ?", (int(user_id),)
            )
            return bool(rows)

        return await self._db.read(work)

    async def list(self) -> list[Moderator]:
        """Every added moderator, in id order."""

        async def work(connection: aiosqlite.Connection) -> list[Moderator]:
            rows = await connection.execute_fetchall(
                "SELECT user_id, added_by, added_on FROM moderators ORDER BY user_id"
            )
            return [
                Moderator(int(r[0]), int(r[1]), _dt.date.fromisoformat(r[2])) for r in rows
            ]

        return await self._db.read(work)

    async def ids(self) -> builtins.list[int]:
        """The user ids of every added moderator (e.g. digest recipients)."""
        return [moderator.user_id for moderator in await self.list()]
