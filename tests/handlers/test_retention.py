"""Retention with a fake clock: survey answers, closed and never-closed reports, audit entries."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from bot.retention import run_retention
from storage.report_records import ReportStatus
from storage.retention import SurveyPolicy
from tests.fakebot import sent_texts
from tests.handlers.conftest import BotEnv
from tests.handlers.moderator_helpers import fresh_code
from tests.handlers.report_helpers import MODERATOR_ID, file_report, report_id_of, texts_to
from tests.moderation_fixtures import SURVEY, seed

TODAY = dt.datetime.now(dt.UTC).date()


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


async def _responses(env: BotEnv, survey_id: str) -> int:
    counts = await env.services.storage.responses.counts(survey_id)
    return counts.submitted + counts.in_progress


async def test_closed_survey_answers_are_reduced_to_their_summary_or_deleted(
        env: BotEnv) -> None:
    assert env.app is not None
    storage = env.services.storage
    await seed(storage)
    await storage.surveys.close(SURVEY.id)
    other = dataclasses.replace(SURVEY, id="town-hall")
    await seed(storage, other)
    await storage.surveys.close(other.id)
    await storage.retention.set_policy(other.id, SurveyPolicy(10, "delete"))

    counts = await run_retention(env.app, today=day(9))
    assert counts["responses"] == 0 and await _responses(env, other.id) == 12
    counts = await run_retention(env.app, today=day(10))
    assert (counts["surveys_deleted"], counts["responses"]) == (1, 12)
    assert await _responses(env, other.id) == 0 and await storage.retention.aggregate(
        other.id) is None
    assert await _responses(env, SURVEY.id) == 12  # the default: a year after closing

    counts = await run_retention(env.app, today=day(364))
    assert counts["surveys_aggregated"] == 0
    counts = await run_retention(env.app, today=day(365))
    assert (counts["surveys_aggregated"], counts["responses"]) == (1, 12)
    assert await _responses(env, SURVEY.id) == 0
    kept = await storage.retention.aggregate(SURVEY.id)
    # The protected summary (counts carry the publication's noise, so not exactly 12).
    assert kept is not None and re.search(r"Respondents: \d+", kept)
    analyst = env.user(MODERATOR_ID)
    shown = "\n".join(sent_texts(await analyst.command("/summary", SURVEY.id)))
    respondents = re.search(r"Respondents: \d+", kept)
    assert respondents is not None
    assert "this is the summary kept" in shown and respondents.group(0) in shown
    # The job audits counts only.
    entry = [e for e in await storage.audit.entries() if e.action == "retention"][-1]
    assert entry.details == {"closed_reports": 0, "open_reports": 0, "surveys_deleted": 0,
                             "surveys_aggregated": 1, "responses": 12, "stale_drafts": 0,
                             "audit_entries": 0}
    # The "has responded" markers went with the answers: nothing per person is left.
    for survey_id in (SURVEY.id, other.id):
        key = storage.secret.respondent_key(survey_id, 1000)  # seed's first respondent
        assert await storage.responses.get(survey_id, key) is None


async def test_unfinished_answers_nobody_touches_expire_while_the_survey_stays_open(
        env: BotEnv) -> None:
    assert env.app is not None
    storage = env.services.storage
    await seed(storage, responses=[], in_progress=3)
    expiry = env.services.settings.draft_expiry_days
    counts = await run_retention(env.app, today=day(expiry - 1))
    assert counts["stale_drafts"] == 0
    assert (await storage.responses.counts(SURVEY.id)).in_progress == 3
    counts = await run_retention(env.app, today=day(expiry))
    assert counts["stale_drafts"] == 3
    assert (await storage.responses.counts(SURVEY.id)).in_progress == 0
    entry = [e for e in await storage.audit.entries() if e.action == "retention"][-1]
    assert entry.details["stale_drafts"] == 3


async def test_closed_reports_are_erased_after_the_retention_period(env: BotEnv) -> None:
    assert env.app is not None
    report_id = await report_id_of(env, await file_report(env.user(7_800_001)))
    await env.services.storage.reports.set_status(report_id, ReportStatus.RESOLVED)
    assert (await run_retention(env.app, today=day(89)))["closed_reports"] == 0
    assert (await run_retention(env.app, today=day(90)))["closed_reports"] == 1
    assert await env.services.storage.reports.list_reports() == []


async def test_never_closed_reports_are_erased_after_a_warning_to_their_handlers(
        env: BotEnv) -> None:
    assert env.app is not None
    env.config = dataclasses.replace(env.config, report_categories=("wages", "safety"))
    await env.restart()
    admin = env.user(MODERATOR_ID)
    await fresh_code(env, admin)
    await admin.command("/addmod", "7800100", "handler:wages")
    await admin.command("/addmod", "7800200", "handler:safety")
    await file_report(env.user(7_800_002), category="wages")
    await run_retention(env.app, today=day(350))
    assert not [t for t in texts_to(env, 7_800_100) if t.startswith("Retention warning")]
    counts = await run_retention(env.app, today=day(351))
    assert counts["open_reports"] == 0
    [warning] = [t for t in texts_to(env, 7_800_100) if t.startswith("Retention warning")]
    assert "1 open reports will be erased within 14 days" in warning
    assert not [t for t in texts_to(env, 7_800_200) if t.startswith("Retention warning")]
    assert (await run_retention(env.app, today=day(364)))["open_reports"] == 0
    assert (await run_retention(env.app, today=day(365)))["open_reports"] == 1
    assert await env.services.storage.reports.list_reports() == []


async def test_old_audit_entries_are_erased_and_the_rest_still_verifies(env: BotEnv) -> None:
    assert env.app is not None
    log = env.services.storage.audit
    for number in range(3):
        await log.append("cli", "test", {"n": number})
    count, head = await log.head()
    counts = await run_retention(env.app, today=day(1095))
    assert counts["audit_entries"] == 0
    counts = await run_retention(env.app, today=day(1096))
    assert counts["audit_entries"] >= 3
    verification = await log.verify()
    assert verification.ok and verification.entries == 1  # the job's own entry, chained on
    entries = await log.entries()
    assert [e.action for e in entries] == ["retention"] and entries[0].prev_hash == head
    assert entries[0].seq == count + 1
    assert (await log.head())[0] == count + 1
