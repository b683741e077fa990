"""Migration 0009 on an older database: submitted answers lose their pseudonym."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage import DATABASE_FILE_NAME, Storage
from tests.storage.older_release import older_database

SURVEY = "labour-2026"


async def test_older_submitted_responses_keep_the_marker_and_lose_the_pseudonym(
    tmp_path: Path,
) -> None:
    data_dir, key_file = tmp_path / "data", tmp_path / "keys" / "consultbot.key"
    db, secret = await older_database(data_dir, key_file, SURVEY, before=9)
    submitted = secret.respondent_key(SURVEY, 101)
    draft = secret.respondent_key(SURVEY, 102)
    await db.write(lambda c: c.executemany(
        "INSERT INTO responses (survey_id, version, respondent_key, status, answers, "
        "current_question, started_on, updated_on, submitted_on) VALUES (?, 1, ?, ?, ?, NULL, "
        "'2026-03-01', '2026-03-02', ?)",
        [(SURVEY, submitted, "submitted", '{"remedy": "old answer"}', "2026-03-02"),
         (SURVEY, draft, "in_progress", '{"remedy": "half done"}', None)]))
    await db.close()

    storage = await Storage.open(data_dir, key_file=key_file)
    try:
        marker = await storage.responses.get(SURVEY, submitted)
        resumed = await storage.responses.get(SURVEY, draft)
        counts = await storage.responses.counts(SURVEY)
    finally:
        await storage.close()
    assert marker is not None and marker.marker and dict(marker.answers) == {}
    assert resumed is not None and dict(resumed.answers) == {"remedy": "half done"}
    assert (counts.in_progress, counts.submitted) == (1, 1)
    with sqlite3.connect(data_dir / DATABASE_FILE_NAME) as connection:
        (row,) = connection.execute(
            "SELECT respondent_key, started_on, updated_on, submitted_on, deletion_hash "
            "FROM responses WHERE status = 'submitted'").fetchall()
    assert row[0] not in (submitted, draft) and len(row[0]) == 64
    assert row[1:4] == ("2026-03-02",) * 3  # only the submission day is left
    assert row[4] is None  # no deletion code exists for answers submitted before 0009
    # The pseudonym is gone from every file (secure_delete, WAL truncated), but the marker's.
    content = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    assert content.count(submitted.encode()) == 1  # the marker only
