"""Incremental tallies: the counters summaries are computed from (migration 0010).

Counting a million responses took seconds to minutes (bench/README.md, benchmark 3); the
counters a summary needs are few (per day, breakdown group, question and answer). So the
write that submits a response adds it to its counters (:class:`storage.tally_keeper.
TallyKeeper`, one ``executemany`` upsert in the same transaction) and the write that erases
one subtracts it, and a summary only sums the counters of the days before its cut-off
(:meth:`TallyRepository.summary_counts`). Which counters a response joins is pure domain
logic (``surveys.tally_plan``); each counter also carries the sum of its responses' record
keys modulo :data:`~surveys.perturbation.RECORD_KEY_RANGE`, which is all cell-key noise
reads (``surveys.perturbation.noise``), so subtracting a response is exact.

Tallies are only trusted while they are exact: :meth:`TallyRepository.check` recounts from
the responses, :meth:`TallyRepository.rebuild` recounts inside one write transaction. A
survey is marked for a rebuild (``tally_rebuilds``) when its tallies cannot be kept exact
incrementally: responses stored before migration 0010, a repository without the publication
key (record keys need it), an erasure that found its counters missing. Every reader rebuilds
a marked survey before using its tallies (:meth:`TallyRepository.ensure_current`).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.database import Database
from storage.results import SummaryCounts, _path
from storage.tally_keeper import COUNTER_COLUMNS, forget_survey
from storage.tally_recount import Recount
from surveys.codec import survey_from_json
from surveys.tally_plan import (
    NO_GROUP,
    OVERALL,
    RESPONDENTS,
    Coverage,
    TallyPlan,
    plan_for,
)

__all__ = ["TallyCheck", "TallyDifference", "TallyRepository"]

#: Responses per fetch of a recount (and per numpy batch).
_RECOUNT_ROWS = 50_000


def _readable_plans(rows: Iterable[Sequence[Any]]) -> dict[int, TallyPlan]:
    """The plans of the stored versions this release can decode.

    A definition stored by another release (``storage.survey_records.UnreadableSurvey``) has
    no plan; nobody can answer it here, and its responses are left out of a recount rather
    than making every summary of the survey fail.
    """
    plans = {}
    for version, definition in rows:
        try:
            plans[int(version)] = plan_for(survey_from_json(definition))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return plans


def _plans(connection: sqlite3.Connection, survey_id: str) -> dict[int, TallyPlan]:
    return _readable_plans(connection.execute(
        "SELECT version, definition FROM surveys WHERE survey_id = ?", (survey_id,)))


@dataclass(frozen=True, slots=True)
class TallyDifference:
    """One counter that differs from a recount: ``(respondents, key sum)`` either side."""

    survey_id: str
    by_question: str
    day: str
    version: int
    group: str
    question_id: str
    value: str
    stored: tuple[int, int]
    recounted: tuple[int, int]


@dataclass(frozen=True, slots=True)
class TallyCheck:
    """The outcome of comparing a survey's tallies with a recount of its responses.

    Attributes:
        awaiting_rebuild: The survey is marked for a rebuild (its counters are not used
            until then, so they were not compared).
    """

    survey_id: str
    responses: int
    counters: int
    differences: tuple[TallyDifference, ...]
    awaiting_rebuild: bool = False

    @property
    def exact(self) -> bool:
        """Every counter equals the recount."""
        return not self.differences and not self.awaiting_rebuild


class TallyRepository:
    """Reads, checks and rebuilds the tallies; summaries sum them."""

    __slots__ = ("_db", "_secret")

    def __init__(self, db: Database, publication_key: bytes) -> None:
        self._db = db
        self._secret = publication_key

    async def survey_ids(self) -> list[str]:
        """Every survey that has tallies, responses or a pending rebuild."""

        async def work(connection: aiosqlite.Connection) -> list[str]:
            rows = await connection.execute_fetchall(
                "SELECT survey_id FROM surveys UNION SELECT survey_id FROM tallies "
                "UNION SELECT survey_id FROM tally_rebuilds ORDER BY 1")
            return [str(row[0]) for row in rows]

        return await self._db.read(work)

    async def awaiting_rebuild(self, survey_id: str) -> bool:
        """Whether the survey's tallies must be recounted before they are used."""

        async def work(connection: aiosqlite.Connection) -> bool:
            rows = await connection.execute_fetchall(
                "SELECT 1 FROM tally_rebuilds WHERE survey_id = ?", (survey_id,))
            return bool(list(rows))

        return await self._db.read(work)

    async def ensure_current(self, survey_id: str) -> None:
        """Rebuild the survey's tallies if it is marked for a rebuild (once, after upgrade)."""
        if await self.awaiting_rebuild(survey_id):
            await self.rebuild(survey_id, only_if_marked=True)

    async def rebuild(self, survey_id: str, *, only_if_marked: bool = False) -> int:
        """Recount a survey's tallies from its responses, in one write transaction.

        Returns:
            The number of submitted responses counted.
        """
        secret = self._secret

        def work(connection: sqlite3.Connection) -> int:
            if only_if_marked and connection.execute(
                    "SELECT 1 FROM tally_rebuilds WHERE survey_id = ?",
                    (survey_id,)).fetchone() is None:
                return -1
            recount = Recount(_plans(connection, survey_id), secret)
            sql, params = recount.query()
            cursor = connection.execute(sql, (*params, survey_id))
            while rows := cursor.fetchmany(_RECOUNT_ROWS):
                recount.add(rows)
            forget_survey(connection, survey_id)
            connection.executemany(
                f"INSERT INTO tallies (survey_id, {COUNTER_COLUMNS}, respondents, key_sum) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(survey_id, *cell, count, key) for cell, (count, key) in recount.rows().items()])
            return recount.responses

        counted: int = await self._db.write(work)
        return counted

    async def check(self, survey_id: str) -> TallyCheck:
        """Compare a survey's tallies with a recount of its responses (one read snapshot)."""
        secret = self._secret

        async def work(connection: aiosqlite.Connection) -> TallyCheck:
            await connection.execute("BEGIN")  # tallies and responses of the same moment
            try:
                marked = list(await connection.execute_fetchall(
                    "SELECT 1 FROM tally_rebuilds WHERE survey_id = ?", (survey_id,)))
                stored = {
                    (by, day, int(version), grp, question_id, value): (int(count), int(key))
                    for by, day, version, grp, question_id, value, count, key in
                    await connection.execute_fetchall(
                        f"SELECT {COUNTER_COLUMNS}, respondents, key_sum FROM tallies "
                        "WHERE survey_id = ?", (survey_id,))}
                definitions = await connection.execute_fetchall(
                    "SELECT version, definition FROM surveys WHERE survey_id = ?", (survey_id,))
                plans = _readable_plans(definitions)
                recount = Recount(plans, secret)
                cursor = await connection.cursor()
                try:
                    cursor.row_factory = None
                    cursor.arraysize = _RECOUNT_ROWS
                    sql, params = recount.query()
                    await cursor.execute(sql, (*params, survey_id))
                    while rows := list(await cursor.fetchmany()):
                        await asyncio.to_thread(recount.add, rows)
                finally:
                    await cursor.close()
            finally:
                await connection.execute("COMMIT")
            recounted = recount.rows()
            differences = tuple(
                TallyDifference(survey_id, by, day, version, grp, question_id, value,
                                stored.get(cell, (0, 0)), recounted.get(cell, (0, 0)))
                for cell in sorted(stored.keys() | recounted.keys())
                if stored.get(cell) != recounted.get(cell)
                for by, day, version, grp, question_id, value in (cell,))
            return TallyCheck(survey_id, recount.responses, len(stored),
                              () if marked else differences, bool(marked))

        return await self._db.read(work)

    async def submitted_per_day(self, survey_id: str) -> dict[_dt.date, int]:
        """Submitted responses per submission day, from the tallies (the snapshot's input)."""
        await self.ensure_current(survey_id)

        async def work(connection: aiosqlite.Connection) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in await connection.execute_fetchall(
                "SELECT day, sum(respondents) FROM tallies WHERE survey_id = ? "
                "AND by_question = ? AND question_id = ? GROUP BY day",
                (survey_id, OVERALL, RESPONDENTS))]

        return {_dt.date.fromisoformat(day): int(count)
                for day, count in await self._db.read(work) if count}

    async def summary_counts(
        self,
        survey_id: str,
        *,
        coverage: Coverage,
        questions: Sequence[str],
        text_questions: Sequence[str],
        sample_size: int,
        before: _dt.date,
        record_keys: Callable[[str], int],
    ) -> SummaryCounts:
        """What ``ResultRepository.summary_counts`` counts, summed from the tallies.

        The counters of the days before ``before`` are summed in SQL (a few thousand rows,
        however many responses); only texts stored without a language (before migration
        0004) still need their first ``sample_size`` answers read, for language detection,
        and only when there are such texts. Key sums are modulo ``RECORD_KEY_RANGE``, which
        gives every cell the same noise as the plain sums of a recount.

        Args:
            coverage: Which counters hold the breakdown (``surveys.tally_plan.coverage``).
        """
        await self.ensure_current(survey_id)
        texts = list(dict.fromkeys(text_questions))
        values = [q for q in dict.fromkeys(questions) if q not in set(texts)]
        by = coverage.by
        where = "survey_id = ? AND day < ? AND (by_question = ?"
        params: list[object] = [survey_id, before.isoformat(), by]
        if coverage.without_by:
            where += (" OR (by_question = ? AND version IN ("
                      + ", ".join("?" for _ in coverage.without_by) + "))")
            params.extend([OVERALL, *sorted(coverage.without_by)])
        where += ")"
        group_sql = "NULL" if by == OVERALL else "answers -> ?"
        group_params = [] if by == OVERALL else [_path(by)]

        async def work(connection: aiosqlite.Connection) -> tuple[list[Any], list[Any],
                                                                   dict[str, list[Any]]]:
            await connection.execute("BEGIN")  # counters and samples of the same moment
            try:
                days = list(await connection.execute_fetchall(
                    f"SELECT day, grp, sum(respondents), sum(key_sum) FROM tallies "
                    f"WHERE {where} AND question_id = ? GROUP BY day, grp",
                    (*params, RESPONDENTS)))
                cells = list(await connection.execute_fetchall(
                    f"SELECT grp, question_id, value, sum(respondents), sum(key_sum) "
                    f"FROM tallies WHERE {where} AND question_id <> ? "
                    "GROUP BY grp, question_id, value", (*params, RESPONDENTS)))
                legacy = {question_id for _grp, question_id, value, count, _key in cells
                          if value == "" and count and question_id in texts}
                samples: dict[str, list[Any]] = {}
                for question_id in texts:
                    if question_id not in legacy:
                        samples[question_id] = []
                        continue
                    path = _path(question_id)
                    samples[question_id] = list(await connection.execute_fetchall(
                        f"SELECT {group_sql}, answers ->> ?, respondent_key FROM responses "
                        "WHERE survey_id = ? AND status = 'submitted' AND submitted_on < ? "
                        "AND json_type(answers, ?) = 'text' AND text_languages ->> ? IS NULL "
                        "ORDER BY respondent_key LIMIT ?",
                        (*group_params, path, survey_id, before.isoformat(), path, path,
                         sample_size)))
            finally:
                await connection.execute("COMMIT")
            return days, cells, samples

        days, cells, samples = await self._db.read(work)
        loads, day = json.loads, _dt.date.fromisoformat

        def group(grp: str) -> Any:
            return None if by == OVERALL or grp == NO_GROUP else loads(grp)

        wanted_values, wanted_texts = set(values), set(texts)
        return SummaryCounts(
            days=tuple((day(d), group(grp), int(n), int(k)) for d, grp, n, k in days),
            answers=tuple((group(grp), q, loads(value), int(n), int(k))
                          for grp, q, value, n, k in cells if q in wanted_values),
            texts=tuple((group(grp), q, int(n), int(k))
                        for grp, q, value, n, k in cells if q in wanted_texts and value == ""),
            samples={q: tuple((None if g is None else loads(g), text, record_keys(rid))
                              for g, text, rid in rows)
                     for q, rows in samples.items()},
            languages=tuple((group(grp), q, value, int(n), int(k))
                            for grp, q, value, n, k in cells if q in wanted_texts and value),
        )
