"""What a stored survey version looks like outside storage, and how a row becomes one.

Split from :mod:`storage.surveys`, which keeps the life cycle (draft, publish, close) and
the queries: these are the frozen records it returns, and the decoding of a stored
definition into one, which must tolerate a version this release cannot read (stored by
another release, or edited by hand) rather than fail every reader.
"""

from __future__ import annotations

import datetime as _dt
import functools
import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from surveys.codec import survey_from_json
from surveys.model import Survey

__all__ = [
    "COLUMNS",
    "UNREADABLE",
    "SurveyRecord",
    "SurveySource",
    "SurveyStatus",
    "UnreadableSurvey",
    "decode_definition",
    "record_from_row",
]

#: What decoding a stored definition raises when this release cannot read it (CodecError is a
#: ValueError; a definition edited by hand can break the structure anywhere).
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError)


class SurveyStatus(StrEnum):
    """Where a survey version is in its life cycle."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class UnreadableSurvey:
    """A stored survey version this release cannot decode, and why (for moderators)."""

    survey_id: str
    version: int
    status: SurveyStatus
    reason: str


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    """One stored version of a survey."""

    survey_id: str
    version: int
    status: SurveyStatus
    survey: Survey
    created_on: _dt.date
    published_on: _dt.date | None
    closed_on: _dt.date | None
    source_name: str = ""

    @property
    def is_open(self) -> bool:
        """Participants can answer this version."""
        return self.status is SurveyStatus.PUBLISHED


@dataclass(frozen=True, slots=True)
class SurveySource:
    """The file a version was loaded from, byte for byte (for moderators to download)."""

    name: str
    data: bytes


# Definitions are immutable text; decoding the same text again gives an equal survey, so a
# small cache saves re-parsing the open surveys on every /surveys.
decode_definition = functools.lru_cache(maxsize=128)(survey_from_json)

#: The columns :func:`record_from_row` reads, in a SELECT.
COLUMNS = (
    "survey_id, version, status, definition, source_name, created_on, published_on, closed_on"
)


def _day(value: str | None) -> _dt.date | None:
    return None if value is None else _dt.date.fromisoformat(value)


def record_from_row(row: sqlite3.Row) -> SurveyRecord:
    """The record of one row of :data:`COLUMNS`.

    Raises:
        ValueError: Or another of :data:`UNREADABLE`: this release cannot decode the
            definition.
    """
    return SurveyRecord(
        survey_id=row["survey_id"],
        version=row["version"],
        status=SurveyStatus(row["status"]),
        survey=decode_definition(row["definition"]),
        created_on=_dt.date.fromisoformat(row["created_on"]),
        published_on=_day(row["published_on"]),
        closed_on=_day(row["closed_on"]),
        source_name=row["source_name"],
    )
