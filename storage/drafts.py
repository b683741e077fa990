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
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NamedTuple

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
    "answered",
    "delete_draft",
    "delete_drafts",
    "get_draft",
    "get_draft_now",
    "in_progress_draft",
    "kept_languages",
    "languages_json",
    "put_in_progress",
    "require_open",
    "restart_draft",
    "rewrite_draft",
    "save_answers",
    "start_draft",
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


def start_draft(
    connection: sqlite3.Connection,
    key: tuple[str, int, str],
    today: str,
    language: str | None,
    current_question: str | None,
) -> ResponseRecord:
    """Begin a response on the published version, or return the existing one unchanged.

    Starting twice (a double tap, a second deep link) must resume, not reset.
    """
    survey_id, version, respondent_key = key
    existing = get_draft_now(connection, survey_id, respondent_key)
    if existing is not None:
        return existing
    require_open(connection, survey_id, version)
    return put_in_progress(connection, key, today, language, current_question)


def restart_draft(
    connection: sqlite3.Connection,
    key: tuple[str, int, str],
    today: str,
    language: str | None,
    current_question: str | None,
    answers: Answers | None,
) -> ResponseRecord:
    """Replace an unfinished response with a fresh one that keeps ``answers``.

    Raises:
        AlreadySubmitted: A submitted response is never replaced.
    """
    survey_id, version, respondent_key = key
    existing = get_draft_now(connection, survey_id, respondent_key)
    if existing is not None and existing.submitted:
        raise AlreadySubmitted(f"the response to {survey_id!r} was already submitted")
    require_open(connection, survey_id, version)
    carried = dict(answers or {})
    return put_in_progress(
        connection, key, today, language, current_question, carried,
        kept_languages(existing, carried))


def rewrite_draft(
    connection: sqlite3.Connection,
    survey_id: str,
    respondent_key: str,
    change: Callable[[ResponseRecord], tuple[Answers, str | None, str | None]],
    text_language: tuple[str, str] | None,
    today: _dt.date,
) -> ResponseRecord:
    """Replace a draft's answers, current question and language by ``change(draft)``.

    One SELECT and one UPDATE; ``text_language`` (question id, language) is stored when that
    question's new answer is text.
    """
    response = in_progress_draft(connection, survey_id, respondent_key)
    answers, current_question, language = change(response)
    encoded = answers_to_json(answers)
    languages = kept_languages(response, answers)
    if text_language is not None and isinstance(answers.get(text_language[0]), str):
        languages[text_language[0]] = text_language[1]
    connection.execute(
        "UPDATE responses SET answers = ?, current_question = ?, language = ?, "
        "updated_on = ?, text_languages = ? WHERE survey_id = ? AND respondent_key = ?",
        (encoded, current_question, language, today.isoformat(),
         languages_json(languages), survey_id, respondent_key),
    )
    # Built here rather than read back: one round trip less per answer, and the
    # answers are decoded from exactly the text that was stored.
    return dataclasses.replace(
        response,
        answers=MappingProxyType(answers_from_json(encoded)),
        current_question=current_question,
        language=language,
        updated_on=today,
        text_languages=MappingProxyType(languages),
    )


_DELETE_DRAFT = (
    "DELETE FROM responses WHERE survey_id = ? AND respondent_key = ? "
    "AND status = 'in_progress'"
)


def delete_draft(connection: sqlite3.Connection, survey_id: str, respondent_key: str) -> int:
    """Erase the draft under this pseudonym (never a marker); return how many rows went."""
    return connection.execute(_DELETE_DRAFT, (survey_id, respondent_key)).rowcount


def delete_drafts(connection: sqlite3.Connection, keys: Mapping[str, str]) -> int:
    """Erase the drafts of ``keys`` (survey id -> pseudonym) in one statement; return the count."""
    return connection.executemany(_DELETE_DRAFT, list(keys.items())).rowcount


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


class AnswerWrite(NamedTuple):
    """One answer on its way to the writer thread (see :func:`save_answers`).

    ``encoded`` is the answer alone as JSON (:func:`surveys.codec.answer_to_json`), encoded
    on the event loop, so a value that cannot be stored is refused before it is queued. A
    named tuple: one is built per answer, and a tuple is built fastest.
    """

    survey_id: str
    respondent_key: str
    question_id: str
    encoded: str
    #: The answer itself when it is text (its stored language may then be kept), else None.
    text: str | None
    current_question: str | None
    text_language: str | None
    today: _dt.date


# SQLite merges the answer into the stored draft (``json_set``), so the writer thread reads
# and decodes nothing per answer. Every expression of SET sees the row as it was, so
# ``answers`` in the CASE is the answer before this one: a text answer typed again unchanged
# keeps its detected language, a changed or non-text one loses it (as kept_languages does).
# Parameters: ?1 the answer's JSON path, ?2 the answer as JSON, ?3 the answer if text (else
# NULL), ?4 its detected language (or NULL), ?5 the next question, ?6 the day, ?7 the
# survey, ?8 the respondent's pseudonym.
_SAVE_ANSWER = (
    "UPDATE responses SET "
    "answers = json_set(answers, ?1, json(?2)), current_question = ?5, updated_on = ?6, "
    "text_languages = CASE "
    "WHEN ?4 IS NOT NULL AND ?3 IS NOT NULL THEN json_set(text_languages, ?1, ?4) "
    "WHEN json_type(answers, ?1) = 'text' AND json_extract(answers, ?1) = ?3 "
    "THEN text_languages "
    "ELSE json_remove(text_languages, ?1) END "
    "WHERE survey_id = ?7 AND respondent_key = ?8 AND status = 'in_progress'"
)


def save_answers(
    connection: sqlite3.Connection, writes: list[AnswerWrite]
) -> list[tuple[BaseException | None, None]]:
    """The write behind every answer, for all the answers of one batch at once.

    One ``executemany`` of an UPDATE that merges each answer into its draft inside SQLite:
    no SELECT, no decoding and no re-encoding of the whole answer set in Python
    (bench/README.md, benchmark 2). The caller builds the record it returns from the draft
    it holds (:func:`answered`). An UPDATE that matched no draft changed nothing; only when
    the batch's count of changed rows says some did, each draft is looked up to tell the
    caller why (no draft, or already submitted) — each such answer fails alone.
    """
    rows = [
        (_path(write.question_id), write.encoded, write.text, write.text_language,
         write.current_question, write.today.isoformat(), write.survey_id,
         write.respondent_key)
        for write in writes
    ]
    changed = connection.executemany(_SAVE_ANSWER, rows).rowcount
    if changed == len(writes):
        return [(None, None)] * len(writes)
    outcomes: list[tuple[BaseException | None, None]] = []
    for write in writes:
        try:
            in_progress_draft(connection, write.survey_id, write.respondent_key)
        except StorageError as error:
            outcomes.append((error, None))
        else:
            outcomes.append((None, None))
    return outcomes


def _path(question_id: str) -> str:
    """The JSON path of one answer (question ids are validated names: no quote inside)."""
    return f'$."{question_id}"'


def answered(draft: ResponseRecord, write: AnswerWrite, answer: Answer) -> ResponseRecord:
    """The draft as :func:`save_answers` leaves it, built from the draft before the answer.

    The same merge as the SQL, which touches only this answer's entries: the answer set with
    this answer; this question's language set to the one detected in a text answer, kept
    when the text is unchanged, else dropped; every other language as it was.
    """
    question_id = write.question_id
    answers = {**draft.answers, question_id: answer}
    languages = draft.text_languages
    if write.text_language is not None and write.text is not None:
        languages = MappingProxyType({**languages, question_id: write.text_language})
    elif question_id in languages and not (
            write.text is not None and draft.answers.get(question_id) == write.text):
        languages = MappingProxyType(
            {key: value for key, value in languages.items() if key != question_id})
    return ResponseRecord(
        survey_id=draft.survey_id,
        version=draft.version,
        respondent_key=draft.respondent_key,
        status=ResponseStatus.IN_PROGRESS,
        answers=MappingProxyType(answers),
        current_question=write.current_question,
        language=draft.language,
        started_on=draft.started_on,
        updated_on=write.today,
        submitted_on=None,
        text_languages=languages,
    )
