"""The moderator list: Telegram user ids an admin allowed to moderate, with their role.

One of the two places a raw Telegram id may be stored (ARCHITECTURE.md, "Privacy rules").
Admins themselves come from ``CONSULTBOT_ADMINS`` and are not stored here.

A moderator may also answer surveys, and an admin often adds one right after they answered
(a fellow organiser who just tried the survey). Written at once, the moderator row would sit
next to that answer in the WAL and in the order of cells in its page, so additions and role
changes wait in :mod:`storage.identity_batches` like subscriptions do: written in shuffled
batches, the table rewritten in random order afterwards. Reads see what waits, so access
changes at once; a removal is written at once and drops what waits.

A moderator holds one role: ``admin``, ``analyst`` or ``handler``; a handler may be limited
to some report categories (an empty tuple means every category). What each role may do is
decided in ``bot.moderation_access``, not here.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.database import Database
from storage.identity_batches import IdentityBatcher

__all__ = ["ROLES", "Moderator", "ModeratorRepository"]

#: The roles a stored moderator can hold.
ROLES = ("admin", "analyst", "handler")


@dataclass(frozen=True, slots=True)
class Moderator:
    """A moderator added by an admin.

    Attributes:
        user_id: Their Telegram user id.
        added_by: The admin who added them (or last changed their role).
        role: ``admin``, ``analyst`` or ``handler``.
        categories: The report categories a handler is limited to; empty: all of them.
    """

    user_id: int
    added_by: int
    role: str = "handler"
    categories: tuple[str, ...] = ()


def _moderator(row: Sequence[object]) -> Moderator:
    categories = tuple(c for c in str(row[3]).split(",") if c)
    return Moderator(int(str(row[0])), int(str(row[1])), str(row[2]), categories)


#: No day: with a raw id it could be matched with submission days (migration 0013).
_COLUMNS = "user_id, added_by, role, categories"

#: The first item of the batcher key of a moderator write; the rest is the row itself
#: ``(user_id, added_by, role, categories)``, so reads can see what waits.
_TAG = "moderator"


class ModeratorRepository:
    """Adds, changes, removes and lists moderators."""

    __slots__ = ("_batcher", "_db")

    def __init__(self, db: Database, *, batcher: IdentityBatcher | None = None) -> None:
        """Args:
        db: The database.
        batcher: Where additions and role changes wait; by default one that writes at once.
        """
        self._db = db
        self._batcher = batcher or IdentityBatcher(db, shuffle=False)

    def _waiting(self) -> dict[int, Moderator]:
        """Additions and role changes not written yet, by user id."""
        found = {}
        for key in self._batcher.pending():
            if isinstance(key, tuple) and key[0] == _TAG:
                found[int(key[1])] = _moderator(key[1:])
        return found

    def _cancel(self, user_id: int) -> int:
        def matches(key: Hashable) -> bool:
            return isinstance(key, tuple) and key[0] == _TAG and key[1] == int(user_id)

        return self._batcher.cancel(matches)

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
        before = await self.get(user_id)
        if before is not None and (before.role, ",".join(before.categories)) == (role, joined):
            return False
        row = (int(user_id), int(added_by), role, joined)

        def work(connection: sqlite3.Connection) -> None:
            connection.execute(
                "INSERT INTO moderators (user_id, added_by, role, categories)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
                " added_by = excluded.added_by, role = excluded.role,"
                " categories = excluded.categories",
                row,
            )

        self._cancel(user_id)  # the newer role wins
        await self._batcher.submit((_TAG, *row), work)
        return True

    async def remove(self, user_id: int) -> bool:
        """Remove a moderator at once (also one still waiting to be written).

        Returns:
            ``False`` if they were not one.
        """
        was_waiting = self._cancel(user_id) > 0

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM moderators WHERE user_id = ?", (int(user_id),)
            )
            removed = cursor.rowcount == 1
            return removed

        return bool(await self._db.write(work, checkpoint=True)) or was_waiting

    async def get(self, user_id: int) -> Moderator | None:
        """The moderator with this id (written or waiting to be), or ``None``."""
        waiting = self._waiting().get(int(user_id))
        if waiting is not None:
            return waiting

        async def work(connection: aiosqlite.Connection) -> Moderator | None:
            rows = list(await connection.execute_fetchall(
                f"SELECT {_COLUMNS} FROM moderators WHERE user_id = ?", (int(user_id),)))
            return _moderator(rows[0]) if rows else None

        return await self._db.read(work)

    async def is_moderator(self, user_id: int) -> bool:
        """Whether an admin added this user (admins from the configuration are not listed)."""
        return await self.get(user_id) is not None

    async def list(self) -> list[Moderator]:
        """Every added moderator (written or waiting to be), in id order."""

        async def work(connection: aiosqlite.Connection) -> list[Moderator]:
            rows = await connection.execute_fetchall(
                f"SELECT {_COLUMNS} FROM moderators ORDER BY user_id"
            )
            return [_moderator(row) for row in rows]

        found = {moderator.user_id: moderator for moderator in await self._db.read(work)}
        found.update(self._waiting())
        return [found[user_id] for user_id in sorted(found)]

    async def ids(self) -> builtins.list[int]:
        """The user ids of every added moderator (e.g. digest recipients)."""
        return [moderator.user_id for moderator in await self.list()]
