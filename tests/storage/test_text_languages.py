"""Text languages: stored with their answer in one write, and only while that answer stands."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.database import Database
from storage.responses import ResponseRepository
from storage.schema import load_migrations
from storage.surveys import SurveyRepository
from tests.storage.samples import Clock, make_survey

SURVEY = "labour-2026"
KEY = "c" * 64
FRENCH = "Les salaires ne sont pas payés à temps depuis des mois."


@pytest.fixture
async def surveys(database: Database, clock: Clock) -> SurveyRepository:
    repository = SurveyRepository(database, today=clock)
    await repository.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    return repository


@pytest.fixture
async def responses(
    database: Database, clock: Clock, surveys: SurveyRepository
) -> ResponseRepository:
    return ResponseRepository(database, today=clock)


def _stored(database: Database) -> tuple[str, str]:
    with sqlite3.connect(database.path) as connection:
        return connection.execute(
            "SELECT answers, text_languages FROM responses WHERE respondent_key = ?", (KEY,)
        ).fetchone()


async def test_the_language_is_written_with_the_answer_in_one_write(
    database: Database, responses: ResponseRepository
) -> None:
    await responses.start(SURVEY, 1, KEY)
    writes = database.stats.writes
    saved = await responses.save_answer(SURVEY, KEY, "remedy", FRENCH, None, text_language="fr")

    assert database.stats.writes == writes + 1
    assert dict(saved.text_languages) == {"remedy": "fr"}
    answers, languages = _stored(database)
    assert FRENCH in answers and languages == '{"remedy":"fr"}'
    assert (await responses.get(SURVEY, KEY)) == saved


async def test_other_answers_keep_the_language_and_a_changed_answer_loses_it(
    responses: ResponseRepository,
) -> None:
    await responses.start(SURVEY, 1, KEY)
    await responses.save_answer(SURVEY, KEY, "remedy", FRENCH, "sector", text_language="fr")
    kept = await responses.save_answer(SURVEY, KEY, "sector", "garment", None)
    assert dict(kept.text_languages) == {"remedy": "fr"}
    back = await responses.set_current(SURVEY, KEY, "remedy", language="en")
    assert dict(back.text_languages) == {"remedy": "fr"}

    skipped = await responses.save_answer(SURVEY, KEY, "remedy", None, None)
    assert dict(skipped.text_languages) == {}
    again = await responses.save_answer(SURVEY, KEY, "remedy", FRENCH, None, text_language="fr")
    retyped = await responses.save_answer(SURVEY, KEY, "remedy", "Something else", None)
    assert dict(again.text_languages) == {"remedy": "fr"}
    assert dict(retyped.text_languages) == {}


async def test_a_language_is_never_stored_for_an_answer_that_is_not_text(
    responses: ResponseRepository,
) -> None:
    await responses.start(SURVEY, 1, KEY)
    saved = await responses.save_answer(SURVEY, KEY, "weeks", 12, None, text_language="fr")
    assert dict(saved.text_languages) == {}


async def test_pruned_answers_lose_their_language_and_submit_keeps_the_rest(
    database: Database, responses: ResponseRepository
) -> None:
    await responses.start(SURVEY, 1, KEY)
    await responses.save_answer(SURVEY, KEY, "remedy", FRENCH, "sector", text_language="fr")
    await responses.save_answer(SURVEY, KEY, "sector", "garment", None)
    pruned = await responses.save_answers(SURVEY, KEY, {"sector": "garment"}, None)
    assert dict(pruned.text_languages) == {}

    await responses.save_answer(SURVEY, KEY, "remedy", FRENCH, None, text_language="fr")
    submitted = await responses.submit(SURVEY, KEY)
    assert dict(submitted.text_languages) == {"remedy": "fr"}
    assert _stored(database)[1] == '{"remedy":"fr"}'


async def test_submit_with_final_answers_drops_languages_of_dropped_answers(
    database: Database, responses: ResponseRepository
) -> None:
    await responses.start(SURVEY, 1, KEY)
    await responses.save_answer(SURVEY, KEY, "remedy", FRENCH, None, text_language="fr")
    submitted = await responses.submit(SURVEY, KEY, {"sector": "garment"})
    assert dict(submitted.text_languages) == {}
    assert _stored(database)[1] == "{}"


async def test_restart_carries_languages_of_carried_texts_only(
    database: Database, clock: Clock, surveys: SurveyRepository, responses: ResponseRepository
) -> None:
    await responses.start(SURVEY, 1, KEY)
    await responses.save_answer(SURVEY, KEY, "remedy", FRENCH, None, text_language="fr")
    await surveys.publish_definition(make_survey(SURVEY, title="v2"), b"2", "s.yaml")

    moved = await responses.restart(SURVEY, 2, KEY, answers={"remedy": FRENCH})
    assert (moved.version, dict(moved.text_languages)) == (2, {"remedy": "fr"})
    fresh = await responses.restart(SURVEY, 2, KEY)
    assert dict(fresh.text_languages) == {}


async def test_migrating_a_0003_database_keeps_its_responses(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    before = [m for m in load_migrations() if m.version <= 3]
    db = await Database.open(path, migrations=before)
    surveys = SurveyRepository(db)
    await surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    await db.write(lambda c: c.execute(
        "INSERT INTO responses (survey_id, version, respondent_key, status, answers, "
        "started_on, updated_on, submitted_on) VALUES (?, 1, ?, 'submitted', ?, "
        "'2026-03-14', '2026-03-14', '2026-03-14')",
        (SURVEY, KEY, '{"remedy": "' + FRENCH + '"}'),
    ))
    await db.close()

    db = await Database.open(path)
    try:
        record = await ResponseRepository(db).get(SURVEY, KEY)
    finally:
        await db.close()
    assert record is not None and record.submitted
    assert dict(record.answers) == {"remedy": FRENCH}
    assert dict(record.text_languages) == {}  # stored before detection: summaries detect it
