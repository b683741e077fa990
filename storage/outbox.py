"""Announcements ("you said, we did") and their persistent delivery queue.

Announcing writes the announcement and one outbox row per subscriber in one transaction,
so every subscriber at that moment gets it exactly once even if the bot stops right after.
The sender (bot/delivery.py) claims a row (``sending``, committed) before each message
and settles it right after: a restart resumes with the rows still ``pending`` and
never sends a claimed one again. Rows found ``sending`` at start-up (the bot died in the
middle of that one message) count as failed rather than risk a duplicate.

A row holds a raw chat id, so it lives only while its message waits (ARCHITECTURE.md,
Privacy rules): a sent or failed message becomes a counter on its announcement and its
row is deleted (``secure_delete`` zeroes it), and :meth:`OutboxRepository.forget_delivered`
truncates the WAL after each delivery run. Kept rows would tell which announcements each
chat received, so when it subscribed, and people subscribe right after they answer. The
rows of one announcement are written in a random order, so their layout in a page follows
neither the subscriptions nor anything else.
"""

from __future__ import annotations

import datetime as _dt
import json
import secrets
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiosqlite

from storage.database import Database
from storage.identity_batches import IdentityBatcher
from surveys import model

__all__ = [
    "Announcement",
    "DeliveryState",
    "OutboxItem",
    "OutboxRepository",
    "queue_status_update",
]


#: How a settled message is counted on its announcement once its row is gone.
_COUNT = {
    "sent": "UPDATE announcements SET sent = sent + 1 WHERE announcement_id = ?",
    "failed": "UPDATE announcements SET failed = failed + 1 WHERE announcement_id = ?",
}


class DeliveryState(StrEnum):
    """Where one message of the outbox is."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Announcement:
    """An update about a survey: moderators' words, or a recommendation's new status.

    Attributes:
        body: The text for readers whose language has no entry in ``texts``.
        texts: The same update per language (language -> text), when the moderator wrote
            translations.
        recommendation_id: Set for a status change: the text is then written at delivery,
            in each reader's language, from the recommendation and ``status``.
    """

    announcement_id: int
    survey_id: str
    body: str
    created_on: _dt.date
    recipients: int = 0
    texts: Mapping[str, str] = field(default_factory=dict)
    recommendation_id: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One message to deliver (see :class:`Announcement` for the fields it shares)."""

    announcement_id: int
    survey_id: str
    chat_id: int
    body: str
    attempts: int
    texts: Mapping[str, str] = field(default_factory=dict)
    recommendation_id: str | None = None
    status: str | None = None


def _texts(value: object) -> dict[str, str]:
    if not value:
        return {}
    loaded = json.loads(str(value))
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


_ANNOUNCEMENT = "announcement_id, survey_id, body, created_on, texts, recommendation_id, status"


def _announcement(r: Sequence[Any]) -> Announcement:
    return Announcement(int(r[0]), str(r[1]), str(r[2]), _dt.date.fromisoformat(r[3]),
                        texts=_texts(r[4]), recommendation_id=r[5], status=r[6])


def queue_status_update(connection: sqlite3.Connection, survey_id: str,
                        recommendation_id: str, status: str, day: _dt.date) -> Announcement:
    """Queue a recommendation's new status for its followers and its survey's subscribers.

    A plain function on the writer's connection, so the status change itself
    (``storage.recommendations.RecommendationRepository.change_status``) and this queueing
    commit in one transaction: a crash between the two can no longer leave followers
    untold. A chat that both follows it and subscribes to the survey gets one message. The
    text is written at delivery, in each reader's language (``body`` holds only the status,
    for the record). Callers flush the identity batcher first, so follows still waiting
    in memory are current too.
    """
    cursor = connection.execute(
        "INSERT INTO announcements (survey_id, body, created_on, recommendation_id, "
        "status) VALUES (?, ?, ?, ?, ?)",
        (survey_id, status, day.isoformat(), recommendation_id, status),
    )
    announcement_id = int(cursor.lastrowid or 0)
    chats = [int(row[0]) for row in connection.execute(
        "SELECT chat_id FROM recommendation_follows WHERE recommendation_id = ? "
        "UNION SELECT chat_id FROM subscriptions WHERE survey_id = ?",
        (recommendation_id, survey_id))]
    secrets.SystemRandom().shuffle(chats)  # no write order that follows anyone
    connection.executemany(
        "INSERT INTO outbox (announcement_id, chat_id) VALUES (?, ?)",
        [(announcement_id, chat) for chat in chats],
    )
    return Announcement(announcement_id, survey_id, status, day, len(chats),
                        recommendation_id=recommendation_id, status=status)


class OutboxRepository:
    """Creates announcements and tracks the delivery of each message."""

    __slots__ = ("_batcher", "_db", "_today")

    def __init__(
        self,
        db: Database,
        *,
        today: Callable[[], _dt.date] = model.today,
        batcher: IdentityBatcher | None = None,
    ) -> None:
        """Args:
        batcher: Where new subscriptions wait (:mod:`storage.identity_batches`); flushed
            before an announcement so it reaches them too.
        """
        self._db = db
        self._today = today
        self._batcher = batcher

    async def announce(self, survey_id: str, body: str,
                       texts: Mapping[str, str] | None = None) -> Announcement:
        """Store an announcement and queue it for every current subscriber, atomically.

        Args:
            body: The text for readers whose language ``texts`` lacks.
            texts: The same update per language (language -> text), optional.
        """
        if self._batcher is not None:
            await self._batcher.flush()  # subscriptions still waiting are current too
        today = self._today().isoformat()
        translated = {str(k): str(v) for k, v in (texts or {}).items() if v}

        def work(connection: sqlite3.Connection) -> Announcement:
            cursor = connection.execute(
                "INSERT INTO announcements (survey_id, body, created_on, texts) "
                "VALUES (?, ?, ?, ?)",
                (survey_id, body, today,
                 json.dumps(translated, ensure_ascii=False, sort_keys=True) if translated
                 else None),
            )
            announcement_id = int(cursor.lastrowid or 0)
            chats = [int(row[0]) for row in connection.execute(
                "SELECT chat_id FROM subscriptions WHERE survey_id = ?", (survey_id,))]
            secrets.SystemRandom().shuffle(chats)
            connection.executemany(
                "INSERT INTO outbox (announcement_id, chat_id) VALUES (?, ?)",
                [(announcement_id, chat) for chat in chats],
            )
            recipients = len(chats)
            return Announcement(announcement_id, survey_id, body,
                                _dt.date.fromisoformat(today), recipients, translated)

        return await self._db.write(work)

    async def pending_count(self) -> int:
        """How many messages wait to be sent (the operator's backlog metric)."""

        async def work(connection: aiosqlite.Connection) -> int:
            rows = await connection.execute_fetchall(
                "SELECT count(*) FROM outbox WHERE state = 'pending'")
            return int(next(iter(rows))[0])

        return await self._db.read(work)

    async def due(self, now: float, limit: int = 100) -> list[OutboxItem]:
        """Pending messages whose time has come, oldest announcement first."""

        async def work(connection: aiosqlite.Connection) -> list[OutboxItem]:
            rows = await connection.execute_fetchall(
                "SELECT o.announcement_id, a.survey_id, o.chat_id, a.body, o.attempts, "
                "a.texts, a.recommendation_id, a.status "
                "FROM outbox o JOIN announcements a USING (announcement_id) "
                "WHERE o.state = 'pending' AND o.next_attempt_at <= ? "
                "ORDER BY o.announcement_id, o.next_attempt_at LIMIT ?",
                (now, limit),
            )
            return [OutboxItem(int(r[0]), str(r[1]), int(r[2]), str(r[3]), int(r[4]),
                               _texts(r[5]), r[6], r[7]) for r in rows]

        return await self._db.read(work)

    async def _set(self, sql: str, params: tuple[object, ...]) -> bool:
        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(sql, params)
            changed = cursor.rowcount == 1
            return changed

        return await self._db.write(work)

    async def claim(self, item: OutboxItem) -> bool:
        """Mark a message as being sent (committed before sending); ``False`` if gone."""
        return await self._set(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1 "
            "WHERE announcement_id = ? AND chat_id = ? AND state = 'pending'",
            (item.announcement_id, item.chat_id),
        )

    async def mark_sent(self, item: OutboxItem) -> None:
        """Record that Telegram accepted the message: count it and forget the chat id."""
        await self._settle(item, "sent")

    async def retry_at(self, item: OutboxItem, when: float) -> None:
        """Put a claimed message back in the queue, not before ``when`` (unix seconds)."""
        await self._set(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ? "
            "WHERE announcement_id = ? AND chat_id = ? AND state IN ('sending', 'pending')",
            (when, item.announcement_id, item.chat_id),
        )

    async def mark_failed(self, item: OutboxItem) -> None:
        """Give up on one message: count it and forget the chat id."""
        await self._settle(item, "failed")

    async def _settle(self, item: OutboxItem, outcome: str) -> None:
        count = _COUNT[outcome]

        def work(connection: sqlite3.Connection) -> None:
            cursor = connection.execute(
                "DELETE FROM outbox WHERE announcement_id = ? AND chat_id = ?",
                (item.announcement_id, item.chat_id),
            )
            if cursor.rowcount == 1:
                connection.execute(count, (item.announcement_id,))

        await self._db.write(work)

    async def abandon_interrupted(self) -> int:
        """At start-up: messages left ``sending`` by a crash count as failed (no duplicate)."""

        def work(connection: sqlite3.Connection) -> int:
            connection.execute(
                "UPDATE announcements SET failed = failed + (SELECT count(*) FROM outbox o "
                "WHERE o.announcement_id = announcements.announcement_id "
                "AND o.state = 'sending') WHERE announcement_id IN "
                "(SELECT announcement_id FROM outbox WHERE state = 'sending')")
            cursor = connection.execute("DELETE FROM outbox WHERE state = 'sending'")
            count = cursor.rowcount
            return count

        return await self._db.write(work, checkpoint=True)

    async def forget_delivered(self) -> None:
        """Truncate the WAL after a delivery run, so it keeps no chat id of a sent message.

        The deleted rows are already zeroed in the database file (``secure_delete``); their
        old pages stay in the WAL until a checkpoint.
        """
        await self._db.checkpoint()

    async def counts(self, announcement_id: int) -> dict[DeliveryState, int]:
        """How many messages of an announcement are in each state (states with none left out)."""

        async def work(connection: aiosqlite.Connection) -> dict[DeliveryState, int]:
            rows = await connection.execute_fetchall(
                "SELECT state, count(*) FROM outbox WHERE announcement_id = ? GROUP BY state "
                "UNION ALL SELECT 'sent', sent FROM announcements WHERE announcement_id = ? "
                "UNION ALL SELECT 'failed', failed FROM announcements WHERE announcement_id = ?",
                (announcement_id, announcement_id, announcement_id),
            )
            found: dict[DeliveryState, int] = {}
            for state, count in rows:
                if int(count):
                    found[DeliveryState(state)] = found.get(DeliveryState(state), 0) + int(count)
            return found

        return await self._db.read(work)

    async def announcements(self, survey_ids: list[str]) -> list[Announcement]:
        """Past announcements about these surveys, newest first (for /updates)."""
        if not survey_ids:
            return []
        marks = ",".join("?" for _ in survey_ids)

        async def work(connection: aiosqlite.Connection) -> list[Announcement]:
            rows = await connection.execute_fetchall(
                f"SELECT {_ANNOUNCEMENT} FROM announcements "
                f"WHERE survey_id IN ({marks}) ORDER BY announcement_id DESC LIMIT 50",
                tuple(survey_ids),
            )
            return [_announcement(r) for r in rows]

        return await self._db.read(work)
