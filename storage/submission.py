"""Submission and its undoing: the plain functions behind ``submit`` and ``/forget <code>``.

Split from ``storage.responses`` (which keeps the repository): what a submission writes in
the writer thread (``storage/writer.py``), how a deletion code finds its answers, and what
erasing them removes. In one transaction a submission deletes the draft, stores the answers
under a random id with only the submission day, writes the "has responded" marker under the
pseudonym and adds the answers to the tallies (ARCHITECTURE.md, Privacy rules): nothing
joins the marker to the answers afterwards except the deletion code, which only the
participant holds.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable

import aiosqlite

from storage import receipts
from storage.connections import fetch_one, fetch_one_now
from storage.drafts import in_progress_draft, kept_languages, languages_json
from storage.response_records import COLUMNS, ResponseRecord, record_from_row
from storage.tally_keeper import TallyKeeper
from surveys.codec import answers_to_json
from surveys.model import Answers

__all__ = ["Submission", "erase_submitted", "find_by_deletion_lookup", "write_submission"]


@dataclasses.dataclass(frozen=True, slots=True)
class Submission:
    """What one submission writes, prepared on the event loop (random id, hashed code)."""

    survey_id: str
    respondent_key: str
    #: The final answers, or None for the answers saved so far.
    answers: Answers | None
    response_id: str
    code: str
    stored_code: receipts.ReceiptHash
    today: str


def write_submission(connection: sqlite3.Connection, submission: Submission,
                     tallies: TallyKeeper,
                     on_submit: Callable[[], None] | None) -> ResponseRecord:
    """Turn the draft into an unlinkable submitted response (in the writer thread).

    Raises:
        NotFound: There is no response to submit.
        AlreadySubmitted: It was submitted before (also for a double tap on "Submit").
    """
    survey_id, respondent_key = submission.survey_id, submission.respondent_key
    response = in_progress_draft(connection, survey_id, respondent_key)
    today = submission.today
    final = response.answers if submission.answers is None else submission.answers
    connection.execute(
        "DELETE FROM responses WHERE survey_id = ? AND respondent_key = ? "
        "AND status = 'in_progress'",
        (survey_id, respondent_key),
    )
    connection.execute(
        "INSERT INTO responded (survey_id, respondent_key) VALUES (?, ?)",
        (survey_id, respondent_key),
    )
    encoded = answers_to_json(final)
    languages = languages_json(kept_languages(response, final))
    stored = submission.stored_code
    connection.execute(
        "INSERT INTO responses (survey_id, version, respondent_key, status, answers, "
        "current_question, language, started_on, updated_on, submitted_on, "
        "text_languages, deletion_lookup, deletion_salt, deletion_hash) "
        "VALUES (?, ?, ?, 'submitted', ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)",
        (survey_id, response.version, submission.response_id, encoded,
         response.language, today, today, today, languages,
         stored.lookup, stored.salt, stored.hash),
    )
    # The tallies summaries read, in the same transaction (storage.tallies).
    tallies.add(connection, survey_id,
                (submission.response_id, response.version, today, encoded, languages))
    row = fetch_one_now(
        connection,
        f"SELECT {COLUMNS} FROM responses WHERE survey_id = ? AND respondent_key = ?",
        (survey_id, submission.response_id),
    )
    assert row is not None
    if on_submit is not None:
        on_submit()
    return dataclasses.replace(record_from_row(row), deletion_code=submission.code)


async def find_by_deletion_lookup(
    connection: aiosqlite.Connection, lookup: bytes
) -> tuple[ResponseRecord, receipts.ReceiptHash] | None:
    """The submitted response filed under this deletion-code lookup value, and its hash."""
    row = await fetch_one(
        connection,
        f"SELECT {COLUMNS}, deletion_lookup, deletion_salt, deletion_hash "
        "FROM responses WHERE deletion_lookup = ? AND status = 'submitted'",
        (lookup,),
    )
    if row is None:
        return None
    return record_from_row(row), receipts.ReceiptHash(
        row["deletion_lookup"], row["deletion_salt"], row["deletion_hash"])


def erase_submitted(connection: sqlite3.Connection, found: ResponseRecord,
                    marker: str | None, tallies: TallyKeeper) -> None:
    """Erase a submitted response and take it out of the tallies (in the writer thread).

    Args:
        marker: The pseudonym whose "has responded" marker for the survey goes too, so
            its holder may answer again (their old answers are gone), or None.
    """
    tallies.remove(connection, found.survey_id, found.respondent_key)
    connection.execute(
        "DELETE FROM responses WHERE survey_id = ? AND respondent_key = ? "
        "AND status = 'submitted'",
        (found.survey_id, found.respondent_key),
    )
    if marker is not None:
        connection.execute(
            "DELETE FROM responded WHERE survey_id = ? AND respondent_key = ?",
            (found.survey_id, marker),
        )
