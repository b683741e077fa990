"""Recommendation storage and the service rules over it (statuses, audit, anonymous answers)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import addressed_answers as addressed
from bot import recommendations as recs
from storage import Storage
from storage.audit import CLI_ACTOR
from storage.errors import InvalidTransition
from storage.recommendations import DuplicateRecommendation, NewRecommendation, Recommendation
from surveys.disclosure import SuppressionReason
from surveys.model import Text
from surveys.perturbation import MAX_NOISE
from tests.moderation_fixtures import SURVEY, seed

DAY = dt.date(2026, 3, 14)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "data") as opened:
        await seed(opened)
        yield opened


async def _add(storage: Storage, rec_id: str = "pay-on-time",
               question_ids: tuple[str, ...] = ("region", "safe")) -> Recommendation:
    return await recs.add_recommendation(
        storage, CLI_ACTOR, recommendation_id=rec_id, survey_id=SURVEY.id,
        title=Text({"en": "Pay wages on time", "fr": "Payer les salaires à temps"}),
        body=Text({"en": "Wages late in the north."}), question_ids=question_ids, today=DAY)


async def test_a_recommendation_keeps_its_texts_sources_and_timeline(storage: Storage) -> None:
    added = await _add(storage)
    assert added.status == "received" and added.progress == 0
    assert added.question_ids == ("region", "safe")
    assert added.title.get("fr", "en") == "Payer les salaires à temps"
    await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "under_consideration",
                             today=DAY + dt.timedelta(days=1))
    await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "accepted", today=DAY)
    changed = await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "in_progress",
                                       progress=40, today=DAY)
    assert changed.progress == 40
    assert [step.status for step in changed.history] == [
        "received", "under_consideration", "accepted", "in_progress"]
    assert changed.history[1].changed_on == DAY + dt.timedelta(days=1)
    done = await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "implemented")
    assert done.progress == 100  # implemented means done


async def test_only_the_allowed_transitions_are_accepted(storage: Storage) -> None:
    await _add(storage)
    with pytest.raises(recs.RecommendationError, match="cannot go from 'received' to 'implemented'"):
        await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "implemented")
    with pytest.raises(recs.RecommendationError, match="Unknown status"):
        await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "done")
    with pytest.raises(recs.RecommendationError, match="0 to 100"):
        await recs.set_progress(storage, CLI_ACTOR, "pay-on-time", 101)
    await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "under_consideration")
    await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "rejected")
    assert recs.allowed_next("rejected") == (recs.Status.UNDER_CONSIDERATION,)


async def test_a_status_change_against_a_stale_read_is_refused(storage: Storage) -> None:
    await _add(storage)
    with pytest.raises(InvalidTransition):
        await storage.recommendations.change("pay-on-time", expected_status="accepted",
                                             status="in_progress", progress=10, today=DAY)
    assert (await recs.get_recommendation(storage, "pay-on-time")).status == "received"


async def test_links_and_ids_are_checked(storage: Storage) -> None:
    with pytest.raises(recs.RecommendationError, match="no question 'nope'"):
        await _add(storage, question_ids=("nope",))
    with pytest.raises(recs.RecommendationError, match="No survey"):
        await recs.add_recommendation(storage, CLI_ACTOR, recommendation_id="x",
                                      survey_id="missing", title=Text({"en": "T"}),
                                      body=Text({"en": ""}))
    with pytest.raises(recs.RecommendationError, match="lowercase"):
        await _add(storage, "Bad Id")
    await _add(storage)
    with pytest.raises(recs.RecommendationError, match="already"):
        await _add(storage)
    with pytest.raises(DuplicateRecommendation):
        await storage.recommendations.add(
            NewRecommendation("pay-on-time", SURVEY.id, Text({"en": "a"}), Text({"en": "b"})),
            today=DAY)


async def test_the_database_refuses_what_the_service_would(storage: Storage) -> None:
    await _add(storage)

    def bad(connection: sqlite3.Connection) -> None:
        connection.execute(
            "UPDATE recommendations SET status = 'done' WHERE recommendation_id = 'pay-on-time'")

    with pytest.raises(sqlite3.IntegrityError):
        await storage.db.write(bad)


async def test_milestones_are_dated_and_every_change_is_audited(storage: Storage) -> None:
    await _add(storage)
    first = await recs.add_milestone(storage, CLI_ACTOR, "pay-on-time",
                                     Text({"en": "Payroll audit"}), dt.date(2026, 5, 1))
    await recs.add_milestone(storage, CLI_ACTOR, "pay-on-time", Text({"en": "Law drafted"}),
                             dt.date(2026, 4, 1), reached=True)
    reached = await recs.mark_milestone(storage, CLI_ACTOR, "pay-on-time", first.number)
    assert reached.reached
    with pytest.raises(recs.RecommendationError, match="no milestone 9"):
        await recs.mark_milestone(storage, CLI_ACTOR, "pay-on-time", 9)
    stored = await recs.get_recommendation(storage, "pay-on-time")
    assert [m.due_on for m in stored.milestones] == [dt.date(2026, 4, 1), dt.date(2026, 5, 1)]
    await recs.set_progress(storage, CLI_ACTOR, "pay-on-time", 30)
    actions = [entry.action for entry in await storage.audit.entries()]
    assert actions == ["recommendation.add", "recommendation.milestone",
                       "recommendation.milestone", "recommendation.milestone_reached",
                       "recommendation.progress"]
    assert (await storage.audit.verify()).ok
    assert all("Payroll" not in str(entry.details) for entry in await storage.audit.entries())


async def _implemented(storage: Storage) -> None:
    await _add(storage)
    for status in ("under_consideration", "accepted", "implemented"):
        await recs.change_status(storage, CLI_ACTOR, "pay-on-time", status)


async def test_addressed_answers_are_anonymous_and_given_once(storage: Storage) -> None:
    await _add(storage)
    with pytest.raises(recs.RecommendationError, match="not implemented yet"):
        await addressed.record_addressed_answer(storage, "pay-on-time", 42, "yes")
    for status in ("under_consideration", "accepted", "implemented"):
        await recs.change_status(storage, CLI_ACTOR, "pay-on-time", status)
    assert await addressed.record_addressed_answer(storage, "pay-on-time", 42, "yes")
    assert not await addressed.record_addressed_answer(storage, "pay-on-time", 42, "no")
    assert await addressed.has_answered_addressed(storage, "pay-on-time", 42)
    assert not await addressed.has_answered_addressed(storage, "pay-on-time", 43)
    with pytest.raises(recs.RecommendationError, match="Answer one of"):
        await addressed.record_addressed_answer(storage, "pay-on-time", 43, "5")
    answers = await storage.recommendations.addressed_answers("pay-on-time")
    assert [a.answer for a in answers] == ["yes"]

    async def columns(connection: object) -> list[str]:
        rows = await connection.execute_fetchall(
            "SELECT name FROM pragma_table_info('addressed_answers')")
        return [str(r[0]) for r in rows]

    # Nothing in the answer row can lead back to the person, and no id is stored anywhere.
    assert await storage.db.read(columns) == ["answer_id", "recommendation_id", "answer",
                                              "answered_on"]


async def test_addressed_figures_are_published_like_survey_results(storage: Storage) -> None:
    await _implemented(storage)
    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    for user in range(3):
        await addressed.record_addressed_answer(storage, "pay-on-time", user, "partly",
                                           today=yesterday)
    early = await addressed.addressed_summary(storage, "pay-on-time", today=today)
    assert early.suppressed is SuppressionReason.NOT_PUBLISHED_YET  # 3 < min_cell
    for user in range(3, 12):
        await addressed.record_addressed_answer(storage, "pay-on-time", user, "yes",
                                           today=yesterday)
    await addressed.record_addressed_answer(storage, "pay-on-time", 99, "no", today=today)
    summary = await addressed.addressed_summary(storage, "pay-on-time", today=today)
    assert summary.snapshot_before == today  # today's answer waits for the day to end
    assert abs((summary.respondents.count or 0) - 12) <= MAX_NOISE
    cells = {c.key: c.cell for c in summary.questions[0].overall.categories}
    assert cells["partly"].suppressed is SuppressionReason.SMALL_GROUP
    # Otherwise "partly" would be the total minus "yes": that one is hidden as well.
    assert cells["yes"].suppressed is SuppressionReason.COMPLEMENTARY
    assert cells["no"].count == 0


@pytest.mark.parametrize("table", ["outbox", "audit_log"])
async def test_a_status_change_its_announcement_and_its_audit_entry_commit_together(
        storage: Storage, table: str) -> None:
    await _add(storage)
    await storage.follows.follow("pay-on-time", 4242, "en")

    def refuse_inserts(connection: sqlite3.Connection) -> None:
        connection.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                           "BEGIN SELECT RAISE(ABORT, 'no room'); END")

    await storage.db.write(refuse_inserts)
    with pytest.raises(sqlite3.IntegrityError, match="no room"):
        await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "under_consideration")
    unchanged = await recs.get_recommendation(storage, "pay-on-time")
    assert unchanged.status == "received"  # nobody told, nobody audited: nothing changed
    assert [step.status for step in unchanged.history] == ["received"]
    assert await storage.outbox.announcements([SURVEY.id]) == []  # no half-made update
    assert "recommendation.status" not in [e.action for e in await storage.audit.entries()]

    def repair(connection: sqlite3.Connection) -> None:
        connection.execute("DROP TRIGGER refuse")

    await storage.db.write(repair)
    await recs.change_status(storage, CLI_ACTOR, "pay-on-time", "under_consideration")
    (announced,) = await storage.outbox.announcements([SURVEY.id])
    assert announced.status == "under_consideration"
    assert [item.chat_id for item in await storage.outbox.due(now=2e9)] == [4242]
    (entry,) = [e for e in await storage.audit.entries() if e.action == "recommendation.status"]
    assert entry.details["to"] == "under_consideration"
    assert (await storage.audit.verify()).ok
