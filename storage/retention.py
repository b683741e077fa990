"""Retention: what is erased when, in SQL (the daily job in ``bot.retention`` decides).

* Survey answers: some days after a survey closed, its responses are erased, or replaced
  by the protected summary (aggregate-only), per survey or by the configured default.
* Reports never closed: erased after a maximum age from the day they were filed.
* Audit entries: those older than the audit retention are erased from the start of the
  chain; the last erased entry's hash is kept as an anchor, so the rest still verifies.

Erasing runs with a checkpoint (``secure_delete`` overwrites, the WAL is truncated).
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from dataclasses import dataclass

import aiosqlite

from storage.database import Database
from storage.tally_keeper import forget_survey

__all__ = ["DueSurvey", "RetentionRepository", "SurveyPolicy"]


@dataclass(frozen=True, slots=True)
class SurveyPolicy:
    """How long a survey's answers stay after it closed, and what happens then."""

    days: int
    action: str  # "delete" or "aggregate"


@dataclass(frozen=True, slots=True)
class DueSurvey:
    """A closed survey whose answers are due for erasure."""

    survey_id: str
    action: str
    responses: int


class RetentionRepository:
    """Policies, due surveys, and the erasures themselves."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def set_policy(self, survey_id: str, policy: SurveyPolicy | None) -> None:
        """Give one survey its own policy (``None``: back to the configured default).

        Raises:
            ValueError: An unknown action or fewer than one day.
        """
        if policy is not None and (policy.action not in ("delete", "aggregate")
                                   or policy.days < 1):
            raise ValueError("a policy keeps answers at least one day, then deletes or "
                             "aggregates them")

        def work(connection: sqlite3.Connection) -> None:
            if policy is None:
                connection.execute("DELETE FROM survey_retention WHERE survey_id = ?",
                                         (survey_id,))
            else:
                connection.execute(
                    "INSERT INTO survey_retention (survey_id, days, action) VALUES (?, ?, ?)"
                    " ON CONFLICT (survey_id) DO UPDATE SET days = excluded.days,"
                    " action = excluded.action", (survey_id, policy.days, policy.action))

        await self._db.write(work)

    async def due_surveys(self, today: _dt.date, default: SurveyPolicy) -> list[DueSurvey]:
        """Surveys closed long enough ago (no version open) that still hold responses."""

        async def work(connection: aiosqlite.Connection) -> list[DueSurvey]:
            rows = await connection.execute_fetchall(
                "SELECT s.survey_id, max(s.closed_on), coalesce(p.days, ?),"
                " coalesce(p.action, ?),"
                " (SELECT count(*) FROM responses r WHERE r.survey_id = s.survey_id)"
                " FROM surveys s LEFT JOIN survey_retention p ON p.survey_id = s.survey_id"
                " GROUP BY s.survey_id"
                " HAVING sum(s.status = 'published') = 0 AND max(s.closed_on) IS NOT NULL",
                (default.days, default.action))
            due = []
            for survey_id, closed_on, days, action, responses in rows:
                closed = _dt.date.fromisoformat(str(closed_on))
                if int(responses) and closed + _dt.timedelta(days=int(days)) <= today:
                    due.append(DueSurvey(str(survey_id), str(action), int(responses)))
            return due

        return await self._db.read(work)

    async def erase_responses(self, survey_id: str, summary: str | None,
                              today: _dt.date) -> int:
        """Erase a survey's responses, keeping ``summary`` (aggregate-only) if given."""

        def work(connection: sqlite3.Connection) -> int:
            if summary is not None:
                connection.execute(
                    "INSERT OR IGNORE INTO survey_aggregates (survey_id, summary, made_on)"
                    " VALUES (?, ?, ?)", (survey_id, summary, today.isoformat()))
            forget_survey(connection, survey_id)  # the tallies count nobody any more
            cursor = connection.execute("DELETE FROM responses WHERE survey_id = ?",
                                              (survey_id,))
            # The "has responded" markers only kept people from answering twice; with the
            # answers gone they would be the last per-person trace of the survey.
            connection.execute("DELETE FROM responded WHERE survey_id = ?", (survey_id,))
            return cursor.rowcount

        erased: int = await self._db.write(work, checkpoint=True)
        return erased

    async def aggregate(self, survey_id: str) -> str | None:
        """The summary an aggregate-only survey kept, if any."""

        async def work(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT summary FROM survey_aggregates WHERE survey_id = ?", (survey_id,)))

        rows = await self._db.read(work)
        return str(rows[0][0]) if rows else None

    async def open_reports_by_category(self, filed_before: _dt.date) -> dict[str, int]:
        """Open (never closed) reports filed on or before a day, counted per category."""

        async def work(connection: aiosqlite.Connection) -> dict[str, int]:
            rows = await connection.execute_fetchall(
                "SELECT category, count(*) FROM reports WHERE closed_on IS NULL"
                " AND filed_on <= ? GROUP BY category", (filed_before.isoformat(),))
            return {str(r[0]): int(r[1]) for r in rows}

        return await self._db.read(work)

    async def erase_closed_reports(self, closed_before: _dt.date) -> int:
        """Erase reports closed on or before ``closed_before``."""

        return await self._erase_through(
            "DELETE FROM reports WHERE closed_on IS NOT NULL AND closed_on <= ?", closed_before)

    async def erase_stale_drafts(self, untouched_since: _dt.date) -> int:
        """Erase unfinished answers last changed on or before ``untouched_since``.

        A draft of a survey that stays open would otherwise be kept for as long as the
        survey runs; someone who comes back after that starts again.
        """

        return await self._erase_through(
            "DELETE FROM responses WHERE status = 'in_progress' AND updated_on <= ?",
            untouched_since)

    async def erase_open_reports(self, filed_before: _dt.date) -> int:
        """Erase never-closed reports filed on or before ``filed_before``."""

        return await self._erase_through(
            "DELETE FROM reports WHERE closed_on IS NULL AND filed_on <= ?", filed_before)

    async def _erase_through(self, delete: str, day: _dt.date) -> int:
        """Run one ``DELETE`` of rows dated on or before ``day``; how many went.

        Every erasure of the daily job truncates the WAL after its commit, so the erased rows
        linger in neither file (``secure_delete`` overwrites them in the database).
        """

        def work(connection: sqlite3.Connection) -> int:
            return connection.execute(delete, (day.isoformat(),)).rowcount

        erased: int = await self._db.write(work, checkpoint=True)
        return erased

    async def prune_audit(self, before: _dt.date) -> int:
        """Erase audit entries written before ``before`` (UTC day), from the chain's start.

        The last erased entry's sequence number and hash become the anchor the chain is
        verified from; the SQL trigger refuses to delete anything after the anchor.
        """

        def work(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "SELECT seq, hash FROM audit_log WHERE at < ? ORDER BY seq DESC LIMIT 1",
                (before.isoformat(),))
            last = cursor.fetchone()
            if last is None:
                return 0
            connection.execute("INSERT OR REPLACE INTO audit_anchor (seq, hash)"
                                     " VALUES (?, ?)", (int(last[0]), str(last[1])))
            cursor = connection.execute("DELETE FROM audit_log WHERE seq <= ?",
                                              (int(last[0]),))
            return cursor.rowcount

        erased: int = await self._db.write(work, checkpoint=True)
        return erased
