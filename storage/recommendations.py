"""Recommendations, their status timeline and milestones, and "was this addressed?" answers.

Which status may follow which is the service's business (``bot.recommendations``); this
module stores what it is told, and refuses a status change whose starting status is no
longer the current one (two moderators acting at once), so no check is ever made against a
stale read.

"Was this addressed?" answers are stored like survey answers: each under a random id, with
its answer and day and no pseudonym. Whether someone already answered is a separate row
holding a keyed pseudonym and no date; the two share nothing but the recommendation id.
The records this repository returns, and how their rows are read, are in
:mod:`storage.recommendation_records`.
"""

from __future__ import annotations

import datetime as _dt
import secrets
import sqlite3
from collections.abc import Callable, Mapping

import aiosqlite

from storage.database import Database
from storage.errors import InvalidTransition, NotFound, StorageError
from storage.identity_batches import IdentityBatcher
from storage.outbox import Announcement, queue_status_update
from storage.recommendation_records import (
    COLUMNS,
    AddressedAnswer,
    Milestone,
    NewRecommendation,
    Recommendation,
    StatusChange,
    day_of,
    get_recommendation,
    get_recommendation_now,
    load_recommendations,
    require_recommendation,
    text_json,
)
from surveys.model import Text

__all__ = [
    "AddressedAnswer",
    "DuplicateRecommendation",
    "Milestone",
    "NewRecommendation",
    "Recommendation",
    "RecommendationRepository",
    "StatusChange",
]


class DuplicateRecommendation(StorageError):
    """A recommendation with this id already exists."""


def _add_history(connection: sqlite3.Connection, rec_id: str, status: str,
                 progress: int, day: str) -> None:
    connection.execute(
        "INSERT INTO recommendation_history (recommendation_id, step, status, progress, "
        "changed_on) SELECT ?, coalesce(max(step) + 1, 0), ?, ?, ? "
        "FROM recommendation_history WHERE recommendation_id = ?",
        (rec_id, status, progress, day, rec_id))


def _change(connection: sqlite3.Connection, rec_id: str, expected_status: str, status: str,
            progress: int, today: _dt.date) -> Recommendation:
    current = require_recommendation(connection, rec_id)
    if current.status != expected_status:
        raise InvalidTransition(f"recommendation {rec_id!r} is now {current.status!r}")
    day = today.isoformat()
    connection.execute(
        "UPDATE recommendations SET status = ?, progress = ?, updated_on = ? "
        "WHERE recommendation_id = ?", (status, progress, day, rec_id))
    _add_history(connection, rec_id, status, progress, day)
    return require_recommendation(connection, rec_id)


class RecommendationRepository:
    """Stores recommendations and the anonymous answers about them."""

    __slots__ = ("_batcher", "_db")

    def __init__(self, db: Database, *, batcher: IdentityBatcher | None = None) -> None:
        """Args:
        db: The database.
        batcher: Where new follows and subscriptions wait; flushed before a status change
            is announced, so it reaches them too.
        """
        self._db = db
        self._batcher = batcher

    async def add(self, new: NewRecommendation, *, today: _dt.date) -> Recommendation:
        """Store a new recommendation in status ``received``.

        Raises:
            DuplicateRecommendation: The id is taken.
        """
        day = today.isoformat()

        def work(connection: sqlite3.Connection) -> Recommendation:
            if get_recommendation_now(connection, new.recommendation_id) is not None:
                raise DuplicateRecommendation(new.recommendation_id)
            connection.execute(
                f"INSERT INTO recommendations ({COLUMNS}) "
                "VALUES (?, ?, ?, ?, 'received', 0, ?, ?, ?)",
                (new.recommendation_id, new.survey_id, text_json(new.title), text_json(new.body),
                 new.addressed_scale, day, day))
            connection.executemany(
                "INSERT INTO recommendation_sources (recommendation_id, position, question_id) "
                "VALUES (?, ?, ?)",
                [(new.recommendation_id, i, q) for i, q in enumerate(new.question_ids)])
            _add_history(connection, new.recommendation_id, "received", 0, day)
            return require_recommendation(connection, new.recommendation_id)

        return await self._db.write(work)

    async def get(self, recommendation_id: str) -> Recommendation | None:
        """One recommendation, or ``None``."""

        async def work(connection: aiosqlite.Connection) -> Recommendation | None:
            return await get_recommendation(connection, recommendation_id)

        return await self._db.read(work)

    async def list_all(self, survey_id: str | None = None) -> list[Recommendation]:
        """Every recommendation (of one survey), by survey then id."""

        async def work(connection: aiosqlite.Connection) -> list[Recommendation]:
            if survey_id is None:
                rows = await connection.execute_fetchall(
                    f"SELECT {COLUMNS} FROM recommendations "
                    "ORDER BY survey_id, recommendation_id")
            else:
                rows = await connection.execute_fetchall(
                    f"SELECT {COLUMNS} FROM recommendations WHERE survey_id = ? "
                    "ORDER BY recommendation_id", (survey_id,))
            return await load_recommendations(connection, list(rows))

        return await self._db.read(work)

    async def change(self, recommendation_id: str, *, expected_status: str, status: str,
                     progress: int, today: _dt.date) -> Recommendation:
        """Set status and progress, if the status is still ``expected_status``.

        A change of progress alone passes ``status == expected_status``; a new status
        goes through :meth:`change_status`, which also tells the followers. Each change
        adds a step to the timeline.

        Raises:
            NotFound: No such recommendation.
            InvalidTransition: The status changed since the caller read it.
        """

        def work(connection: sqlite3.Connection) -> Recommendation:
            return _change(connection, recommendation_id, expected_status, status, progress,
                           today)

        return await self._db.write(work)

    async def change_status(self, recommendation_id: str, *, expected_status: str,
                            status: str, progress: int, today: _dt.date,
                            audit: Callable[[sqlite3.Connection], object] | None = None,
                            ) -> tuple[Recommendation, Announcement]:
        """Set a new status and queue it for followers and subscribers, in one transaction.

        Either the change (with its timeline step), the announcement with its shuffled
        outbox rows and the ``audit`` entry (``AuditLog.entry``) are all committed, or none
        is: a crash can no longer record a status that nobody is told about or that nobody
        audited.

        Raises:
            NotFound: No such recommendation.
            InvalidTransition: The status changed since the caller read it.
        """
        if self._batcher is not None:
            await self._batcher.flush()  # follows still waiting are current too

        def work(connection: sqlite3.Connection) -> tuple[Recommendation, Announcement]:
            changed = _change(connection, recommendation_id, expected_status, status,
                              progress, today)
            announced = queue_status_update(connection, changed.survey_id, recommendation_id,
                                            status, today)
            if audit is not None:
                audit(connection)
            return changed, announced

        return await self._db.write(work)

    async def set_texts(self, recommendation_id: str, *, title: Text, body: Text,
                        today: _dt.date) -> Recommendation:
        """Replace a recommendation's title and text (all their languages).

        Raises:
            NotFound: No such recommendation.
        """

        def work(connection: sqlite3.Connection) -> Recommendation:
            require_recommendation(connection, recommendation_id)
            connection.execute(
                "UPDATE recommendations SET title = ?, body = ?, updated_on = ? "
                "WHERE recommendation_id = ?",
                (text_json(title), text_json(body), today.isoformat(), recommendation_id))
            return require_recommendation(connection, recommendation_id)

        return await self._db.write(work)

    async def add_milestone(self, recommendation_id: str, label: Text, due_on: _dt.date,
                            *, reached: bool, today: _dt.date) -> Milestone:
        """Add a dated milestone (numbered from 1 per recommendation).

        Raises:
            NotFound: No such recommendation.
        """

        def work(connection: sqlite3.Connection) -> Milestone:
            require_recommendation(connection, recommendation_id)
            rows = connection.execute(
                "SELECT coalesce(max(milestone), 0) + 1 FROM recommendation_milestones "
                "WHERE recommendation_id = ?", (recommendation_id,))
            number = int(rows.fetchone()[0])
            connection.execute(
                "INSERT INTO recommendation_milestones (recommendation_id, milestone, label, "
                "due_on, reached) VALUES (?, ?, ?, ?, ?)",
                (recommendation_id, number, text_json(label), due_on.isoformat(), int(reached)))
            connection.execute(
                "UPDATE recommendations SET updated_on = ? WHERE recommendation_id = ?",
                (today.isoformat(), recommendation_id))
            return Milestone(number, label, due_on, reached)

        return await self._db.write(work)

    async def mark_milestone(self, recommendation_id: str, number: int, *, reached: bool,
                             today: _dt.date) -> Milestone:
        """Mark a milestone reached (or not reached after all).

        Raises:
            NotFound: No such recommendation or milestone.
        """

        def work(connection: sqlite3.Connection) -> Milestone:
            cursor = connection.execute(
                "UPDATE recommendation_milestones SET reached = ? "
                "WHERE recommendation_id = ? AND milestone = ?",
                (int(reached), recommendation_id, int(number)))
            changed = cursor.rowcount
            cursor.close()
            if changed != 1:
                raise NotFound(f"no milestone {number} of {recommendation_id!r}")
            connection.execute(
                "UPDATE recommendations SET updated_on = ? WHERE recommendation_id = ?",
                (today.isoformat(), recommendation_id))
            current = require_recommendation(connection, recommendation_id)
            return next(m for m in current.milestones if m.number == number)

        return await self._db.write(work)

    async def record_addressed(self, recommendation_id: str, answerer_key: str, answer: str,
                               *, today: _dt.date) -> bool:
        """Store one anonymous answer; ``False`` if this answerer already answered.

        Raises:
            NotFound: No such recommendation.
        """
        answer_id = secrets.token_hex(16)

        def work(connection: sqlite3.Connection) -> bool:
            require_recommendation(connection, recommendation_id)
            cursor = connection.execute(
                "INSERT OR IGNORE INTO addressed_answered (recommendation_id, answerer_key) "
                "VALUES (?, ?)", (recommendation_id, answerer_key))
            first = cursor.rowcount == 1
            cursor.close()
            if first:
                connection.execute(
                    "INSERT INTO addressed_answers (answer_id, recommendation_id, answer, "
                    "answered_on) VALUES (?, ?, ?, ?)",
                    (answer_id, recommendation_id, answer, today.isoformat()))
            return first

        return await self._db.write(work)

    async def has_answered(self, recommendation_id: str, answerer_key: str) -> bool:
        """Whether this answerer already answered (so the question is not asked again)."""

        async def work(connection: aiosqlite.Connection) -> bool:
            rows = await connection.execute_fetchall(
                "SELECT 1 FROM addressed_answered WHERE recommendation_id = ? "
                "AND answerer_key = ?", (recommendation_id, answerer_key))
            return bool(list(rows))

        return await self._db.read(work)

    async def addressed_answers(self, recommendation_id: str,
                                before: _dt.date | None = None) -> list[AddressedAnswer]:
        """The answers about a recommendation (given before a day), for publication."""
        cutoff = (before or _dt.date.max).isoformat()

        async def work(connection: aiosqlite.Connection) -> list[AddressedAnswer]:
            rows = await connection.execute_fetchall(
                "SELECT answer_id, answer, answered_on FROM addressed_answers "
                "WHERE recommendation_id = ? AND answered_on < ? ORDER BY answer_id",
                (recommendation_id, cutoff))
            return [AddressedAnswer(str(r[0]), str(r[1]), day_of(r[2])) for r in rows]

        return await self._db.read(work)

    async def addressed_per_day(self, recommendation_id: str) -> Mapping[_dt.date, int]:
        """Answers per day, for the publication's snapshot (``surveys.snapshot``)."""

        async def work(connection: aiosqlite.Connection) -> dict[_dt.date, int]:
            rows = await connection.execute_fetchall(
                "SELECT answered_on, count(*) FROM addressed_answers "
                "WHERE recommendation_id = ? GROUP BY answered_on", (recommendation_id,))
            return {day_of(r[0]): int(r[1]) for r in rows}

        return await self._db.read(work)
