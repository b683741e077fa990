"""Text languages: stored with their answer in one write, and only while that answer stands."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.database import Database
from storage.responses import ResponseRepository
from storage.results import ResultRepository
from storage.schema import load_migrations
from storage.surveys import SurveyRepository
from surveys import tally
from surveys.aggregation import Summarizer
from surveys.perturbation import EXACT
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
    """The answers and languages of KEY's draft, or of the one submitted response."""
    with sqlite3.connect(database.path) as connection:
        return connection.execute(
            "SELECT answers, text_languages FROM responses WHERE respondent_key = ? "
            "OR status = 'submitted'", (KEY,)
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
        stored = await db.read(lambda c: c.execute_fetchall(
            "SELECT answers, text_languages, respondent_key FROM responses"))
    finally:
        await db.close()
    # Migration 0009: the pseudonym finds only the marker; the answers stay, unlinked.
    assert record is not None and record.marker
    ((answers, languages, response_id),) = stored
    assert FRENCH in answers and response_id != KEY
    assert languages == "{}"  # stored before detection: summaries detect it


SPANISH = "Los salarios no se pagan a tiempo desde hace varios meses."


async def _submitted(database: Database, responses: ResponseRepository, number: int,
                     sector: str, text: str, language: str | None) -> None:
    key = f"{number:064x}"
    await responses.start(SURVEY, 1, key)
    await responses.save_answer(SURVEY, key, "sector", sector, "remedy")
    await responses.save_answer(SURVEY, key, "remedy", text, None, text_language=language)
    await responses.submit(SURVEY, key)


async def _tally(database: Database, *, by: str | None, sample_size: int) -> tally.SurveyTally:
    counts = await ResultRepository(database).summary_counts(
        SURVEY, by=by, questions=["sector", "remedy"], text_questions=["remedy"],
        sample_size=sample_size)
    survey = make_survey(SURVEY)
    return tally.tally_from_counts(
        survey, survey.question(by) if by else None, days=counts.days, answers=counts.answers,
        texts=counts.texts, samples=counts.samples, languages=counts.languages)


async def test_summaries_count_stored_languages_without_detecting_them(
    database: Database, responses: ResponseRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stored language wins even where the detector would say otherwise: nothing is
    # detected when every text has its language.
    for number in range(8):
        await _submitted(database, responses, number, "garment", FRENCH, "sw")
    for number in range(8, 14):
        await _submitted(database, responses, number, "mining", "Short", tally.UNDETERMINED)

    def no_detection(text: str) -> str:
        raise AssertionError("a stored language was detected again")

    monkeypatch.setattr(tally, "detect_language", no_detection)
    counted = await _tally(database, by="sector", sample_size=2_000)
    remedy = counted.questions["remedy"]
    assert remedy.values == {"garment": {"sw": 8}, "mining": {tally.UNDETERMINED: 6}}
    assert remedy.answered == {"garment": 8, "mining": 6}
    assert remedy.sampled_texts == 0

    summarizer = Summarizer(make_survey(SURVEY), min_cell=5, protection=EXACT)
    counts = await ResultRepository(database).summary_counts(
        SURVEY, by=None, questions=["sector", "remedy"], text_questions=["remedy"],
        sample_size=2_000)
    summarizer.use_counts(days=counts.days, answers=counts.answers, texts=counts.texts,
                          samples=counts.samples, languages=counts.languages)
    summary = summarizer.result()
    (question,) = [q for q in summary.questions if q.question.id == "remedy"]
    shown = {c.key: c.cell.count for c in question.overall.categories}
    assert shown == {"sw": 8, tally.UNDETERMINED: 6}


async def test_texts_stored_before_languages_fall_back_to_the_sampled_detection(
    database: Database, responses: ResponseRepository
) -> None:
    for number in range(5):
        await _submitted(database, responses, number, "garment", FRENCH, "fr")
    for number in range(5, 12):  # older rows: text without a stored language
        await _submitted(database, responses, number, "garment", SPANISH, None)

    everything = (await _tally(database, by=None, sample_size=2_000)).questions["remedy"]
    assert everything.values == {None: {"fr": 5, "es": 7}}
    assert everything.sampled_texts == 7

    sampled = (await _tally(database, by=None, sample_size=3)).questions["remedy"]
    assert sampled.values == {None: {"fr": 5, "es": 3, tally.NOT_ANALYSED: 4}}
    assert sampled.answered == {None: 12}
