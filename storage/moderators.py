"""The moderator list: Telegram user ids an admin allowed to moderate, with their role.

One of the two places a raw Telegram id may be stored (ARCHITECTURE.md, "Privacy rules").
Admins themselves come from ``CONSULTBOT_ADMINS`` and are not stored here.

A moderator holds one role: ``admin``, ``analyst`` or ``handler``; a handler may be limited
to some report categories (an empty tuple means every category). What each role may do is
decided in ``bot.moderation_access``, not here.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.database import Database
from surveys import model

__all__ = ["ROLES", "Moderator", "ModeratorRepository"]

#: The roles a stored moderator can hold.
ROLES = ("admin", "analyst", "handler")


@dataclass(frozen=True, slots=True)
class Moderator:
    """A moderator added by an admin.

    Attributes:
        user_id: Their Telegram user id.
        added_by: The admin who added them (or last changed their role).
        added_on: The day they were added.
        role: ``admin``, ``analyst`` or ``handler``.
        categories: The report categories a handler is limited to; empty: all of them.
    """

    user_id: int
    added_by: int
    added_on: _dt.date
    role: str = "handler"
    categories: tuple[str, ...] = ()


def _moderator(row: Sequence[object]) -> Moderator:
    categories = tuple(c for c in str(row[4]).split(",") if c)
    return Moderator(int(str(row[0])), int(str(row[1])), _dt.date.fromisoformat(str(row[2])),
                     str(row[3]), categories)


_COLUMNS = "user_id, added_by, added_on, role, categories"


class ModeratorRepository:
    """Adds, changes, removes and lists moderators."""

    __slots__ = ("_db", "_today")

    def __init__(self, db: Database, *, today: Callable[[], _dt.date] = model.today) -> None:
        self._db = db
        self._today = today

    async def add(self, user_id: int, added_by: int, role: str = "handler",
                  categories: Sequence[str] = ()) -> bool:
        """Add a moderator, or change the role of one; ``False`` if nothing changed.

        Raises:
            ValueError: ``role`` is not one of :data:`ROLES`, or a category has a comma.
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        if any("," in category or not category for category in categories):
            raise ValueError("categories are non-empty ids without commas")
        joined = ",".join(sorted(set(categories))) if role == "handler" else ""
        today = self._today().isoformat()

        def work(connection: sqlite3.Connection) -> bool:
            before = connection.execute(
                "SELECT role, categories FROM moderators WHERE user_id = ?",
                (int(user_id),)).fetchone()
            if before is not None and (str(before[0]), str(before[1])) == (role, joined):
                return False
            connection.execute(
                "INSERT INTO moderators (user_id, added_by, added_on, role, categories)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
                " added_by = excluded.added_by, role = excluded.role,"
                " categories = excluded.categories",
                (int(user_id), int(added_by), today, role, joined),
            )
            return True

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

    async def get(self, user_id: int) -> Moderator | None:
        """The stored moderator with this id, or ``None``."""

        async def work(connection: aiosqlite.Connection) -> Moderator | None:
            rows = list(await connection.execute_fetchall(
                f"SELECT {_COLUMNS} FROM moderators WHERE user_id = ?", (int(user_id),)))
            return _moderator(rows[0]) if rows else None

        return await self._db.read(work)

    async def is_moderator(self, user_id: int) -> bool:
        """Whether an admin added this user (admins from the configuration are not listed)."""
        return await self.get(user_id) is not None

    async def list(self) -> list[Moderator]:
        """Every added moderator, in id order."""

        async def work(connection: aiosqlite.Connection) -> list[Moderator]:
            rows = await connection.execute_fetchall(
                f"SELECT {_COLUMNS} FROM moderators ORDER BY user_id"
            )
            return [_moderator(row) for row in rows]

        return await self._db.read(work)

    async def ids(self) -> builtins.list[int]:
        """The user ids of every added moderator (e.g. digest recipients)."""
        return [moderator.user_id for moderator in await self.list()]
