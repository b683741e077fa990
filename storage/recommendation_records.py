"""What a recommendation is, as stored, and how its rows are read back into one record.

Split from ``storage.recommendations`` (which keeps the repository and its writes), as
``storage.response_records`` is from ``storage.responses``: the frozen records the
repository returns, the JSON of their translated texts, and the reads that complete a
recommendation row with its sources, status timeline and milestones, on a reader's
connection or on the writer's inside a write.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.errors import NotFound
from surveys.model import Text

__all__ = [
    "COLUMNS",
    "AddressedAnswer",
    "Milestone",
    "NewRecommendation",
    "Recommendation",
    "StatusChange",
    "day_of",
    "get_recommendation",
    "get_recommendation_now",
    "load_recommendations",
    "require_recommendation",
    "text_from_json",
    "text_json",
]


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of a recommendation's timeline."""

    status: str
    progress: int
    changed_on: _dt.date


@dataclass(frozen=True, slots=True)
class Milestone:
    """A dated step towards implementing a recommendation (planned, or reached)."""

    number: int
    label: Text
    due_on: _dt.date
    reached: bool


@dataclass(frozen=True, slots=True)
class NewRecommendation:
    """What a moderator gives to record a recommendation."""

    recommendation_id: str
    survey_id: str
    title: Text
    body: Text
    question_ids: tuple[str, ...] = ()
    addressed_scale: str = "yes_partly_no"


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A recommendation as stored, with its sources, timeline and milestones."""

    recommendation_id: str
    survey_id: str
    title: Text
    body: Text
    status: str
    progress: int
    addressed_scale: str
    created_on: _dt.date
    updated_on: _dt.date
    question_ids: tuple[str, ...] = ()
    history: tuple[StatusChange, ...] = ()
    milestones: tuple[Milestone, ...] = ()


@dataclass(frozen=True, slots=True)
class AddressedAnswer:
    """One anonymous "was this addressed?" answer."""

    answer_id: str
    answer: str
    answered_on: _dt.date


def text_json(text: Text) -> str:
    return json.dumps(text.to_dict(), ensure_ascii=False, sort_keys=True)


def text_from_json(value: str) -> Text:
    loaded = json.loads(value)
    return Text({str(k): str(v) for k, v in loaded.items()})


def day_of(value: Any) -> _dt.date:
    return _dt.date.fromisoformat(str(value))


COLUMNS = ("recommendation_id, survey_id, title, body, status, progress, addressed_scale, "
            "created_on, updated_on")


#: What completes a recommendation row: its sources, its timeline and its milestones.
PARTS = (
    ("SELECT question_id FROM recommendation_sources WHERE recommendation_id = ? "
    "ORDER BY position"),
    ("SELECT status, progress, changed_on FROM recommendation_history "
    "WHERE recommendation_id = ? ORDER BY step"),
    ("SELECT milestone, label, due_on, reached FROM recommendation_milestones "
    "WHERE recommendation_id = ? ORDER BY due_on, milestone"),
)


def assemble(row: Sequence[Any], sources: Sequence[Any], history: Sequence[Any],
              milestones: Sequence[Any]) -> Recommendation:
    return Recommendation(
        recommendation_id=str(row[0]), survey_id=str(row[1]), title=text_from_json(row[2]),
        body=text_from_json(row[3]), status=str(row[4]), progress=int(row[5]),
        addressed_scale=str(row[6]), created_on=day_of(row[7]), updated_on=day_of(row[8]),
        question_ids=tuple(str(r[0]) for r in sources),
        history=tuple(StatusChange(str(r[0]), int(r[1]), day_of(r[2])) for r in history),
        milestones=tuple(Milestone(int(r[0]), text_from_json(r[1]), day_of(r[2]), bool(r[3]))
                         for r in milestones),
    )


async def load_recommendations(connection: aiosqlite.Connection, rows: Sequence[Any]) -> list[Recommendation]:
    """Complete recommendation rows with their sources, history and milestones (readers)."""
    found: list[Recommendation] = []
    for row in rows:
        parts = [list(await connection.execute_fetchall(sql, (str(row[0]),))) for sql in PARTS]
        found.append(assemble(row, *parts))
    return found


async def get_recommendation(connection: aiosqlite.Connection, rec_id: str) -> Recommendation | None:
    rows = await connection.execute_fetchall(
        f"SELECT {COLUMNS} FROM recommendations WHERE recommendation_id = ?", (rec_id,))
    loaded = await load_recommendations(connection, list(rows))
    return loaded[0] if loaded else None


def get_recommendation_now(connection: sqlite3.Connection, rec_id: str) -> Recommendation | None:
    """:func:`_get` on the writer's connection, inside a write."""
    row = connection.execute(
        f"SELECT {COLUMNS} FROM recommendations WHERE recommendation_id = ?",
        (rec_id,)).fetchone()
    if row is None:
        return None
    return assemble(row, *(connection.execute(sql, (rec_id,)).fetchall() for sql in PARTS))


def require_recommendation(connection: sqlite3.Connection, rec_id: str) -> Recommendation:
    found = get_recommendation_now(connection, rec_id)
    if found is None:
        raise NotFound(f"no recommendation {rec_id!r}")
    return found
