"""Answers written together: one writer call per batch, each answer still its own outcome."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from storage.database import Database
from storage.errors import AlreadySubmitted, NotFound
from storage.responses import ResponseRepository
from storage.surveys import SurveyRepository
from tests.storage.samples import Clock, make_survey

SURVEY = "labour-2026"


def key(n: int) -> str:
    return f"{n:064x}"


@pytest.fixture
async def responses(database: Database, clock: Clock) -> ResponseRepository:
    await SurveyRepository(database, today=clock).publish_definition(
        make_survey(SURVEY), b"", "s.yaml")
    return ResponseRepository(database, today=clock)


async def test_answers_of_many_people_share_commits_and_each_reads_back_as_returned(
    database: Database, responses: ResponseRepository
) -> None:
    for n in range(20):
        await responses.start(SURVEY, 1, key(n))
    before = database.stats

    saved = await asyncio.gather(*(
        responses.save_answer(SURVEY, key(n), "issues", ("pay", "safety"), "weeks",
                              text_language=None)
        for n in range(20)))

    after = database.stats
    assert after.commits - before.commits < 20  # grouped
    for n, record in enumerate(saved):
        assert record.answers == {"issues": ("pay", "safety")}
        assert record.current_question == "weeks"
        assert await responses.get(SURVEY, key(n)) == record


async def test_two_answers_of_one_person_in_one_batch_are_both_stored(
    database: Database, responses: ResponseRepository
) -> None:
    # SQLite merges each answer into the stored draft, so answers racing each other (the
    # bot never does this: it holds the participant's lock) cannot overwrite one another.
    await responses.start(SURVEY, 1, key(1))
    first, second = await asyncio.gather(
        responses.save_answer(SURVEY, key(1), "sector", "garment", "issues"),
        responses.save_answer(SURVEY, key(1), "remedy", "Pay on time", None,
                              text_language="en"),
    )
    stored = await responses.get(SURVEY, key(1))
    assert stored is not None
    assert stored.answers == {"sector": "garment", "remedy": "Pay on time"}
    assert dict(stored.text_languages) == {"remedy": "en"}
    assert stored.current_question is None  # the later write's next question
    # Each caller hears of its own answer on the draft it started from.
    assert first.answers["sector"] == "garment"
    assert second.answers["remedy"] == "Pay on time"


async def test_a_caller_holding_the_draft_gets_what_is_stored(
    database: Database, responses: ResponseRepository
) -> None:
    draft = await responses.start(SURVEY, 1, key(1))
    for question, answer, language in (("sector", "garment", None),
                                       ("remedy", "Pay on time", "en"),
                                       ("issues", ("pay", "safety"), None),
                                       ("remedy", "Pay on time", None),  # unchanged: keeps "en"
                                       ("weeks", None, None)):
        draft = await responses.save_answer(SURVEY, key(1), question, answer, "weeks",
                                            text_language=language, draft=draft)
        assert await responses.get(SURVEY, key(1)) == draft
    assert dict(draft.text_languages) == {"remedy": "en"}
    draft = await responses.save_answer(SURVEY, key(1), "remedy", "Paid late", None,
                                        draft=draft)  # changed, no language: loses it
    assert await responses.get(SURVEY, key(1)) == draft
    assert dict(draft.text_languages) == {}


async def test_a_refused_answer_fails_alone_and_changes_nothing(
    database: Database, responses: ResponseRepository
) -> None:
    for n in range(3):
        await responses.start(SURVEY, 1, key(n))
    await responses.submit(SURVEY, key(2))
    results = await asyncio.gather(
        responses.save_answer(SURVEY, key(0), "sector", "garment", "issues"),
        responses.save_answer(SURVEY, key(9), "sector", "garment", "issues"),  # never started
        responses.save_answer(SURVEY, key(1), "sector", True, "issues"),  # type: ignore[arg-type]  # a bool is not an answer
        responses.save_answer(SURVEY, key(2), "sector", "garment", "issues"),  # submitted
        responses.save_answer(SURVEY, key(1), "sector", "mining", "issues"),
        return_exceptions=True,
    )
    assert isinstance(results[1], NotFound)
    assert isinstance(results[2], ValueError)
    assert isinstance(results[3], AlreadySubmitted)
    with sqlite3.connect(database.path) as connection:
        stored = dict(connection.execute(
            "SELECT respondent_key, answers FROM responses WHERE status = 'in_progress'"))
    assert stored == {key(0): '{"sector":"garment"}', key(1): '{"sector":"mining"}'}


async def test_an_answer_sqlite_cannot_take_is_refused_before_it_reaches_a_batch(
    database: Database, responses: ResponseRepository
) -> None:
    # The id becomes a quoted JSON path inside SQL: with a quote in it, SQLite would store
    # the answer under another key or nowhere, and still report the row changed. A lone
    # surrogate cannot be bound as UTF-8 and would fail every answer of the batch.
    for n in range(2):
        await responses.start(SURVEY, 1, key(n))
    results = await asyncio.gather(
        responses.save_answer(SURVEY, key(0), 'sector"]', "garment", "issues"),
        responses.save_answer(SURVEY, key(0), "remedy", "pay \ud800 me", "issues"),
        responses.save_answer(SURVEY, key(1), "sector", "garment", "issues"),
        return_exceptions=True,
    )
    assert isinstance(results[0], ValueError)
    assert isinstance(results[1], ValueError)  # a lone surrogate: no UTF-8 text
    # XLSForm names may hold dots and hyphens: inside the quoted path they are the key's.
    dotted = await responses.save_answer(SURVEY, key(1), "group.q-1", ("a", "b"), None)
    assert await responses.get(SURVEY, key(1)) == dotted
    assert dotted.answers == {"sector": "garment", "group.q-1": ("a", "b")}
    untouched = await responses.get(SURVEY, key(0))
    assert untouched is not None and untouched.answers == {}
