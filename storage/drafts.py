"""Drafts: the in-progress response under a pseudonym, and the write behind every answer.

Split from ``storage.responses`` (which keeps the repository and submission): these are the
plain functions a write runs in the writer thread (``storage/writer.py``) on one draft, and
:func:`save_answers`, the grouped write of every answer of a batch (bench/README.md,
benchmark 2). A draft is found by survey id and respondent pseudonym; once submitted, only
the "has responded" marker remains under that pseudonym (ARCHITECTURE.md, Privacy rules).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import sqlite3
from collections.abc import Mapping
from types import MappingProxyType

import aiosqlite

from storage.connections import fetch_one, fetch_one_now
from storage.errors import AlreadySubmitted, InvalidTransition, NotFound, StorageError
from storage.response_records import (
    COLUMNS,
    ResponseRecord,
    ResponseStatus,
    marker_record,
    record_from_row,
)
from surveys.codec import answers_from_json, answers_to_json
from surveys.model import Answer, Answers

__all__ = [
    "AnswerWrite",
    "draft_to_answer",
    "get_draft",
    "get_draft_now",
    "in_progress_draft",
    "kept_languages",
    "languages_json",
    "put_in_progress",
    "require_open",
    "save_answers",
]


def put_in_progress(
    connection: sqlite3.Connection,
    key: tuple[str, int, str],
    today: str,
    language: str | None,
    current_question: str | None,
    answers: Answers | None = None,
    text_languages: Mapping[str, str] | None = None,
) -> ResponseRecord:
    """Write a fresh in-progress response (replacing any row of this person) and return it.

    ``start`` and ``restart`` both begin a response this way; only what it starts with
    differs (nothing, or the answers carried over to a new version).
    """
    survey_id, version, respondent_key = key
    connection.execute(
        "INSERT OR REPLACE INTO responses (survey_id, version, respondent_key, status, "
        "answers, current_question, language, started_on, updated_on, text_languages) "
        "VALUES (?, ?, ?, 'in_progress', ?, ?, ?, ?, ?, ?)",
        (survey_id, version, respondent_key, answers_to_json(dict(answers or {})),
         current_question, language, today, today, languages_json(dict(text_languages or {}))),
    )
    created = get_draft_now(connection, survey_id, respondent_key)
    assert created is not None
    return created


_DRAFT = (
    f"SELECT {COLUMNS} FROM responses WHERE survey_id = ? AND respondent_key = ? "
    "AND status = 'in_progress'"
)
_MARKER = "SELECT 1 FROM responded WHERE survey_id = ? AND respondent_key = ?"


async def get_draft(
    connection: aiosqlite.Connection, survey_id: str, respondent_key: str
) -> ResponseRecord | None:
    """The draft under this pseudonym, else its "has responded" marker, else ``None``."""
    row = await fetch_one(connection, _DRAFT, (survey_id, respondent_key))
    if row is not None:
        return record_from_row(row)
    marker = await fetch_one(connection, _MARKER, (survey_id, respondent_key))
    return None if marker is None else marker_record(survey_id, respondent_key)


def get_draft_now(
    connection: sqlite3.Connection, survey_id: str, respondent_key: str
) -> ResponseRecord | None:
    """:func:`get_draft` for a write (in the writer thread)."""
    row = fetch_one_now(connection, _DRAFT, (survey_id, respondent_key))
    if row is not None:
        return record_from_row(row)
    marker = fetch_one_now(connection, _MARKER, (survey_id, respondent_key))
    return None if marker is None else marker_record(survey_id, respondent_key)


def in_progress_draft(
    connection: sqlite3.Connection, survey_id: str, respondent_key: str
) -> ResponseRecord:
    response = get_draft_now(connection, survey_id, respondent_key)
    if response is None:
        raise NotFound(f"no response to {survey_id!r} for this respondent")
    if response.submitted:
        raise AlreadySubmitted(f"the response to {survey_id!r} was already submitted")
    return response


def kept_languages(before: ResponseRecord | None, answers: Answers) -> dict[str, str]:
    """The stored text languages that still describe ``answers``.

    A language is kept only for a question whose new answer is the very text it was detected
    in: a changed, skipped, non-text or erased answer (Back, ``relevant`` pruning, a new
    version) loses it, so the column never claims a language for a text that is not there.
    """
    if before is None:
        return {}
    return {
        question_id: language
        for question_id, language in before.text_languages.items()
        if isinstance(answers.get(question_id), str)
        and answers.get(question_id) == before.answers.get(question_id)
    }


#: One encoder for every call (json.dumps with options builds a new one each time).
_LANGUAGES_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def languages_json(languages: Mapping[str, str]) -> str:
    return _LANGUAGES_ENCODER.encode(dict(languages))


def require_open(connection: sqlite3.Connection, survey_id: str, version: int) -> None:
    row = fetch_one_now(
        connection, "SELECT status FROM surveys WHERE survey_id = ? AND version = ?",
        (survey_id, version),
    )
    if row is None:
        raise NotFound(f"no survey {survey_id!r} version {version}")
    if row[0] != "published":
        raise InvalidTransition(f"survey {survey_id!r} version {version} is not open")


_DRAFT_TO_ANSWER = (
    "SELECT version, answers, language, started_on, text_languages FROM responses "
    "WHERE survey_id = ? AND respondent_key = ? AND status = 'in_progress'"
)


def draft_to_answer(
    connection: sqlite3.Connection, survey_id: str, respondent_key: str
) -> ResponseRecord:
    """The draft an answer goes into, reading only the columns an answer keeps.

    Raises:
        NotFound: There is no response (``start`` was not called).
        AlreadySubmitted: It was submitted.
    """
    row = connection.execute(_DRAFT_TO_ANSWER, (survey_id, respondent_key)).fetchone()
    if row is None:
        return in_progress_draft(connection, survey_id, respondent_key)  # raises the right error
    version, answers, language, started_on, languages = row
    return ResponseRecord(
        survey_id=survey_id,
        version=version,
        respondent_key=respondent_key,
        status=ResponseStatus.IN_PROGRESS,
        answers=answers_from_json(answers),
        current_question=None,
        language=language,
        started_on=_dt.date.fromisoformat(started_on),
        updated_on=None,
        submitted_on=None,
        text_languages=json.loads(languages),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class AnswerWrite:
    """One answer on its way to the writer thread (see :func:`save_answers`)."""

    survey_id: str
    respondent_key: str
    question_id: str
    answer: Answer
    current_question: str | None
    text_language: str | None
    today: _dt.date


_SAVE_ANSWER = (
    "UPDATE responses SET answers = ?, current_question = ?, updated_on = ?, "
    "text_languages = ? WHERE survey_id = ? AND respondent_key = ?"
)


def save_answers(
    connection: sqlite3.Connection, writes: list[AnswerWrite]
) -> list[tuple[BaseException | None, ResponseRecord | None]]:
    """The write behind every answer, for all the answers of one batch at once.

    Each answer is checked and merged into its draft in Python (a draft met twice in one
    batch takes the second answer on top of the first), then every row is written by one
    ``executemany``: per answer, one indexed SELECT and the merge, instead of a savepoint,
    a SELECT, an UPDATE and a release (bench/README.md, benchmark 2). A refused answer (no
    draft, already submitted, not storable) changes nothing and fails alone.
    """
    drafts: dict[tuple[str, str], ResponseRecord] = {}
    outcomes: list[tuple[BaseException | None, ResponseRecord | None]] = []
    rows: list[tuple[object, ...]] = []
    for write in writes:
        key = (write.survey_id, write.respondent_key)
        try:
            response = drafts.get(key) or draft_to_answer(connection, *key)
            answers = {**response.answers, write.question_id: write.answer}
            encoded = answers_to_json(answers)
        except (StorageError, ValueError) as error:  # CodecError is a ValueError
            outcomes.append((error, None))
            continue
        if isinstance(write.answer, list):  # stored as a JSON list, read back as a tuple
            answers[write.question_id] = tuple(write.answer)
        languages = kept_languages(response, answers)
        if write.text_language is not None and isinstance(write.answer, str):
            languages[write.question_id] = write.text_language
        encoded_languages = languages_json(languages)
        # Built here rather than read back: what was just encoded is what is stored.
        drafts[key] = record = ResponseRecord(
            survey_id=response.survey_id,
            version=response.version,
            respondent_key=response.respondent_key,
            status=ResponseStatus.IN_PROGRESS,
            answers=MappingProxyType(answers),
            current_question=write.current_question,
            language=response.language,
            started_on=response.started_on,
            updated_on=write.today,
            submitted_on=None,
            text_languages=MappingProxyType(languages),
        )
        rows.append((encoded, write.current_question, write.today.isoformat(), encoded_languages,
                     *key))
        outcomes.append((None, record))
    if rows:
        connection.executemany(_SAVE_ANSWER, rows)
    return outcomes
