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
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
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
    "json_path",
]

#: Rows per read: one reader connection is held only for one batch.
BATCH_SIZE = 2_000
#: Rows per read of :meth:`ResultRepository.cell_batches` (scalar rows are small).
CELL_BATCH_SIZE = 20_000
#: The submitted responses of survey ``?``, read along the primary key (survey id,
#: pseudonym): ``+status`` keeps SQLite from choosing the ``responses_by_status`` index,
#: which at a million rows it prefers (ANALYZE) and which costs a lookup of every row in
#: the table besides (bench/README.md, benchmark 3). The order stays the pseudonyms'.
SUBMITTED_IN_KEY_ORDER = "survey_id = ? AND +status = 'submitted'"
#: Answers per read when :meth:`ResultRepository.summary_counts` counts them.
_ANSWER_ROWS = 50_000

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


def json_path(question_id: str) -> str:
    """The JSON path of a question's answer (ids that need escaping are refused)."""
    if not _SAFE_ID.fullmatch(question_id):
        raise ValueError(f"question id not usable in a JSON path: {question_id!r}")
    return f'$."{question_id}"'


_path = json_path  # its former name, for code written against it


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
    path = json_path(question_id)
    if choice_id is None:
        return (
            ("CASE json_type(answers, ?) WHEN 'array' THEN "
            "(SELECT group_concat(value, ' ') FROM json_each(answers, ?)) "
            "ELSE answers ->> ? END"),
            [path, path, path],
        )
    if _SAFE_ID.fullmatch(choice_id):
        return (
            "instr(',' || trim(nullif(answers -> ?, 'null'), '[]') || ',', ?) > 0",
            [path, f',"{choice_id}",'],
        )
    return (
        ("CASE WHEN nullif(answers -> ?, 'null') IS NULL THEN NULL ELSE "
        "EXISTS (SELECT 1 FROM json_each(answers, ?) WHERE value = ?) END"),
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
        before: _dt.date | None = None,
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Yield export rows of plain scalars, extracted from the answers JSON by SQLite.

        Each row is ``(version, submitted_on ISO day or None, language, *cells)`` with one
        cell per entry of ``columns`` (see :func:`_cell_sql`), in pseudonym (random) order,
        the same order as :meth:`submitted_batches`. SQLite's JSON functions in C do what
        ``json.loads`` and per-cell Python did at ~40 µs per row (bench/README.md, 3).
        Question and choice ids are bound parameters, never formatted into the SQL.
        ``before`` keeps only responses submitted before that day (the publication's
        snapshot).

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
            "SELECT version, submitted_on, language"
            + "".join(f", {cell}" for cell in cells)
            + f" FROM responses WHERE {SUBMITTED_IN_KEY_ORDER}"
            + (" AND submitted_on < ?" if before is not None else "")
            + " ORDER BY respondent_key"
        )
        scan_params = (*cell_params, survey_id,
                       *((before.isoformat(),) if before is not None else ()))
        # One scan on a connection of its own (Database.scan): one snapshot, one walk.
        async for rows in self._db.scan(sql, scan_params, batch_size=batch_size):
            yield rows

    def answer_keys(self, survey_id: str, questions: Sequence[str], **options: Any,
                    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """One JSON key per response (``storage.answer_keys.answer_key_batches``)."""
        from storage.answer_keys import answer_key_batches  # it imports this module

        return answer_key_batches(self._db, survey_id, questions, **options)

    async def submitted_per_day(self, survey_id: str) -> dict[_dt.date, int]:
        """Submitted responses per submission day (for the publication's snapshot)."""
        sql = ("SELECT submitted_on, count(*) FROM responses WHERE survey_id = ? "
               "AND status = 'submitted' GROUP BY submitted_on")

        async def work(connection: aiosqlite.Connection) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in await connection.execute_fetchall(sql, (survey_id,))]

        rows = await self._db.read(work)
        return {_dt.date.fromisoformat(day): count for day, count in rows if day}

    async def summary_counts(
        self,
        survey_id: str,
        *,
        by: str | None,
        questions: Sequence[str],
        text_questions: Sequence[str],
        sample_size: int,
        before: _dt.date | None = None,
        record_keys: Callable[[str], int] | None = None,
    ) -> SummaryCounts:
        """Count the submitted answers of a survey, for ``surveys.tally``.

        ``before`` limits the count to responses submitted before that day (the
        publication's snapshot, ``surveys.snapshot``). With ``record_keys`` (the stored
        response id -> its record key, ``surveys.perturbation.record_key``), every count
        is followed by the sum of its responses' record keys, which decides its noise; the
        id itself never leaves this function.

        One pass over the responses: SQLite extracts each question's answer as JSON text
        (``answers -> '$."id"'``, in C) and Python counts the plain strings per (group,
        question, value) with ``Counter`` (in C), decoding only the few distinct values at
        the end, so no answers object is decoded per response (bench/README.md, 3). The group
        is the answer to ``by``. String answers to ``text_questions`` are counted by the
        language stored with them at answer time (``text_languages ->> '$."id"'``, in the
        same scan). Only texts without a stored language (written before migration 0004)
        are counted as ``texts``; the first ``sample_size`` of those per question, in
        pseudonym (random) order, are returned for language detection (the same sample the
        Python tally takes), and none is read when there are none.

        Raises:
            ValueError: A question id cannot be written as a JSON path.
        """
        values = [q for q in dict.fromkeys(questions) if q not in set(text_questions)]
        texts = list(dict.fromkeys(text_questions))
        group_sql, group_params = "NULL", []
        if by is not None:
            group_sql, group_params = "answers -> ?", [json_path(by)]
        # A text cell is its stored language, '' for a text stored without one, NULL when the
        # answer is not a text.
        cells = [*("answers -> ?" for _ in values),
                 *("CASE WHEN substr(answers -> ?, 1, 1) = '\"' "
                   "THEN coalesce(text_languages ->> ?, '') END" for _ in texts)]
        cell_params = [*(json_path(q) for q in values),
                       *(p for q in texts for p in (json_path(q), json_path(q)))]
        where = "survey_id = ? AND status = 'submitted'"
        where_params: list[object] = [survey_id]
        if before is not None:
            where += " AND submitted_on < ?"
            where_params.append(before.isoformat())
        scan_sql = (
            f"SELECT respondent_key, submitted_on, {group_sql}" + "".join(f", {c}" for c in cells)
            + f" FROM responses WHERE {where}"
        )
        sample_sql = (
            f"SELECT {group_sql}, answers ->> ?, respondent_key FROM responses WHERE {where} "
            "AND json_type(answers, ?) = 'text' AND text_languages ->> ? IS NULL "
            "ORDER BY respondent_key LIMIT ?"
        )
        days: Counter[tuple[Any, Any]] = Counter()
        counters: list[Counter[tuple[Any, Any]]] = [Counter() for _ in cells]
        day_keys: dict[tuple[Any, Any], int] = {}
        key_sums: list[dict[tuple[Any, Any], int]] = [{} for _ in cells]

        def add_keys(sums: dict[tuple[Any, Any], int], pairs: Any, keys: list[int]) -> None:
            get = sums.get
            for pair, key in zip(pairs, keys, strict=True):
                sums[pair] = get(pair, 0) + key

        def count(rows: list[Any]) -> None:
            columns = list(zip(*rows, strict=True))
            groups = columns[2]
            days.update(zip(columns[1], groups, strict=True))
            for counter, column in zip(counters, columns[3:], strict=True):
                counter.update(zip(groups, column, strict=True))
            if record_keys is None:
                return
            keys = [record_keys(response_id) for response_id in columns[0]]
            add_keys(day_keys, zip(columns[1], groups, strict=True), keys)
            for sums, column in zip(key_sums, columns[3:], strict=True):
                add_keys(sums, zip(groups, column, strict=True), keys)

        async def read(connection: aiosqlite.Connection) -> dict[str, tuple[Any, ...]]:
            await connection.execute("BEGIN")  # one snapshot: counts that add up
            cursor = await connection.cursor()
            try:
                cursor.row_factory = None
                cursor.arraysize = _ANSWER_ROWS
                await cursor.execute(scan_sql, (*group_params, *cell_params, *where_params))
                while rows := list(await cursor.fetchmany()):
                    await asyncio.to_thread(count, rows)
                samples: dict[str, tuple[tuple[Any, ...], ...]] = {}
                for question_id, counter in zip(texts, counters[len(values):], strict=True):
                    if not any(count for (_, language), count in counter.items()
                               if language == ""):
                        samples[question_id] = ()  # every text has its stored language
                        continue
                    path = json_path(question_id)
                    await cursor.execute(sample_sql, (*group_params, path, *where_params, path,
                                                      path, sample_size))
                    samples[question_id] = tuple(
                        (_decoded(group), text, record_keys(response_id))
                        if record_keys is not None else (_decoded(group), text)
                        for group, text, response_id in await cursor.fetchall())
            finally:
                await cursor.close()
                await connection.execute("COMMIT")
            return samples

        samples = await self._db.read(read)
        day = _dt.date.fromisoformat
        keyed = record_keys is not None

        def tail(sums: dict[tuple[Any, Any], int], pair: tuple[Any, Any]) -> tuple[int, ...]:
            return (sums.get(pair, 0),) if keyed else ()

        value_sums, text_sums = key_sums[:len(values)], key_sums[len(values):]
        answers = [
            (_decoded(group), question_id, _decoded(value), count, *tail(sums, (group, value)))
            for question_id, counter, sums in zip(values, counters[:len(values)], value_sums,
                                                  strict=True)
            for (group, value), count in counter.items()
            if value is not None and value != "null"
        ]
        text_counts = [
            (_decoded(group), question_id, count, *tail(sums, (group, language)))
            for question_id, counter, sums in zip(texts, counters[len(values):], text_sums,
                                                  strict=True)
            for (group, language), count in counter.items()
            if language == ""
        ]
        languages = [
            (_decoded(group), question_id, language, count, *tail(sums, (group, language)))
            for question_id, counter, sums in zip(texts, counters[len(values):], text_sums,
                                                  strict=True)
            for (group, language), count in counter.items()
            if language
        ]
        return SummaryCounts(
            days=tuple((day(submitted) if submitted else None, _decoded(group), count,
                        *tail(day_keys, (submitted, group)))
                       for (submitted, group), count in days.items()),
            answers=tuple(answers),
            texts=tuple(text_counts),
            samples=samples,
            languages=tuple(languages),
        )


def _decoded(value: str | None) -> Any:
    """A JSON text from ``->`` as ``json.loads`` gives it (``None`` for a missing one)."""
    return None if value is None else json.loads(value)


@dataclass(frozen=True, slots=True)
class SummaryCounts:
    """Submitted answers counted by SQL (no response, no pseudonym).

    Attributes:
        days: ``(submission day, group, respondents)``.
        answers: ``(group, question id, answer, count)``, the answer decoded as
            ``json.loads`` would (lists for multi-select); string answers to text questions
            are not here but in ``texts``.
        texts: ``(group, question id, count)`` of string answers to text questions that
            have no stored language (responses from before languages were stored).
        samples: Per text question, ``(group, text)`` of its first answers among ``texts``.
        languages: ``(group, question id, language, count)`` of string answers to text
            questions by the language stored with them.

    When counted with record keys, every tuple ends with the sum of the record keys of the
    responses it counts (a sample: its response's record key).
    """

    days: tuple[tuple[Any, ...], ...]
    answers: tuple[tuple[Any, ...], ...]
    texts: tuple[tuple[Any, ...], ...]
    samples: dict[str, tuple[tuple[Any, ...], ...]]
    languages: tuple[tuple[Any, ...], ...] = ()
