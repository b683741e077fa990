"""Tallies: written with the submission, used by summaries, recounted when they cannot be kept."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.publication import build_summary
from storage import DATABASE_FILE_NAME, Storage
from storage.database import Database
from storage.responses import ResponseRepository
from storage.results import ResultRepository
from storage.secret import ServerSecret
from tests.storage.older_release import older_database
from tests.storage.samples import Clock, make_survey

SURVEY = "labour-2026"
DAY = dt.date(2026, 3, 14)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    secret = ServerSecret.load(tmp_path / "consultbot.key", data_dir)
    opened = Storage(await Database.open(data_dir / DATABASE_FILE_NAME), secret,
                     today=Clock(DAY))
    await opened.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    try:
        yield opened
    finally:
        await opened.close()


async def _submit(storage: Storage, number: int, sector: str = "garment",
                  responses: ResponseRepository | None = None) -> str:
    responses = responses or storage.responses
    key = f"{number:064x}"
    await responses.start(SURVEY, 1, key)
    await responses.save_answers(SURVEY, key, {"sector": sector, "issues": ("pay",),
                                               "weeks": 3}, None)
    await responses.save_answer(SURVEY, key, "remedy", "Pay on time please", None,
                                text_language="en")
    submitted = await responses.submit(SURVEY, key)
    assert submitted.deletion_code is not None
    return submitted.deletion_code


def _counters(storage: Storage) -> dict[tuple[str, str, str, str], int]:
    with sqlite3.connect(storage.db.path) as connection:
        return {(by, grp, question, value): count for by, grp, question, value, count in
                connection.execute("SELECT by_question, grp, question_id, value, respondents "
                                   "FROM tallies WHERE survey_id = ?", (SURVEY,))}


async def test_a_submission_updates_its_counters_in_the_same_write(storage: Storage) -> None:
    await _submit(storage, 1)
    writes = storage.db.stats.writes
    code = await _submit(storage, 2, "mining")
    # start, save_answers, save_answer, submit: the counters ride in the submit's write.
    assert storage.db.stats.writes == writes + 4
    counters = _counters(storage)
    assert counters[("", "null", "", "")] == 2
    assert counters[("", "null", "sector", '"garment"')] == 1
    assert counters[("", "null", "issues", '["pay"]')] == 2
    assert counters[("", "null", "remedy", "en")] == 2  # the language, never the text
    assert counters[("sector", '"mining"', "weeks", "3")] == 1
    assert not any("Pay on time" in value for *_, value in counters)

    assert await storage.responses.delete_by_code(code) is not None
    counters = _counters(storage)
    assert counters[("", "null", "", "")] == 1
    # A counter that falls to zero is deleted: nothing outlives the answers it counted.
    assert not any(grp == '"mining"' for _, grp, _, _ in counters)
    assert (await storage.tallies.check(SURVEY)).exact


async def test_summaries_do_not_read_the_answers(storage: Storage,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(8):
        await _submit(storage, number, ("garment", "mining")[number % 2])
    today = DAY + dt.timedelta(days=1)
    expected = {by: await build_summary(storage, SURVEY, by=by, min_cell=3, today=today,
                                        recount=True) for by in (None, "sector")}
    assert expected["sector"].respondents.count is not None

    async def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("the answers were scanned")

    monkeypatch.setattr(ResultRepository, "summary_counts", no_scan)
    monkeypatch.setattr(ResultRepository, "submitted_per_day", no_scan)
    for by, summary in expected.items():
        assert await build_summary(storage, SURVEY, by=by, min_cell=3, today=today) == summary


async def test_without_the_publication_key_the_survey_is_recounted_before_use(
        storage: Storage) -> None:
    keyless = ResponseRepository(storage.db, today=lambda: DAY)
    for number in range(6):
        await _submit(storage, number, responses=keyless)
    assert await storage.tallies.awaiting_rebuild(SURVEY)
    assert not (await storage.tallies.check(SURVEY)).exact
    per_day = await storage.tallies.submitted_per_day(SURVEY)  # recounts first
    assert per_day == {DAY: 6}
    assert not await storage.tallies.awaiting_rebuild(SURVEY)
    assert (await storage.tallies.check(SURVEY)).exact


async def test_an_erasure_never_fails_on_missing_counters(storage: Storage) -> None:
    code = await _submit(storage, 1)
    await _submit(storage, 2)
    await storage.db.write(lambda c: c.execute("DELETE FROM tallies WHERE question_id = 'weeks'"))
    assert await storage.responses.delete_by_code(code) is not None
    assert await storage.tallies.awaiting_rebuild(SURVEY)
    await storage.tallies.ensure_current(SURVEY)
    assert (await storage.tallies.check(SURVEY)).exact


async def test_retention_erases_the_counters_with_the_answers(storage: Storage) -> None:
    await _submit(storage, 1)
    await storage.retention.erase_responses(SURVEY, None, DAY)
    assert _counters(storage) == {}
    assert (await storage.tallies.check(SURVEY)).exact


async def test_responses_stored_before_migration_0010_are_counted_after_upgrading(
        tmp_path: Path) -> None:
    data_dir, key_file = tmp_path / "data", tmp_path / "keys" / "consultbot.key"
    db, _ = await older_database(data_dir, key_file, SURVEY, before=10)
    await db.write(lambda c: c.executemany(
        "INSERT INTO responses (survey_id, version, respondent_key, status, answers, "
        "started_on, updated_on, submitted_on) VALUES (?, 1, ?, 'submitted', ?, "
        "'2026-03-02', '2026-03-02', '2026-03-02')",
        [(SURVEY, f"{n:064x}", '{"sector":"garment","weeks":2}') for n in range(7)]))
    await db.close()

    storage = await Storage.open(data_dir, key_file=key_file)
    try:
        assert await storage.tallies.awaiting_rebuild(SURVEY)
        today = dt.date(2026, 3, 5)
        summary = await build_summary(storage, SURVEY, min_cell=3, today=today)
        assert summary == await build_summary(storage, SURVEY, min_cell=3, today=today,
                                              recount=True)
        assert summary.respondents.count is not None
        assert (await storage.tallies.check(SURVEY)).exact
    finally:
        await storage.close()


async def test_a_version_this_release_cannot_read_does_not_break_the_recount(
        storage: Storage) -> None:
    await _submit(storage, 1)
    await storage.surveys.publish_definition(make_survey(SURVEY, title="Second"), b"2", "s.yaml")
    await storage.db.write(lambda c: c.execute(
        "UPDATE surveys SET definition = 'written by another release' WHERE version = 1"))
    assert await storage.tallies.rebuild(SURVEY) == 0  # nobody can answer it here
    assert (await storage.tallies.check(SURVEY)).exact


async def test_an_edit_behind_storages_back_marks_the_survey_for_a_recount(
        storage: Storage) -> None:
    await _submit(storage, 1)
    await storage.db.write(lambda c: c.execute(
        "UPDATE responses SET submitted_on = '2026-03-01' WHERE status = 'submitted'"))
    assert await storage.tallies.awaiting_rebuild(SURVEY)
    assert await storage.tallies.submitted_per_day(SURVEY) == {dt.date(2026, 3, 1): 1}
    assert (await storage.tallies.check(SURVEY)).exact
