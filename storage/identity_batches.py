"""Identity-bearing writes in shuffled batches, so their order cannot pair them with answers.

A subscription holds a raw chat id, and people subscribe right after they submit (a
moderator row holds one too, and people are often made moderators right after answering).
Written at once, the subscription would follow the submission in the write-ahead log, in
the order of cells inside their pages and in rowids, and anyone with a copy of the data directory could
pair chat ids with answers by rank (ARCHITECTURE.md, Privacy rules). So identity-bearing
rows are written here instead:

* they wait in memory and are written together, every ``interval`` seconds or as soon as
  ``max_pending`` wait, in an order shuffled with :mod:`secrets`;
* after each batch the tables that hold identities or the "has responded" markers are
  rewritten in a random order, so no page keeps the order in which their rows arrived
  (``secure_delete`` zeroes the old cells), and the WAL is checkpointed with TRUNCATE, so
  it keeps no frames in write order either;
* a batch also runs when a response was submitted since the last one (:meth:`mark_dirty`),
  so the markers written with each submission lose their order too.

Erasures are never delayed: "Stop updates" and ``/forget`` delete at once and drop what is
still waiting (:meth:`cancel`).

``shuffle=False`` writes everything at once and rewrites nothing: the behaviour before this
module existed, kept so a test can show that the pairing attack works without it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
from collections.abc import Callable, Hashable
from typing import Any

from storage.database import Database

__all__ = ["REWRITTEN_TABLES", "IdentityBatcher", "WaitingChats"]

logger = logging.getLogger(__name__)

#: Tables rewritten in random order after each batch. Only tables no foreign key points at:
#: the rewrite deletes and reinserts every row, which would cascade.
REWRITTEN_TABLES = ("subscriptions", "moderators", "recommendation_follows", "responded")

WriteWork = Callable[[sqlite3.Connection], object]


class IdentityBatcher:
    """Queues identity-bearing writes and flushes them shuffled, then reorders the tables."""

    __slots__ = ("_db", "_dirty", "_lock", "_pending", "interval", "max_pending", "shuffle")

    def __init__(
        self,
        db: Database,
        *,
        interval: float = 60.0,
        max_pending: int = 20,
        shuffle: bool = True,
    ) -> None:
        """Args:
        db: The database.
        interval: Seconds between batches (:meth:`run`).
        max_pending: A batch is written as soon as this many writes wait: enough to
            hide each one among others, few enough that little waits in memory.
        shuffle: ``False`` turns the protection off (writes at once, no rewrite); tests only.
        """
        self._db = db
        self.interval = interval
        self.max_pending = max_pending
        self.shuffle = shuffle
        self._pending: dict[Hashable, WriteWork] = {}
        self._dirty = False
        self._lock = asyncio.Lock()

    def mark_dirty(self) -> None:
        """Something whose order matters was written: reorder the tables at the next batch.

        Called from the writer thread; a plain assignment, read only by :meth:`flush`.
        """
        self._dirty = True

    def pending(self) -> list[Hashable]:
        """The keys of the writes still waiting (reads consult them, so waiting is invisible)."""
        return list(self._pending)

    async def submit(self, key: Hashable, work: WriteWork) -> None:
        """Queue a write; a later write with the same key replaces it.

        Returns once queued (or, with ``shuffle=False``, once committed). A crash before
        the next batch loses what waits: only opt-in subscriptions do, never an answer.
        """
        if not self.shuffle:
            await self._db.write(work)
            return
        self._pending[key] = work
        if len(self._pending) >= self.max_pending:
            await self.flush()

    def cancel(self, matches: Callable[[Hashable], bool]) -> int:
        """Drop the waiting writes whose key ``matches`` (an erasure must not be undone)."""
        dropped = [key for key in self._pending if matches(key)]
        for key in dropped:
            del self._pending[key]
        return len(dropped)

    async def flush(self) -> None:
        """Write what waits in a shuffled order, rewrite the tables, truncate the WAL."""
        if not self.shuffle:
            return
        async with self._lock:
            if not self._pending and not self._dirty:
                return
            works = list(self._pending.values())
            self._pending.clear()
            self._dirty = False
            secrets.SystemRandom().shuffle(works)

            def batch(connection: sqlite3.Connection) -> None:
                for work in works:
                    work(connection)
                for table in REWRITTEN_TABLES:
                    rewrite_in_random_order(connection, table)

            await self._db.write(batch, checkpoint=True)

    async def run(self) -> None:
        """Flush every :attr:`interval` seconds until cancelled (then flush once more)."""
        try:
            while True:
                await asyncio.sleep(self.interval)
                try:
                    await self.flush()
                except Exception:  # a failed batch must not stop the next ones
                    logger.exception("writing a batch of identity-bearing rows failed")
        finally:
            await asyncio.shield(self.flush())


class WaitingChats:
    """One chat list's writes while they wait in an :class:`IdentityBatcher`.

    Subscriptions to a survey and follows of a recommendation are both "this chat wants
    news about this item, in this language". Their waiting writes are keyed
    ``(tag, item id, chat id, language)``; this reads and drops them, so each repository
    sees its own waiting rows as if written and an erasure drops them at once.
    """

    __slots__ = ("_batcher", "_tag")

    def __init__(self, batcher: IdentityBatcher, tag: str) -> None:
        """Args:
        batcher: Where the list's new rows wait.
        tag: The list's name in the keys (one per table).
        """
        self._batcher = batcher
        self._tag = tag

    def key(self, item_id: str, chat_id: int, language: str | None) -> Hashable:
        """The key a new row of ``chat_id`` waits under (a newer one replaces it)."""
        return (self._tag, item_id, int(chat_id), language)

    def _keys(self) -> list[tuple[str, str, int, str | None]]:
        return [key for key in self._batcher.pending()
                if isinstance(key, tuple) and len(key) == 4 and key[0] == self._tag]

    def of_chat(self, chat_id: int, item_id: str | None = None) -> list[tuple[str, str | None]]:
        """``(item id, language)`` of the chat's rows not written yet, oldest first."""
        return [(item, language) for _, item, chat, language in self._keys()
                if chat == int(chat_id) and (item_id is None or item == item_id)]

    def chats(self, item_id: str) -> set[int]:
        """The chats whose rows about ``item_id`` are not written yet."""
        return {chat for _, item, chat, _ in self._keys() if item == item_id}

    def cancel(self, chat_id: int, item_id: str | None = None) -> int:
        """Drop the chat's waiting rows (about ``item_id`` only, if given); how many."""

        def matches(key: Hashable) -> bool:
            return (isinstance(key, tuple) and len(key) == 4 and key[0] == self._tag
                    and key[2] == int(chat_id) and (item_id is None or key[1] == item_id))

        return self._batcher.cancel(matches)


def rewrite_in_random_order(connection: sqlite3.Connection, table: str) -> int:
    """Delete and reinsert every row of ``table`` in a random order, in the open transaction.

    Cells are laid out in a page in the order they are inserted, whatever the key; after
    this, their layout (and the order of any rowid) is a random permutation.

    Returns:
        The number of rows rewritten.
    """
    columns = [str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})")]
    names = ", ".join(columns)
    rows: list[tuple[Any, ...]] = [tuple(row) for row in
                                   connection.execute(f"SELECT {names} FROM {table}")]
    secrets.SystemRandom().shuffle(rows)
    connection.execute(f"DELETE FROM {table}")
    marks = ", ".join("?" for _ in columns)
    connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    return len(rows)
