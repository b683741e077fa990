"""Participant preferences: consent and language, under the participant pseudonym.

Kept apart from responses and keyed by a *different* pseudonym
(:meth:`storage.secret.ServerSecret.participant_key`), so preferences cannot be joined to
responses from the database alone.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from storage.connections import fetch_one_now
from storage.database import Database
from surveys import model

__all__ = ["PreferenceRepository", "Preferences"]


@dataclass(frozen=True, slots=True)
class Preferences:
    """What a participant chose: the bot's language and whether (since when) they consented."""

    participant_key: str
    language: str | None
    consented_on: _dt.date | None

    @property
    def consented(self) -> bool:
        """The participant accepted the privacy notice."""
        return self.consented_on is not None


_SELECT = "SELECT language, consented_on FROM participant_preferences WHERE participant_key = ?"


def _get_now(connection: sqlite3.Connection, participant_key: str) -> Preferences | None:
    """The stored preferences (a key lookup; in the writer thread or ``Database.lookup``)."""
    return _preferences(participant_key, fetch_one_now(connection, _SELECT, (participant_key,)))


def _preferences(participant_key: str, row: sqlite3.Row | None) -> Preferences | None:
    if row is None:
        return None
    consented_on = row["consented_on"]
    return Preferences(
        participant_key=participant_key,
        language=row["language"],
        consented_on=None if consented_on is None else _dt.date.fromisoformat(consented_on),
    )


class PreferenceRepository:
    """Stores consent and language choices."""

    __slots__ = ("_db", "_today")

    def __init__(self, db: Database, *, today: Callable[[], _dt.date] = model.today) -> None:
        """Args:
        db: The database.
        today: The clock (to the day), replaceable in tests.
        """
        self._db = db
        self._today = today

    async def get(self, participant_key: str) -> Preferences | None:
        """The participant's preferences, or None if nothing is stored (no consent yet)."""
        # On every update (the reader's language): a key lookup, kept on the event loop.
        return await self._db.lookup(lambda c: _get_now(c, participant_key))

    async def set_consent(self, participant_key: str) -> Preferences:
        """Record consent; the first consent's day is kept if given again."""

        def work(connection: sqlite3.Connection) -> Preferences:
            connection.execute(
                "INSERT INTO participant_preferences (participant_key, consented_on) VALUES (?, ?) "
                "ON CONFLICT (participant_key) DO UPDATE SET "
                "consented_on = coalesce(consented_on, excluded.consented_on)",
                (participant_key, self._today().isoformat()),
            )
            stored = _get_now(connection, participant_key)
            assert stored is not None
            return stored

        return await self._db.write(work)

    async def set_language(self, participant_key: str, language: str) -> Preferences:
        """Record the chosen language.

        Call it only after consent: nothing is stored for someone who has not agreed.
        """

        def work(connection: sqlite3.Connection) -> Preferences:
            connection.execute(
                "INSERT INTO participant_preferences (participant_key, language) VALUES (?, ?) "
                "ON CONFLICT (participant_key) DO UPDATE SET language = excluded.language",
                (participant_key, language),
            )
            stored = _get_now(connection, participant_key)
            assert stored is not None
            return stored

        return await self._db.write(work)

    async def delete(self, participant_key: str) -> bool:
        """Erase the participant's preferences (``/forget``); True if there were any."""

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM participant_preferences WHERE participant_key = ?", (participant_key,)
            )
            deleted = cursor.rowcount > 0
            return deleted

        return await self._db.write(work, checkpoint=True)
