"""Answer keys: one short text per submitted response, made by SQLite, for fast exports.

The protected export reads every response twice (risk check, then the rows). Extracting each
export cell with its own JSON function costs one parse of the answers per cell, and handing
Python a dozen scalars per row costs a dozen objects per row (bench/README.md, benchmark 3).
Here SQLite parses the answers once (``json_extract`` with several paths) and returns what
the export needs as one text per response::

    [version, language, [answer to q1, ...]]\\x1e[answer to r1, ...]

(the part after the record separator only when asked for). The protected export puts the
quasi-identifiers in the first part and the other answers in the second, so each part is
protected and formatted once per distinct value and a response costs Python a lookup, not
a decoding (``surveys.protected_export``). A missing and a ``null`` answer both read
``null``, which exports treat alike. No pseudonym and no response id leaves this module.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import AsyncIterator, Sequence
from typing import Any

from storage.database import Database
from storage.results import CELL_BATCH_SIZE, SUBMITTED_IN_KEY_ORDER, json_path

__all__ = ["answer_key_batches", "answer_key_sql"]


def _answers_sql(questions: Sequence[str], params: list[object]) -> str:
    """A JSON array of the answers to ``questions`` (one parse of the answers for them all)."""
    paths = [json_path(question_id) for question_id in questions]
    params.extend(paths)
    if len(paths) >= 2:
        return "json_extract(answers" + ", ?" * len(paths) + ")"
    if paths:
        return "json_array(answers -> ?)"
    return "json_array()"


def answer_key_sql(questions: Sequence[str], *, rest: Sequence[str] | None = None,
                   values: Sequence[str] = ()) -> tuple[str, list[object]]:
    """The key expression, then one plain ``->>`` column per ``values`` question, and params.

    The key is ``[version, language, [answers to questions]]``, then with ``rest`` (even
    empty) a record separator (``\\x1e``, which JSON text never holds unescaped) and
    ``[answers to rest]``, so the two parts can be looked up apart. Question ids are bound
    parameters, never formatted in.

    Raises:
        ValueError: A question id cannot be written as a JSON path.
    """
    params: list[object] = []
    key = f"json_array(version, language, {_answers_sql(questions, params)})"
    if rest is not None:
        key += f" || char(30) || {_answers_sql(rest, params)}"
    columns = [key]
    for question_id in values:
        columns.append("answers ->> ?")
        params.append(json_path(question_id))
    return ", ".join(columns), params


async def answer_key_batches(
    db: Database,
    survey_id: str,
    questions: Sequence[str],
    *,
    rest: Sequence[str] | None = None,
    values: Sequence[str] = (),
    before: _dt.date | None = None,
    batch_size: int = CELL_BATCH_SIZE,
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Yield ``(key, *values)`` per submitted response, a batch at a time, in pseudonym order.

    The order is that of ``ResultRepository.cell_batches``: the primary key's, read in one
    scan of the table (``Database.scan``), so the whole export sees one snapshot and SQLite
    walks the table once instead of seeking a page at a time through the status index and
    looking every row up again (bench/README.md, benchmark 3). ``before`` keeps responses
    submitted before that day (the publication's snapshot).

    Raises:
        ValueError: A question id cannot be written as a JSON path.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    columns, column_params = answer_key_sql(questions, rest=rest, values=values)
    sql = f"SELECT {columns} FROM responses WHERE {SUBMITTED_IN_KEY_ORDER}" + (
        " AND submitted_on < ?" if before is not None else "") + " ORDER BY respondent_key"
    params = (*column_params, survey_id, *((before.isoformat(),) if before is not None else ()))
    async for rows in db.scan(sql, params, batch_size=batch_size):
        yield rows
