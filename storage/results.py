"""Submitted answers in bulk, for summaries and exports.

:meth:`ResponseRepository.iter_submitted` returns full records, strictly decoded one by one
in the event loop, which is right for a participant's own response but costs ~120 µs per row:
two minutes per million responses before any counting starts. Summaries and exports only need
what this module returns, in batches: version, submission day, language and the answers,
decoded in a worker thread with plain ``json.loads`` (the rows were written by
``surveys.codec``; multi-select answers stay lists, which aggregation and exports accept).
No pseudonym is returned: nothing downstream of here can link an export row to a respondent.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.database import Database

__all__ = [
    "BATCH_SIZE",
    "CELL_BATCH_SIZE",
    "CellColumn",
    "ResultRepository",
    "SubmittedAnswers",
    "SummaryCounts",
]

#: Rows per read: one reader connection is held only for one batch.
BATCH_SIZE = 2_000
#: Rows per read of :meth:`ResultRepository.cell_batches` (scalar rows are small).
CELL_BATCH_SIZE = 20_000

#: Ids that can be written inside a quoted JSON path (``$."id"``) and inside a JSON string
#: without escapes. The loaders allow no other question ids; anything else is refused rather
#: than formatted into a path.
_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]+")

#: One export column: ``(question id, None)`` is the answer's value, ``(question id, choice
#: id)`` is 1/0 for "this choice is among the answers" (``None`` when not answered).
CellColumn = tuple[str, "str | None"]


@dataclass(frozen=True, slots=True)
class SubmittedAnswers:
    """One submitted response, without its pseudonym."""

    version: int
    submitted_on: _dt.date | None
    language: str | None
    answers: dict[str, Any]


def _decode(rows: list[tuple[Any, ...]]) -> list[SubmittedAnswers]:
    loads, day = json.loads, _dt.date.fromisoformat
    return [
        SubmittedAnswers(version, day(submitted_on) if submitted_on else None, language,
                         loads(answers))
        for _key, version, submitted_on, language, answers in rows
    ]


def _path(question_id: str) -> str:
    if not _SAFE_ID.fullmatch(question_id):
        raise ValueError(f"question id not usable in a JSON path: {question_id!r}")
    return f'$."{question_id}"'


def _cell_sql(column: CellColumn) -> tuple[str, list[object]]:
    """SQL (and its parameters) computing one export cell from the ``answers`` JSON.

    A value is ``answers ->> path`` (a string, integer or real, NULL when missing or
    skipped), except a list, which becomes its items joined by spaces, as the exports have
    always shown a list. A choice column tests membership: the minified JSON of the answer,
    brackets trimmed and wrapped in commas, contains ``,"choice",`` exactly when the choice
    is one of its strings (a ``"`` preceded by a comma cannot be inside a JSON string); a
    lone string answer counts as a one-item list, ``null``/missing gives NULL. Choice ids
    that need JSON escapes use ``json_each`` instead (exact, slower).
    """
    question_id, choice_id = column
    path = _path(question_id)
    if choice_id is None:
        return (
            "CASE json_type(answers, ?) WHEN 'array' THEN "
            "(SELECT group_concat(value, ' ') FROM json_each(answers, ?)) "
            "ELSE answers ->> ? END",
            [path, path, path],
        )
    if _SAFE_ID.fullmatch(choice_id):
        return (
            "instr(',' || trim(nullif(answers -> ?, 'null'), '[]') || ',', ?) > 0",
            [path, f',"{choice_id}",'],
        )
    return (
        "CASE WHEN nullif(answers -> ?, 'null') IS NULL THEN NULL ELSE "
        "EXISTS (SELECT 1 FROM json_each(answers, ?) WHERE value = ?) END",
        [path, path, choice_id],
    )


class ResultRepository:
    """Reads submitted answers batch by batch, in pseudonym (that is, random) order."""

    __slots__ = ("_db",)

    def __init__(self, db: Database) -> None:
        self._db = db

    async def submitted_batches(
        self, survey_id: str, *, batch_size: int = BATCH_SIZE
    ) -> AsyncIterator[list[SubmittedAnswers]]:
        """Yield the submitted responses of a survey (every version), a batch at a time.

        Keyset pagination on the pseudonym keeps each read an index seek and memory at one
        batch; the pseudonym itself never leaves this function.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        sql = (
            "SELECT respondent_key, version, submitted_on, language, answers FROM responses "
            "WHERE survey_id = ? AND status = 'submitted' AND respondent_key > ? "
            "ORDER BY respondent_key LIMIT ?"
        )
        after = ""
        while True:
            params = (survey_id, after, batch_size)

            async def page(connection: aiosqlite.Connection,
                           params: tuple[object, ...] = params) -> list[tuple[Any, ...]]:
                return [tuple(row) for row in await connection.execute_fetchall(sql, params)]

            rows = await self._db.read(page)
            if not rows:
                return
            after = rows[-1][0]
            yield await asyncio.to_thread(_decode, rows)
            if len(rows) < batch_size:
                return

    async def cell_batches(
        self,
        survey_id: str,
        columns: Sequence[CellColumn],
        *,
        batch_size: int = CELL_BATCH_SIZE,
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Yield export rows of plain scalars, extracted from the answers JSON by SQLite.

        Each row is ``(version, submitted_on ISO day or None, language, *cells)`` with one
        cell per entry of ``columns`` (see :func:`_cell_sql`), in pseudonym (random) order,
        the same order as :meth:`submitted_batches`. SQLite's JSON functions in C do what
        ``json.loads`` and per-cell Python did at ~40 µs per row (bench/README.md, 3).
        Question and choice ids are bound parameters, never formatted into the SQL.

        Raises:
            ValueError: A question id cannot be written as a JSON path.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        cells: list[str] = []
        cell_params: list[object] = []
        for column in columns:
            expression, params = _cell_sql(column)
            cells.append(expression)
            cell_params.extend(params)
        sql = (
            "SELECT respondent_key, version, submitted_on, language"
            + "".join(f", {cell}" for cell in cells)
            + " FROM responses WHERE survey_id = ? AND status = 'submitted' "
            "AND respondent_key > ? ORDER BY respondent_key LIMIT ?"
        )
        after = ""
        while True:
            params = (*cell_params, survey_id, after, batch_size)

            async def page(connection: aiosqlite.Connection,
                           params: tuple[object, ...] = params) -> list[Any]:
                # Plain tuples (no sqlite3.Row), one fetchmany of the whole page.
                cursor = await connection.cursor()
                try:
                    cursor.row_factory = None
                    cursor.arraysize = batch_size
                    await cursor.execute(sql, params)
                    return await cursor.fetchmany()
                finally:
                    await cursor.close()

            rows = await self._db.read(page)
            if not rows:
                return
            after = rows[-1][0]
            yield [row[1:] for row in rows]
            if len(rows) < batch_size:
                return

    async def summary_counts(
        self,
        survey_id: str,
        *,
        by: str | None,
        text_questions: Sequence[str],
        sample_size: int,
    ) -> SummaryCounts:
        """Count the submitted answers of a survey in SQL, for ``surveys.tally``.

        Every answer is counted per (group, question, answer value) in one pass of
        ``json_each`` over the answers and one ``GROUP BY``, so Python sees a few thousand
        distinct values instead of a million JSON objects. The group is the answer to
        ``by`` when it is a string (``surveys.tally`` checks it is one of its choices).
        String answers to ``text_questions`` are only counted; the first ``sample_size`` of
        them per question, in pseudonym (random) order, are returned for language detection
        (the same sample the Python tally takes).

        Raises:
            ValueError: ``by`` or a text question id cannot be written as a JSON path.
        """
        group_sql = "NULL"
        group_params: list[object] = []
        if by is not None:
            by_path = _path(by)
            group_sql = "CASE WHEN json_type(answers, ?) = 'text' THEN answers ->> ? END"
            group_params = [by_path, by_path]
        texts = list(dict.fromkeys(text_questions))
        text_paths = [_path(question_id) for question_id in texts]
        marks = ", ".join("?" * len(texts)) or "NULL"
        where = "survey_id = ? AND status = 'submitted'"
        days_sql = (
            f"SELECT submitted_on, {group_sql} AS grp, count(*) FROM responses "
            f"WHERE {where} GROUP BY 1, 2"
        )
        # LIMIT -1 keeps the subquery a co-routine: the group is computed once per response,
        # not once per answer.
        answers_sql = (
            "SELECT r.grp, j.key, j.type, "
            f"CASE WHEN j.type = 'text' AND j.key IN ({marks}) THEN NULL ELSE j.value END, "
            "count(*) "
            f"FROM (SELECT answers, {group_sql} AS grp FROM responses WHERE {where} "
            "LIMIT -1) AS r, json_each(r.answers) AS j GROUP BY 1, 2, 3, 4"
        )
        sample_sql = (
            f"SELECT {group_sql}, answers ->> ? FROM responses WHERE {where} "
            "AND json_type(answers, ?) = 'text' ORDER BY respondent_key LIMIT ?"
        )

        async def count(connection: aiosqlite.Connection) -> SummaryCounts:
            cursor = await connection.cursor()
            try:
                cursor.row_factory = None
                await cursor.execute(days_sql, (*group_params, survey_id))
                days = await cursor.fetchall()
                await cursor.execute(answers_sql, (*texts, *group_params, survey_id))
                answer_rows = await cursor.fetchall()
                samples = {}
                for question_id, path in zip(texts, text_paths, strict=True):
                    await cursor.execute(sample_sql, (*group_params, path, survey_id, path,
                                                      sample_size))
                    samples[question_id] = tuple(await cursor.fetchall())
            finally:
                await cursor.close()
            return _summary_counts(days, answer_rows, samples, frozenset(texts))

        # One snapshot for all three reads: counts that add up.
        async def snapshot(connection: aiosqlite.Connection) -> SummaryCounts:
            await connection.execute("BEGIN")
            try:
                return await count(connection)
            finally:
                await connection.execute("COMMIT")

        return await self._db.read(snapshot)


@dataclass(frozen=True, slots=True)
class SummaryCounts:
    """Submitted answers counted by SQL (no response, no pseudonym).

    Attributes:
        days: ``(submission day, group, respondents)``.
        answers: ``(group, question id, answer, count)``, the answer decoded as
            ``json.loads`` would (lists for multi-select); string answers to text questions
            are not here but in ``texts``.
        texts: ``(group, question id, count)`` of string answers to text questions.
        samples: Per text question, ``(group, text)`` of its first answers.
    """

    days: tuple[tuple[_dt.date | None, str | None, int], ...]
    answers: tuple[tuple[str | None, str, Any, int], ...]
    texts: tuple[tuple[str | None, str, int], ...]
    samples: dict[str, tuple[tuple[str | None, str], ...]]


def _json_value(kind: str, value: Any) -> Any:
    """A ``json_each`` (type, value) pair as ``json.loads`` gives it."""
    if kind in ("integer", "real", "text", "null"):
        return value
    if kind == "true":
        return True
    if kind == "false":
        return False
    return json.loads(value)  # array or object: its JSON text


def _summary_counts(days: list[Any], answer_rows: list[Any],
                    samples: dict[str, tuple[Any, ...]], texts: frozenset[str]) -> SummaryCounts:
    day = _dt.date.fromisoformat
    answers = []
    text_counts = []
    for group, key, kind, value, count in answer_rows:
        if kind == "text" and key in texts:
            text_counts.append((group, key, count))
        else:
            answers.append((group, key, _json_value(kind, value), count))
    return SummaryCounts(
        days=tuple((day(submitted) if submitted else None, group, count)
                   for submitted, group, count in days),
        answers=tuple(answers),
        texts=tuple(text_counts),
        samples=samples,
    )
