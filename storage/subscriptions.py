"""Opt-in update subscriptions: which chats asked for news about which survey.

The second and last place a raw Telegram id may be stored. A subscription is
never linked to a response: no respondent key, no date, and the table keeps no insertion
order.
"""

from __future__ import annotations

import sqlite3

import aiosqlite

from storage.database import Database

__all__ = ["SubscriptionRepository"]


class SubscriptionRepository:
    """Subscribes and unsubscribes chats."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def subscribe(self, survey_id: str, chat_id: int, language: str | None = None) -> bool:
        """Subscribe a chat; ``False`` if it already was.

        Args:
            survey_id: the survey whose updates the chat wants.
            chat_id: the private chat (raw ids are allowed here and in moderators only).
            language: the bot language the subscriber read when subscribing, so updates
                reach them in it; a later subscription's language replaces it.
        """

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "INSERT OR IGNORE INTO subscriptions (survey_id, chat_id, language) "
                "VALUES (?, ?, ?)",
                (survey_id, int(chat_id), language),
            )
            added = cursor.rowcount == 1
            if language is not None:
                connection.execute(
                    "UPDATE subscriptions SET language = ? WHERE chat_id = ?",
                    (language, int(chat_id)),
                )
            return added

        return await self._db.write(work)

    async def language_of(self, chat_id: int) -> str | None:
        """The language a subscriber read when they last subscribed, if known."""

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
        """Unsubscribe a chat from one survey and drop its undelivered updates of it."""

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM subscriptions WHERE survey_id = ? AND chat_id = ?",
                (survey_id, int(chat_id)),
            )
            removed = cursor.rowcount == 1
            connection.execute(
                "DELETE FROM outbox WHERE chat_id = ? AND state = 'pending' AND announcement_id "
                "IN (SELECT announcement_id FROM announcements WHERE survey_id = ?)",
                (int(chat_id), survey_id),
            )
            return removed

        return await self._db.write(work)

    async def is_subscribed(self, survey_id: str, chat_id: int) -> bool:
        """Whether this chat gets updates about this survey."""

        async def work(connection: aiosqlite.Connection) -> bool:
            rows = await connection.execute_fetchall(
                "SELECT 1 FROM subscriptions WHERE survey_id = ? AND chat_id = ?",
                (survey_id, int(chat_id)),
            )
            return bool(rows)

        return await self._db.read(work)

    async def surveys_of(self, chat_id: int) -> list[str]:
        """The surveys a chat follows, by id."""

        async def work(connection: aiosqlite.Connection) -> list[str]:
            rows = await connection.execute_fetchall(
                "SELECT survey_id FROM subscriptions WHERE chat_id = ? ORDER BY survey_id",
                (int(chat_id),),
            )
            return [str(r[0]) for r in rows]

        return await self._db.read(work)

    async def count(self, survey_id: str) -> int:
        """How many chats follow a survey."""

        async def work(connection: aiosqlite.Connection) -> int:
            rows = await connection.execute_fetchall(
                "SELECT count(*) FROM subscriptions WHERE survey_id = ?", (survey_id,)
            )
            (count,) = next(iter(rows))
            return int(count)

        return await self._db.read(work)

    async def forget_chat(self, chat_id: int) -> int:
        """Erase every subscription and undelivered update of a chat (/forget, blocked bot).

        Returns:
            How many subscriptions were removed.
        """

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

        return await self._db.write(work, checkpoint=True)
