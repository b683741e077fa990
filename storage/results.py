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
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.database import Database

__all__ = ["BATCH_SIZE", "ResultRepository", "SubmittedAnswers"]

#: Rows per read: one reader connection is held only for one batch.
BATCH_SIZE = 2_000


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
