"""Survey definitions: drafts, the published version, closed versions.

A survey id names a consultation; each upload of its definition is a *version*. Versions are
never edited once published, because responses point at the version they answered: an
export must read each response with the questions it was given.

Life cycle of one survey id::

    save_draft ──> draft ──publish──> published ──close──> closed
                     ^                    │
                     └── a newer draft ───┘  (publishing it closes the older version)

At most one draft and one published version exist at a time (enforced by the schema). The
records returned, and the decoding of a stored definition, are in :mod:`storage.survey_records`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import sqlite3
from collections.abc import Callable

import aiosqlite

from storage.connections import fetch_one_now
from storage.database import Database
from storage.errors import InvalidTransition, NotFound
from storage.survey_records import (
    COLUMNS,
    UNREADABLE,
    SurveyRecord,
    SurveySource,
    SurveyStatus,
    UnreadableSurvey,
    decode_definition,
    record_from_row,
)
from surveys import model
from surveys.codec import survey_to_json
from surveys.model import Survey

logger = logging.getLogger(__name__)

__all__ = ["SurveyRepository"]


async def _one(
    connection: aiosqlite.Connection, where: str, params: tuple[object, ...]
) -> SurveyRecord | None:
    rows = await _many(connection, where, params)
    return rows[0] if rows else None


async def _many(
    connection: aiosqlite.Connection, where: str, params: tuple[object, ...]
) -> list[SurveyRecord]:
    """The matching versions this release can read; the others are skipped with a warning.

    One survey that cannot be decoded (stored by another release, or damaged) must not make
    every /surveys fail: it is left out here, and :meth:`SurveyRepository.unreadable` names
    it so moderators can be told.
    """
    rows = await connection.execute_fetchall(
        f"SELECT {COLUMNS} FROM surveys WHERE {where} ORDER BY survey_id, version", params
    )
    records = []
    for row in rows:
        try:
            records.append(record_from_row(row))
        except UNREADABLE as error:
            logger.warning("Survey %s version %d cannot be read and is skipped (%s)",
                           row["survey_id"], row["version"], type(error).__name__)
    return records


_LATEST = "survey_id = ? AND version = (SELECT max(version) FROM surveys WHERE survey_id = ?)"


async def _latest(connection: aiosqlite.Connection, survey_id: str) -> SurveyRecord | None:
    return await _one(connection, _LATEST, (survey_id, survey_id))


def _one_now(
    connection: sqlite3.Connection, where: str, params: tuple[object, ...]
) -> SurveyRecord | None:
    """:func:`_one` for a write (in the writer thread)."""
    row = fetch_one_now(connection, f"SELECT {COLUMNS} FROM surveys WHERE {where}", params)
    return None if row is None else record_from_row(row)


def _published_now(connection: sqlite3.Connection, survey_id: str) -> SurveyRecord | None:
    """The published version of ``survey_id`` (an unreadable one is skipped, as in _many)."""
    row = fetch_one_now(
        connection, f"SELECT {COLUMNS} FROM surveys WHERE survey_id = ? AND status = 'published'",
        (survey_id,))
    if row is None:
        return None
    try:
        return record_from_row(row)
    except UNREADABLE as error:
        logger.warning("Survey %s version %d cannot be read and is skipped (%s)",
                       row["survey_id"], row["version"], type(error).__name__)
        return None


def _latest_now(connection: sqlite3.Connection, survey_id: str) -> SurveyRecord | None:
    return _one_now(connection, _LATEST, (survey_id, survey_id))


class SurveyRepository:
    """Stores and retrieves survey versions. Every method is one transaction or one query."""

    __slots__ = ("_db", "_today")

    def __init__(self, db: Database, *, today: Callable[[], _dt.date] = model.today) -> None:
        """Args:
        db: The database.
        today: The clock (to the day), replaceable in tests.
        """
        self._db = db
        self._today = today

    # --- changes -------------------------------------------------------------------------

    def _save_draft(
        self, connection: sqlite3.Connection, survey: Survey, source: bytes, source_name: str
    ) -> SurveyRecord:
        today = self._today().isoformat()
        definition = survey_to_json(survey)
        latest = _latest_now(connection, survey.id)
        if latest is not None and latest.status is SurveyStatus.DRAFT:
            version = latest.version
            connection.execute(
                "UPDATE surveys SET definition = ?, source = ?, source_name = ?, created_on = ? "
                "WHERE survey_id = ? AND version = ?",
                (definition, source, source_name, today, survey.id, version),
            )
        else:
            version = 1 if latest is None else latest.version + 1
            connection.execute(
                "INSERT INTO surveys (survey_id, version, status, definition, source, "
                "source_name, created_on) VALUES (?, ?, 'draft', ?, ?, ?, ?)",
                (survey.id, version, definition, source, source_name, today),
            )
        record = _one_now(connection, "survey_id = ? AND version = ?", (survey.id, version))
        assert record is not None
        return record

    def _publish(self, connection: sqlite3.Connection, survey_id: str) -> SurveyRecord:
        draft = _one_now(connection, "survey_id = ? AND status = 'draft'", (survey_id,))
        if draft is None:
            if _latest_now(connection, survey_id) is None:
                raise NotFound(f"no survey {survey_id!r}")
            raise InvalidTransition(f"survey {survey_id!r} has no draft to publish")
        today = self._today().isoformat()
        # The older version stops taking answers; its responses stay attached to it.
        connection.execute(
            "UPDATE surveys SET status = 'closed', closed_on = ? "
            "WHERE survey_id = ? AND status = 'published'",
            (today, survey_id),
        )
        connection.execute(
            "UPDATE surveys SET status = 'published', published_on = ? "
            "WHERE survey_id = ? AND version = ?",
            (today, survey_id, draft.version),
        )
        record = _one_now(connection, "survey_id = ? AND version = ?", (survey_id, draft.version))
        assert record is not None
        return record

    async def save_draft(self, survey: Survey, source: bytes, source_name: str) -> SurveyRecord:
        """Store a definition as the survey's draft.

        Replaces the current draft if there is one; otherwise creates the next version
        (the published and closed versions are never modified).

        Args:
            survey: The validated survey.
            source: The uploaded file's bytes, kept so moderators can retrieve it.
            source_name: The uploaded file's name.
        """
        return await self._db.write(lambda c: self._save_draft(c, survey, source, source_name))

    async def publish(self, survey_id: str) -> SurveyRecord:
        """Publish the draft; a previously published version is closed in the same commit.

        Raises:
            NotFound: No survey has this id.
            InvalidTransition: The survey has no draft.
        """
        return await self._db.write(lambda c: self._publish(c, survey_id))

    async def publish_definition(
        self, survey: Survey, source: bytes, source_name: str
    ) -> SurveyRecord:
        """Make sure this definition is published, without piling up identical versions.

        Meant for surveys loaded from ``CONSULTBOT_SURVEYS`` at every start: if the latest
        version already has this definition (or this exact source file) it is returned as
        it is, so a restart neither creates a version nor reopens a survey a moderator
        closed. Otherwise the definition is saved and published in one transaction.
        """

        def work(connection: sqlite3.Connection) -> SurveyRecord:
            latest = _latest_now(connection, survey.id)
            if latest is not None and self._same(connection, latest, survey, source):
                if latest.status is SurveyStatus.DRAFT:
                    return self._publish(connection, survey.id)
                return latest
            self._save_draft(connection, survey, source, source_name)
            return self._publish(connection, survey.id)

        return await self._db.write(work)

    @staticmethod
    def _same(
        connection: sqlite3.Connection, latest: SurveyRecord, survey: Survey, source: bytes
    ) -> bool:
        if survey_to_json(latest.survey) == survey_to_json(survey):
            return True
        row = fetch_one_now(
            connection,
            "SELECT source FROM surveys WHERE survey_id = ? AND version = ?",
            (latest.survey_id, latest.version),
        )
        return row is not None and bytes(row[0]) == source

    async def close(self, survey_id: str) -> SurveyRecord:
        """Close the published version: no new answers, and unfinished responses are erased.

        In-progress answers are only kept so a participant can finish; once nobody can,
        keeping them would be data without a purpose.

        Raises:
            NotFound: No survey has this id.
            InvalidTransition: No version of it is published.
        """

        def work(connection: sqlite3.Connection) -> SurveyRecord:
            published = _one_now(
                connection, "survey_id = ? AND status = 'published'", (survey_id,)
            )
            if published is None:
                if _latest_now(connection, survey_id) is None:
                    raise NotFound(f"no survey {survey_id!r}")
                raise InvalidTransition(f"survey {survey_id!r} is not published")
            connection.execute(
                "UPDATE surveys SET status = 'closed', closed_on = ? "
                "WHERE survey_id = ? AND version = ?",
                (self._today().isoformat(), survey_id, published.version),
            )
            connection.execute(
                "DELETE FROM responses WHERE survey_id = ? AND status = 'in_progress'", (survey_id,)
            )
            record = _one_now(
                connection, "survey_id = ? AND version = ?", (survey_id, published.version)
            )
            assert record is not None
            return record

        return await self._db.write(work, checkpoint=True)

    # --- queries -------------------------------------------------------------------------

    async def get(self, survey_id: str, version: int | None = None) -> SurveyRecord | None:
        """A given version, or the latest one (whatever its status) when ``version`` is None."""
        if version is None:
            return await self._db.read(lambda c: _latest(c, survey_id))
        return await self._db.read(
            lambda c: _one(c, "survey_id = ? AND version = ?", (survey_id, version))
        )

    async def published(self, survey_id: str) -> SurveyRecord | None:
        """The version participants answer now, or None if the survey is not open."""
        # On every answer: an index seek, kept on the event loop (Database.lookup).
        return await self._db.lookup(lambda c: _published_now(c, survey_id))

    async def list_open(self) -> list[SurveyRecord]:
        """Every published version, ordered by survey id."""
        return await self._db.read(lambda c: _many(c, "status = 'published'", ()))

    async def list_all(self) -> list[SurveyRecord]:
        """The latest version of every survey, ordered by survey id."""
        return await self._db.read(
            lambda c: _many(
                c,
                "version = (SELECT max(version) FROM surveys AS newer "
                "WHERE newer.survey_id = surveys.survey_id)",
                (),
            )
        )

    async def unreadable(self) -> list[UnreadableSurvey]:
        """Every stored draft or published version that cannot be decoded (closed ones are
        history: summaries skip them too, and nobody answers them any more)."""

        async def work(connection: aiosqlite.Connection) -> list[UnreadableSurvey]:
            rows = await connection.execute_fetchall(
                "SELECT survey_id, version, status, definition FROM surveys "
                "WHERE status != 'closed' ORDER BY survey_id, version")
            found = []
            for survey_id, version, status, definition in rows:
                try:
                    decode_definition(definition)
                except UNREADABLE as error:
                    found.append(UnreadableSurvey(survey_id, version, SurveyStatus(status),
                                                  str(error) or type(error).__name__))
            return found

        return await self._db.read(work)

    async def versions(self, survey_id: str) -> list[SurveyRecord]:
        """Every version of one survey, oldest first."""
        return await self._db.read(lambda c: _many(c, "survey_id = ?", (survey_id,)))

    async def source(self, survey_id: str, version: int) -> SurveySource | None:
        """The file a version was loaded from."""

        async def work(connection: aiosqlite.Connection) -> SurveySource | None:
            async with connection.execute(
                "SELECT source_name, source FROM surveys WHERE survey_id = ? AND version = ?",
                (survey_id, version),
            ) as cursor:
                row = await cursor.fetchone()
            return None if row is None else SurveySource(row[0], bytes(row[1]))

        return await self._db.read(work)
