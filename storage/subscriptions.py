"""Opt-in update subscriptions: which chats asked for news about which survey.

The second and last place a raw Telegram id may be stored. A subscription is
never linked to a response: no respondent key, no date, and no order: new subscriptions
wait in memory and are written in shuffled batches by :mod:`storage.identity_batches`,
which then rewrites the table in random order. Reads see the waiting ones too, so the delay
is invisible to the participant; erasures happen at once and drop what waits.
"""

from __future__ import annotations

import sqlite3

import aiosqlite

from storage.database import Database
from storage.identity_batches import IdentityBatcher, WaitingChats

__all__ = ["SubscriptionRepository"]


class SubscriptionRepository:
    """Subscribes and unsubscribes chats."""

    __slots__ = ("_batcher", "_db", "_waiting")

    def __init__(self, db: Database, batcher: IdentityBatcher | None = None) -> None:
        """Args:
        db: The database.
        batcher: Where new subscriptions wait; by default one that writes at once.
        """
        self._db = db
        self._batcher = batcher or IdentityBatcher(db, shuffle=False)
        self._waiting = WaitingChats(self._batcher, "subscribe")

    async def subscribe(self, survey_id: str, chat_id: int, language: str | None = None) -> bool:
        """Subscribe a chat; ``False`` if it already was.

        Args:
            survey_id: the survey whose updates the chat wants.
            chat_id: the private chat (raw ids are allowed here and in moderators only).
            language: the bot language the subscriber read when subscribing, so updates
                reach them in it; a later subscription's language replaces it.
        """

        added = not await self.is_subscribed(survey_id, chat_id)

        def work(connection: sqlite3.Connection) -> None:
            connection.execute(
                "INSERT OR IGNORE INTO subscriptions (survey_id, chat_id, language) "
                "VALUES (?, ?, ?)",
                (survey_id, int(chat_id), language),
            )
            if language is not None:
                connection.execute(
                    "UPDATE subscriptions SET language = ? WHERE chat_id = ?",
                    (language, int(chat_id)),
                )

        self._waiting.cancel(chat_id, survey_id)  # the newer language wins
        await self._batcher.submit(self._waiting.key(survey_id, chat_id, language), work)
        return added

    async def language_of(self, chat_id: int) -> str | None:
        """The language a subscriber read when they last subscribed, if known."""
        waiting = [language for _, language in self._waiting.of_chat(chat_id) if language is not None]
        if waiting:
            return waiting[-1]

        async def work(connection: aiosqlite.Connection) -> str | None:
            rows = await connection.execute_fetchall(
                "SELECT language FROM subscriptions WHERE chat_id = ? AND language IS NOT NULL "
                "LIMIT 1",
                (int(chat_id),),
            )
            first = next(iter(rows), None)
            return None if first is None else str(first[0])

        return await self._db.read(work)

    async def unsubscribe(self, survey_id: str, chat_id: int) -> bool:
        """Unsubscribe a chat from one survey and drop its updates of it, at once.

        Nothing about the chat and that survey is left: the subscription (also one still
        waiting to be written), and its outbox rows in any state; the WAL is truncated.
        """
        was_waiting = self._waiting.cancel(chat_id, survey_id) > 0

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM subscriptions WHERE survey_id = ? AND chat_id = ?",
                (survey_id, int(chat_id)),
            )
            removed = cursor.rowcount == 1
            connection.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND announcement_id "
                "IN (SELECT announcement_id FROM announcements WHERE survey_id = ?)",
                (int(chat_id), survey_id),
            )
            return removed

        return bool(await self._db.write(work, checkpoint=True)) or was_waiting

    async def is_subscribed(self, survey_id: str, chat_id: int) -> bool:
        """Whether this chat gets updates about this survey."""
        if self._waiting.of_chat(chat_id, survey_id):
            return True

        def work(connection: sqlite3.Connection) -> bool:
            return connection.execute(
                "SELECT 1 FROM subscriptions WHERE survey_id = ? AND chat_id = ?",
                (survey_id, int(chat_id)),
            ).fetchone() is not None

        # After every submission (the offer of updates): a key lookup, kept on the loop.
        return await self._db.lookup(work)

    async def surveys_of(self, chat_id: int) -> list[str]:
        """The surveys a chat follows, by id."""

        async def work(connection: aiosqlite.Connection) -> list[str]:
            rows = await connection.execute_fetchall(
                "SELECT survey_id FROM subscriptions WHERE chat_id = ? ORDER BY survey_id",
                (int(chat_id),),
            )
            return [str(r[0]) for r in rows]

        stored = await self._db.read(work)
        return sorted(set(stored) | {survey for survey, _ in self._waiting.of_chat(chat_id)})

    async def count(self, survey_id: str) -> int:
        """How many chats follow a survey (written or waiting to be)."""
        waiting = self._waiting.chats(survey_id)

        async def work(connection: aiosqlite.Connection) -> int:
            rows = await connection.execute_fetchall(
                "SELECT count(*) FROM subscriptions WHERE survey_id = ?", (survey_id,)
            )
            (count,) = next(iter(rows))
            stored = await connection.execute_fetchall(
                f"SELECT count(*) FROM subscriptions WHERE survey_id = ? AND chat_id IN "
                f"({', '.join('?' for _ in waiting)})", (survey_id, *waiting),
            ) if waiting else [(0,)]
            (already,) = next(iter(stored))
            return int(count) + len(waiting) - int(already)

        return await self._db.read(work)

    async def forget_chat(self, chat_id: int) -> int:
        """Erase every subscription and update of a chat at once (/forget, blocked bot).

        Subscriptions still waiting to be written are dropped too.

        Returns:
            How many subscriptions were removed.
        """
        waiting = self._waiting.cancel(chat_id)

        def work(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "DELETE FROM subscriptions WHERE chat_id = ?", (int(chat_id),)
            )
            removed = cursor.rowcount
            connection.execute(
                "DELETE FROM outbox WHERE chat_id = ?",
                (int(chat_id),),
            )
            return removed

        return int(await self._db.write(work, checkpoint=True)) + waiting
