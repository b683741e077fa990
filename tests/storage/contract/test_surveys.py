"""Contract: survey versions — draft, publish, supersede, close."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from storage.errors import InvalidTransition, NotFound
from storage.responses import ResponseRepository
from storage.survey_records import SurveySource, SurveyStatus
from storage.surveys import SurveyRepository
from tests.storage.samples import Clock, make_survey

KEY_A = "a" * 64
KEY_B = "b" * 64


async def test_a_draft_is_replaced_until_it_is_published(
    surveys: SurveyRepository, clock: Clock
) -> None:
    first = await surveys.save_draft(make_survey(title="First"), b"v1", "labour.yaml")
    clock.day = dt.date(2026, 3, 15)
    second = await surveys.save_draft(make_survey(title="Second"), b"v2", "labour.yml")

    assert (first.version, second.version) == (1, 1)
    assert second.status is SurveyStatus.DRAFT
    assert second.survey.title.get("en", "en") == "Second"
    assert second.created_on == dt.date(2026, 3, 15)
    assert second.published_on is None and not second.is_open
    assert await surveys.published("labour-2026") is None
    assert await surveys.source("labour-2026", 1) == SurveySource("labour.yml", b"v2")


async def test_full_life_cycle_keeps_every_published_version(
    surveys: SurveyRepository, responses: ResponseRepository, clock: Clock
) -> None:
    await surveys.save_draft(make_survey(title="One"), b"1", "s.yaml")
    v1 = await surveys.publish("labour-2026")
    assert (v1.version, v1.status, v1.published_on) == (1, SurveyStatus.PUBLISHED, clock.day)
    await responses.start("labour-2026", 1, KEY_A)
    await responses.submit("labour-2026", KEY_A, {"sector": "garment"})

    clock.day = dt.date(2026, 4, 1)
    draft = await surveys.save_draft(make_survey(title="Two"), b"2", "s.yaml")
    assert (draft.version, draft.status) == (2, SurveyStatus.DRAFT)
    assert (await surveys.published("labour-2026")).version == 1  # still answering v1

    v2 = await surveys.publish("labour-2026")
    assert (v2.version, v2.status) == (2, SurveyStatus.PUBLISHED)
    old = await surveys.get("labour-2026", 1)
    assert (old.status, old.closed_on, old.published_on) == (
        SurveyStatus.CLOSED,
        dt.date(2026, 4, 1),
        dt.date(2026, 3, 14),
    )
    assert old.survey.title.get("en", "en") == "One"
    kept = await responses.get("labour-2026", KEY_A)
    assert kept.submitted and kept.marker  # the pseudonym finds only "has responded"
    assert (await responses.counts("labour-2026", version=1)).submitted == 1

    closed = await surveys.close("labour-2026")
    assert (closed.version, closed.status) == (2, SurveyStatus.CLOSED)
    assert await surveys.published("labour-2026") is None
    assert [(r.version, r.status) for r in await surveys.versions("labour-2026")] == [
        (1, SurveyStatus.CLOSED),
        (2, SurveyStatus.CLOSED),
    ]
    # A closed survey can be reopened only by publishing a new version.
    with pytest.raises(InvalidTransition):
        await surveys.publish("labour-2026")
    with pytest.raises(InvalidTransition):
        await surveys.close("labour-2026")


async def test_unknown_surveys(surveys: SurveyRepository) -> None:
    assert await surveys.get("nope") is None
    assert await surveys.get("nope", 1) is None
    assert await surveys.source("nope", 1) is None
    with pytest.raises(NotFound):
        await surveys.publish("nope")
    with pytest.raises(NotFound):
        await surveys.close("nope")


async def test_listing_open_and_all_surveys(surveys: SurveyRepository) -> None:
    for survey_id in ("c-survey", "a-survey", "b-survey"):
        await surveys.save_draft(make_survey(survey_id), b"", f"{survey_id}.yaml")
    await surveys.publish("a-survey")
    await surveys.publish("c-survey")
    await surveys.save_draft(make_survey("c-survey", title="New"), b"", "c.yaml")

    assert [(r.survey_id, r.version) for r in await surveys.list_open()] == [
        ("a-survey", 1),
        ("c-survey", 1),
    ]
    assert [(r.survey_id, r.version, r.status) for r in await surveys.list_all()] == [
        ("a-survey", 1, SurveyStatus.PUBLISHED),
        ("b-survey", 1, SurveyStatus.DRAFT),
        ("c-survey", 2, SurveyStatus.DRAFT),
    ]


async def test_closing_erases_unfinished_responses_and_keeps_submitted_ones(
    surveys: SurveyRepository, responses: ResponseRepository
) -> None:
    await surveys.publish_definition(make_survey(), b"", "s.yaml")
    await responses.start("labour-2026", 1, KEY_A)
    await responses.save_answer("labour-2026", KEY_A, "sector", "mining", "weeks")
    await responses.start("labour-2026", 1, KEY_B)
    await responses.submit("labour-2026", KEY_B, {"sector": "garment"})

    await surveys.close("labour-2026")

    assert await responses.get("labour-2026", KEY_A) is None
    assert (await responses.get("labour-2026", KEY_B)).submitted
    counts = await responses.counts("labour-2026")
    assert (counts.in_progress, counts.submitted) == (0, 1)


async def test_publishing_the_same_definition_at_every_start_creates_one_version(
    surveys: SurveyRepository,
) -> None:
    first = await surveys.publish_definition(make_survey(), b"yaml", "s.yaml")
    again = await surveys.publish_definition(make_survey(), b"yaml", "s.yaml")
    assert (first.version, again.version, again.status) == (1, 1, SurveyStatus.PUBLISHED)

    changed = await surveys.publish_definition(make_survey(title="Edited"), b"yaml2", "s.yaml")
    assert (changed.version, changed.status) == (2, SurveyStatus.PUBLISHED)
    assert (await surveys.get("labour-2026", 1)).status is SurveyStatus.CLOSED


async def test_a_restart_does_not_reopen_a_survey_a_moderator_closed(
    surveys: SurveyRepository,
) -> None:
    await surveys.publish_definition(make_survey(), b"yaml", "s.yaml")
    await surveys.close("labour-2026")
    again = await surveys.publish_definition(make_survey(), b"yaml", "s.yaml")
    assert (again.version, again.status) == (1, SurveyStatus.CLOSED)


async def test_publish_definition_publishes_an_identical_pending_draft(
    surveys: SurveyRepository,
) -> None:
    await surveys.save_draft(make_survey(), b"yaml", "s.yaml")
    record = await surveys.publish_definition(make_survey(), b"yaml", "s.yaml")
    assert (record.version, record.status) == (1, SurveyStatus.PUBLISHED)


async def test_the_stored_definition_is_the_validated_model(surveys: SurveyRepository) -> None:
    survey = make_survey()
    await surveys.save_draft(survey, b"", "s.yaml")
    stored = await surveys.get(survey.id)
    assert stored.survey == survey
    with pytest.raises(dataclasses.FrozenInstanceError):
        stored.version = 3
