"""Following one recommendation: which chats want to hear what becomes of it.

Like an update subscription (:mod:`storage.subscriptions`), a follow holds a raw chat id,
so it is stored the same way: opt-in, no date, no pseudonym, nothing pointing at an answer;
new follows wait in memory and are written in shuffled batches by
:mod:`storage.identity_batches`, which then rewrites the table in random order. Reads see
the waiting ones too. Unfollowing and ``/forget`` delete at once, drop what waits, remove
the chat's queued updates about the recommendation and truncate the WAL.
"""

from __future__ import annotations

import sqlite3

import aiosqlite

from storage.database import Database
from storage.identity_batches import IdentityBatcher, WaitingChats

__all__ = ["FollowRepository"]


class FollowRepository:
    """Follows and unfollows recommendations, by chat."""

    __slots__ = ("_batcher", "_db", "_waiting")

    def __init__(self, db: Database, batcher: IdentityBatcher | None = None) -> None:
        """Args:
        db: The database.
        batcher: Where new follows wait; by default one that writes at once.
        """
        self._db = db
        self._batcher = batcher or IdentityBatcher(db, shuffle=False)
        self._waiting = WaitingChats(self._batcher, "follow")

    async def follow(self, recommendation_id: str, chat_id: int,
                     language: str | None = None) -> bool:
        """Follow a recommendation; ``False`` if the chat already did.

        Args:
            recommendation_id: What the chat wants to hear about.
            chat_id: The private chat (raw ids are allowed here, in subscriptions and in
                moderators only).
            language: The bot language the follower read, so updates reach them in it.
        """
        added = recommendation_id not in await self.followed_by(chat_id)

        def work(connection: sqlite3.Connection) -> None:
            connection.execute(
                "INSERT OR REPLACE INTO recommendation_follows "
                "(recommendation_id, chat_id, language) VALUES (?, ?, ?)",
                (recommendation_id, int(chat_id), language))

        self._waiting.cancel(chat_id, recommendation_id)
        await self._batcher.submit(self._waiting.key(recommendation_id, chat_id, language), work)
        return added

    async def unfollow(self, recommendation_id: str, chat_id: int) -> bool:
        """Stop following, at once: the follow (also one still waiting) and the chat's
        queued updates about this recommendation go; the WAL is truncated."""
        was_waiting = self._waiting.cancel(chat_id, recommendation_id) > 0

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM recommendation_follows WHERE recommendation_id = ? AND chat_id = ?",
                (recommendation_id, int(chat_id)))
            removed = cursor.rowcount == 1
            connection.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND announcement_id IN "
                "(SELECT announcement_id FROM announcements WHERE recommendation_id = ?)",
                (int(chat_id), recommendation_id))
            return removed

        return bool(await self._db.write(work, checkpoint=True)) or was_waiting

    async def is_following(self, recommendation_id: str, chat_id: int) -> bool:
        """Whether this chat follows the recommendation."""
        return recommendation_id in await self.followed_by(chat_id)

    async def followed_by(self, chat_id: int) -> list[str]:
        """The recommendations a chat follows, by id (written or waiting)."""

        async def work(connection: aiosqlite.Connection) -> list[str]:
            rows = await connection.execute_fetchall(
                "SELECT recommendation_id FROM recommendation_follows WHERE chat_id = ?",
                (int(chat_id),))
            return [str(r[0]) for r in rows]

        stored = await self._db.read(work)
        return sorted(set(stored) | {rec for rec, _ in self._waiting.of_chat(chat_id)})

    async def language_of(self, chat_id: int) -> str | None:
        """The language a follower read when they last followed, if known."""
        waiting = [language for _, language in self._waiting.of_chat(chat_id) if language]
        if waiting:
            return waiting[-1]

        async def work(connection: aiosqlite.Connection) -> str | None:
            rows = await connection.execute_fetchall(
                "SELECT language FROM recommendation_follows WHERE chat_id = ? "
                "AND language IS NOT NULL LIMIT 1", (int(chat_id),))
            first = next(iter(rows), None)
            return None if first is None else str(first[0])

        return await self._db.read(work)

    async def count(self, recommendation_id: str) -> int:
        """How many chats follow a recommendation (written or waiting to be)."""
        waiting = self._waiting.chats(recommendation_id)

        async def work(connection: aiosqlite.Connection) -> set[int]:
            rows = await connection.execute_fetchall(
                "SELECT chat_id FROM recommendation_follows WHERE recommendation_id = ?",
                (recommendation_id,))
            return {int(r[0]) for r in rows}

        return len(await self._db.read(work) | waiting)

    async def forget_chat(self, chat_id: int) -> int:
        """Erase every follow of a chat and its queued recommendation updates, at once.

        Returns:
            How many follows were removed (written or waiting).
        """
        waiting = self._waiting.cancel(chat_id)

        def work(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "DELETE FROM recommendation_follows WHERE chat_id = ?", (int(chat_id),))
            removed = cursor.rowcount
            connection.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND announcement_id IN "
                "(SELECT announcement_id FROM announcements WHERE recommendation_id IS NOT NULL)",
                (int(chat_id),))
            return removed

        return int(await self._db.write(work, checkpoint=True)) + waiting
