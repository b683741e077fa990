"""Contract: responses — start, resume, answer, submit once, erase, find and forget."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest

from storage import Storage
from storage.errors import AlreadySubmitted, InvalidTransition, NotFound
from storage.responses import ResponseRepository, ResponseStatus
from tests.storage.contract.conftest import Opened
from tests.storage.samples import Clock, make_survey

SURVEY = "labour-2026"
KEY = "c" * 64


@pytest.fixture
async def responses(storage: Storage) -> ResponseRepository:
    await storage.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    await storage.surveys.publish_definition(make_survey("other"), b"", "o.yaml")
    return storage.responses


def key(n: int) -> str:
    return f"{n:064x}"


async def test_start_then_answer_then_resume(responses: ResponseRepository, clock: Clock) -> None:
    started = await responses.start(SURVEY, 1, KEY, language="fr", current_question="sector")
    assert (started.status, started.answers, started.current_question) == (
        ResponseStatus.IN_PROGRESS,
        {},
        "sector",
    )
    assert started.started_on == clock.day and started.submitted_on is None

    clock.day = dt.date(2026, 3, 20)
    await responses.save_answer(SURVEY, KEY, "sector", "garment", "issues")
    await responses.save_answer(SURVEY, KEY, "issues", ("pay", "safety"), "weeks")
    saved = await responses.save_answer(SURVEY, KEY, "remedy", None, None)

    assert dict(saved.answers) == {"sector": "garment", "issues": ("pay", "safety"), "remedy": None}
    assert saved.current_question is None
    assert (saved.language, saved.started_on, saved.updated_on) == (
        "fr",
        dt.date(2026, 3, 14),
        dt.date(2026, 3, 20),
    )

    again = await responses.start(SURVEY, 1, KEY, current_question="sector")  # a second deep link
    assert again == saved
    assert await responses.get(SURVEY, KEY) == saved


async def test_answers_are_read_only(responses: ResponseRepository) -> None:
    record = await responses.start(SURVEY, 1, KEY)
    with pytest.raises(TypeError):
        record.answers["sector"] = "mining"
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = ResponseStatus.SUBMITTED


async def test_back_and_replacing_answers(responses: ResponseRepository) -> None:
    await responses.start(SURVEY, 1, KEY, current_question="sector")
    await responses.save_answer(SURVEY, KEY, "sector", "garment", "weeks")
    await responses.save_answer(SURVEY, KEY, "weeks", 12, "remedy")
    back = await responses.set_current(SURVEY, KEY, "weeks", language="en")
    assert (back.current_question, back.language, dict(back.answers)) == (
        "weeks",
        "en",
        {"sector": "garment", "weeks": 12},
    )

    trimmed = await responses.save_answers(SURVEY, KEY, {"sector": "mining"}, "remedy")
    assert dict(trimmed.answers) == {"sector": "mining"}


async def test_progress_survives_a_restart(opener: Opened) -> None:
    storage = await opener.open()
    await storage.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    respondent = storage.secret.respondent_key(SURVEY, 424242)
    await storage.responses.start(SURVEY, 1, respondent, current_question="sector")
    await storage.responses.save_answer(SURVEY, respondent, "sector", "mining", "issues")
    await storage.close()

    storage = await opener.open()
    resumed = await storage.responses.get(SURVEY, storage.secret.respondent_key(SURVEY, 424242))
    assert resumed is not None
    assert (resumed.current_question, dict(resumed.answers)) == ("issues", {"sector": "mining"})


async def test_submit_happens_exactly_once(responses: ResponseRepository) -> None:
    await responses.start(SURVEY, 1, KEY)
    await responses.save_answer(SURVEY, KEY, "sector", "garment", "weeks")
    await responses.save_answer(SURVEY, KEY, "weeks", 3, None)

    submitted = await responses.submit(SURVEY, KEY, {"sector": "garment"})  # relevant answers only
    assert submitted.submitted and submitted.current_question is None
    assert dict(submitted.answers) == {"sector": "garment"}

    with pytest.raises(AlreadySubmitted):
        await responses.submit(SURVEY, KEY)
    with pytest.raises(AlreadySubmitted):
        await responses.save_answer(SURVEY, KEY, "sector", "mining", None)
    with pytest.raises(AlreadySubmitted):
        await responses.restart(SURVEY, 1, KEY)
    assert (await responses.start(SURVEY, 1, KEY)).submitted  # start shows the submitted one


async def test_a_double_tap_on_submit_submits_once(responses: ResponseRepository) -> None:
    await responses.start(SURVEY, 1, KEY)
    results = await asyncio.gather(
        *(responses.submit(SURVEY, KEY) for _ in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, AlreadySubmitted) for r in results) == 4
    assert (await responses.counts(SURVEY)).submitted == 1


async def test_changing_a_response_that_was_never_started(responses: ResponseRepository) -> None:
    with pytest.raises(NotFound):
        await responses.save_answer(SURVEY, KEY, "sector", "garment", None)
    with pytest.raises(NotFound):
        await responses.submit(SURVEY, KEY)
    assert await responses.get(SURVEY, KEY) is None


async def test_restart_discards_unfinished_answers(responses: ResponseRepository) -> None:
    await responses.start(SURVEY, 1, KEY)
    await responses.save_answer(SURVEY, KEY, "sector", "garment", "weeks")
    fresh = await responses.restart(SURVEY, 1, KEY, current_question="sector", language="fr")
    assert (dict(fresh.answers), fresh.current_question, fresh.language) == ({}, "sector", "fr")


async def test_restart_on_a_new_version_can_carry_answers_over(storage: Storage) -> None:
    surveys, responses = storage.surveys, storage.responses
    await surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    await responses.start(SURVEY, 1, KEY)
    await responses.save_answer(SURVEY, KEY, "sector", "garment", "weeks")
    await surveys.publish_definition(make_survey(SURVEY, title="v2"), b"2", "s.yaml")

    moved = await responses.restart(
        SURVEY, 2, KEY, current_question="weeks", answers={"sector": "garment"}
    )

    assert (moved.version, dict(moved.answers), moved.current_question) == (
        2,
        {"sector": "garment"},
        "weeks",
    )


async def test_one_response_per_survey_and_none_shared_between_surveys(
    responses: ResponseRepository,
) -> None:
    await responses.start(SURVEY, 1, KEY)
    await responses.start("other", 1, KEY)
    await responses.save_answer("other", KEY, "sector", "mining", None)
    assert dict((await responses.get(SURVEY, KEY)).answers) == {}
    assert (await responses.counts(SURVEY)).total == 1


async def test_delete_erases_drafts_and_only_the_deletion_code_erases_answers(
    responses: ResponseRepository,
) -> None:
    await responses.start(SURVEY, 1, KEY)
    submitted = await responses.submit(SURVEY, KEY, {"remedy": "a very identifying sentence"})
    await responses.start("other", 1, KEY)

    assert await responses.delete(SURVEY, KEY) is False  # no draft: the answers are not KEY's
    assert await responses.delete_all_for("other", KEY) == 1
    assert (await responses.get(SURVEY, KEY)).marker  # one response per person still holds
    assert (await responses.counts(SURVEY)).submitted == 1

    assert submitted.deletion_code is not None
    assert await responses.delete_by_code("0" * 16, {SURVEY: KEY}) is None
    erased = await responses.delete_by_code(submitted.deletion_code.lower(), {SURVEY: KEY})
    assert erased is not None and dict(erased.answers) == {"remedy": "a very identifying sentence"}
    assert (await responses.counts(SURVEY)).total == 0
    assert await responses.get(SURVEY, KEY) is None  # erased with its answers: may answer again
    assert await responses.find_by_code(submitted.deletion_code) is None


async def test_submission_deletes_the_draft_and_stores_the_answers_under_no_pseudonym(
    responses: ResponseRepository,
) -> None:
    await responses.start(SURVEY, 1, KEY)
    await responses.save_answer(SURVEY, KEY, "sector", "garment", None)
    submitted = await responses.submit(SURVEY, KEY)

    assert submitted.respondent_key != KEY and len(submitted.respondent_key) == 64
    assert submitted.started_on == submitted.updated_on == submitted.submitted_on  # day only
    marker = await responses.get(SURVEY, KEY)
    assert marker is not None and marker.marker and dict(marker.answers) == {}
    assert (marker.version, marker.submitted_on, marker.started_on) == (0, None, None)
    counts = await responses.counts(SURVEY)
    assert (counts.in_progress, counts.submitted) == (0, 1)

    code = submitted.deletion_code
    assert code is not None and len(code) == 16  # 80 bits, like a report receipt
    found = await responses.find_by_code(f"{code[:4]} {code[4:8]}-{code[8:]}")
    assert found is not None and dict(found.answers) == {"sector": "garment"}
    assert found.deletion_code is None


async def test_counts_by_status_and_by_version(storage: Storage) -> None:
    surveys, responses = storage.surveys, storage.responses
    await surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    for n in range(13):
        await responses.start(SURVEY, 1, key(n))
        if n % 4 != 0:  # every fourth stays in progress
            await responses.submit(SURVEY, key(n))
    await surveys.publish_definition(make_survey(SURVEY, title="v2"), b"2", "s.yaml")
    await responses.start(SURVEY, 2, key(100))
    await responses.submit(SURVEY, key(100))

    counts = await responses.counts(SURVEY)
    assert (counts.in_progress, counts.submitted) == (4, 10)
    assert (await responses.counts(SURVEY, version=1)).submitted == 9
    assert (await responses.counts(SURVEY, version=2)).submitted == 1
    assert (await responses.counts("other")).submitted == 0


async def test_mydata_and_forget_find_one_persons_responses_in_every_survey(
    storage: Storage,
) -> None:
    for survey_id in (SURVEY, "other", "third"):
        await storage.surveys.publish_definition(
            make_survey(survey_id), b"", f"{survey_id}.yaml"
        )
    mine = await storage.respondent_keys(11)
    theirs = await storage.respondent_keys(12)
    assert set(mine) == {SURVEY, "other", "third"} and set(mine.values()).isdisjoint(
        theirs.values()
    )
    await storage.responses.start(SURVEY, 1, mine[SURVEY])
    await storage.responses.start("other", 1, mine["other"])
    await storage.responses.submit("other", mine["other"])
    await storage.responses.start(SURVEY, 1, theirs[SURVEY])

    found = await storage.responses.find_all(mine)
    assert sorted((r.survey_id, r.status, r.marker) for r in found) == [
        ("labour-2026", ResponseStatus.IN_PROGRESS, False),
        ("other", ResponseStatus.SUBMITTED, True),
    ]

    # /forget erases drafts; the marker stays (one response per person), the answers are
    # reachable only with the deletion code.
    assert await storage.responses.forget(mine) == 1
    assert [r.survey_id for r in await storage.responses.find_all(mine)] == ["other"]
    assert len(await storage.responses.find_all(theirs)) == 1


async def test_new_responses_start_only_on_the_published_version(storage: Storage) -> None:
    surveys, responses = storage.surveys, storage.responses
    await surveys.save_draft(make_survey("draft-only"), b"", "d.yaml")
    await surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    await surveys.publish_definition(make_survey(SURVEY, title="v2"), b"2", "s.yaml")

    with pytest.raises(NotFound):
        await responses.start("nope", 1, KEY)
    with pytest.raises(InvalidTransition):
        await responses.start("draft-only", 1, KEY)
    with pytest.raises(InvalidTransition):
        await responses.start(SURVEY, 1, KEY)  # superseded by version 2
    with pytest.raises(InvalidTransition):
        await responses.restart(SURVEY, 1, KEY)
    assert (await responses.start(SURVEY, 2, KEY)).version == 2
