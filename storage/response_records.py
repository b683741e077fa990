"""What a response looks like outside storage: frozen records built from rows.

Split from :mod:`storage.responses` so the repository module holds only the operations;
import these names from either module.
"""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from surveys.codec import answers_from_json
from surveys.model import Answer

__all__ = [
    "COLUMNS",
    "ResponseCounts",
    "ResponseRecord",
    "ResponseStatus",
    "marker_record",
    "record_from_row",
]


class ResponseStatus(StrEnum):
    """A response is answered step by step, then submitted exactly once."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """One participant's response to one survey (``answers`` is read-only).

    Three kinds exist (ARCHITECTURE.md, Privacy rules): a draft, under the respondent
    pseudonym; a submitted response, under a random id that belongs to nobody; and the
    "has responded" marker a pseudonym finds after submitting, which holds no answers, no
    version and no dates (:attr:`marker`), because it must not lead to the answers.
    """

    survey_id: str
    #: 0 for a marker: which version someone answered would narrow down their response.
    version: int
    #: The pseudonym for a draft or a marker; a random id for a submitted response.
    respondent_key: str
    status: ResponseStatus
    answers: Mapping[str, Answer]
    current_question: str | None
    language: str | None
    started_on: _dt.date | None
    updated_on: _dt.date | None
    submitted_on: _dt.date | None
    #: Question id -> the language detected in its text answer (only for answers held in
    #: ``answers`` as that same text; empty for responses stored before detection at answer
    #: time).
    text_languages: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Only on the record :meth:`storage.responses.ResponseRepository.submit` returns: the
    #: code that finds this response again, shown once to the participant, never stored.
    deletion_code: str | None = None

    @property
    def submitted(self) -> bool:
        """The response is final and counts in summaries and exports."""
        return self.status is ResponseStatus.SUBMITTED

    @property
    def marker(self) -> bool:
        """Only "this person responded": the answers are stored apart, under no pseudonym."""
        return self.submitted and self.started_on is None


def marker_record(survey_id: str, respondent_key: str) -> ResponseRecord:
    """What a pseudonym finds once its response was submitted: that it was, nothing more."""
    return ResponseRecord(
        survey_id=survey_id, version=0, respondent_key=respondent_key,
        status=ResponseStatus.SUBMITTED, answers=MappingProxyType({}), current_question=None,
        language=None, started_on=None, updated_on=None, submitted_on=None,
    )


@dataclass(frozen=True, slots=True)
class ResponseCounts:
    """How many responses a survey has, by status."""

    in_progress: int
    submitted: int

    @property
    def total(self) -> int:
        """Every stored response."""
        return self.in_progress + self.submitted


COLUMNS = (
    "survey_id, version, respondent_key, status, answers, current_question, language, "
    "started_on, updated_on, submitted_on, text_languages"
)


def record_from_row(row: sqlite3.Row) -> ResponseRecord:
    submitted_on = row["submitted_on"]
    return ResponseRecord(
        survey_id=row["survey_id"],
        version=row["version"],
        respondent_key=row["respondent_key"],
        status=ResponseStatus(row["status"]),
        answers=MappingProxyType(answers_from_json(row["answers"])),
        current_question=row["current_question"],
        language=row["language"],
        started_on=_dt.date.fromisoformat(row["started_on"]),
        updated_on=_dt.date.fromisoformat(row["updated_on"]),
        submitted_on=None if submitted_on is None else _dt.date.fromisoformat(submitted_on),
        text_languages=MappingProxyType(json.loads(row["text_languages"])),
    )
