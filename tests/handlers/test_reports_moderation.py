"""/reports for moderators: list, open as plain text, status, reply; digest; sealed mode."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

from bot.report_jobs import send_digest
from storage.reports import ReportStatus
from storage.sealing import PUBLIC_KEY_NAME, generate_key_pair
from tests.handlers.conftest import BotEnv
from tests.handlers.moderator_helpers import fresh_code
from tests.handlers.report_helpers import (
    BODY,
    MODERATOR_ID,
    file_report,
    jpeg_with_exif,
    no_parse_mode,
    report_id_of,
    texts_to,
)


async def test_moderator_triages_and_replies_and_reporter_reads_it(env: BotEnv) -> None:
    reporter = env.user(7_300_001)
    markup = "*bold* <b>html</b> [link](http://example.org)"
    receipt = await file_report(reporter, BODY + " " + markup, photo=jpeg_with_exif())
    report_id = await report_id_of(env, receipt)
    moderator = env.user(MODERATOR_ID, first_name="Mod", username="mod_one")
    await fresh_code(env, moderator)
    await moderator.command("/reports")
    listing = moderator.last_message().text or ""
    assert report_id in listing and "Labour rights" in listing and "new" in listing
    calls = await moderator.press(f"Open {report_id}")
    assert no_parse_mode(calls)
    opened = next(c for c in calls if c.method == "sendMessage")
    assert BODY + " " + markup in opened.params["text"]  # plain text, byte for byte
    assert [c.method for c in calls].count("sendDocument") == 1  # the cleaned photo
    await moderator.press("in review")
    assert (await env.services.storage.reports.summary(report_id)).status is ReportStatus.IN_REVIEW
    await moderator.press("Reply")
    await moderator.send_text("Thank you. Which date did this start?")
    assert "Reply saved" in (moderator.last_message().text or "")

    other = env.user(7_300_002)
    await other.command("/status", receipt)
    shown = other.last_message().text or ""
    assert "Status: in review" in shown and "Which date did this start?" in shown

    audit = await env.services.storage.audit.entries()
    assert [e.action for e in audit] == ["2fa.enrol.start", "2fa.enrol", "reports.list",
                                          "report.open", "report.status", "report.reply"]
    assert all(e.actor.startswith("mod:") and str(MODERATOR_ID) not in e.actor for e in audit)
    assert audit[4].details == {"report_id": report_id, "before": "new", "after": "in_review"}
    assert (await env.services.storage.audit.verify()).ok


async def test_non_moderators_are_refused_politely(env: BotEnv) -> None:
    reporter = env.user(7_300_003)
    receipt = await file_report(reporter)
    report_id = await report_id_of(env, receipt)
    await reporter.command("/reports")
    assert reporter.last_message().text == "Sorry, this command is for moderators."
    # A moderator's button replayed by someone else does nothing.
    moderator = env.user(MODERATOR_ID)
    await moderator.command("/reports")
    button = moderator.message_with_button(f"Open {report_id}")
    data = next(b["callback_data"] for b in button.buttons() if b["text"] == f"Open {report_id}")
    calls = await reporter.press_data(data, button)
    assert reporter.answered_callbacks(calls)[0]["text"] == "Sorry, this is for moderators."
    assert texts_to(env, reporter.chat_id, calls) == []


async def test_digest_is_sent_even_when_empty_with_constant_wording(env: BotEnv) -> None:
    assert env.app is not None
    assert await send_digest(env.app) == 1
    empty = texts_to(env, MODERATOR_ID)[-1]
    await file_report(env.user(7_300_004))
    await file_report(env.user(7_300_005))
    await send_digest(env.app)
    busy = texts_to(env, MODERATOR_ID)[-1]
    assert re.sub(r"\d+", "N", empty) == re.sub(r"\d+", "N", busy)
    assert "Waiting for triage: 2. Open in total: 2." in busy
    await send_digest(env.app)  # nothing was triaged meanwhile: the same numbers
    assert "Waiting for triage: 2. Open in total: 2." in texts_to(env, MODERATOR_ID)[-1]


async def test_digest_is_scheduled_at_fixed_times(env: BotEnv) -> None:
    assert env.app is not None and env.app.job_queue is not None
    names = {job.name for job in env.app.job_queue.jobs()}
    assert {"report-digest", "report-retention"} <= names


async def test_sealed_mode_shows_only_metadata(env: BotEnv, tmp_path: Path) -> None:
    generate_key_pair(tmp_path / "keys")
    env.config = dataclasses.replace(env.config, report_key=tmp_path / "keys" / PUBLIC_KEY_NAME)
    await env.restart()
    receipt = await file_report(env.user(7_300_006))
    report_id = await report_id_of(env, receipt)
    moderator = env.user(MODERATOR_ID)
    await fresh_code(env, moderator)
    await moderator.command("/reports")
    calls = await moderator.press(f"Open {report_id}")
    text = " ".join(c.params.get("text", "") for c in calls if c.method == "sendMessage")
    assert "sealed" in text and "consultbot reports --key" in text and BODY not in text
    await moderator.press("resolved")
    assert (await env.services.storage.reports.summary(report_id)).status is ReportStatus.RESOLVED


async def test_retention_runs_at_start_up(env: BotEnv) -> None:
    receipt = await file_report(env.user(7_300_007))
    reports = env.services.storage.reports
    report_id = await report_id_of(env, receipt)
    await reports.set_status(report_id, ReportStatus.REJECTED)

    def age(connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE reports SET closed_on = '2000-01-01'")

    await env.services.storage.db.write(age)
    await env.restart()
    assert await env.services.storage.reports.list_reports() == []
    last = (await env.services.storage.audit.entries())[-1]
    assert last.action == "retention" and last.details["closed_reports"] == 1


def test_digest_times_are_aligned_to_midnight_utc() -> None:
    import datetime as dt

    from bot.report_jobs import next_aligned

    now = dt.datetime(2026, 3, 2, 13, 5, tzinfo=dt.UTC)
    assert next_aligned(now, 6) == dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)
    assert next_aligned(now.replace(hour=18, minute=0), 6) == dt.datetime(
        2026, 3, 3, 0, 0, tzinfo=dt.UTC)


async def test_long_reports_reach_the_moderator_whole(env: BotEnv) -> None:
    words = " ".join(f"word{n}" for n in range(1_500))  # ~11,000 characters
    body = words[:9_500]
    receipt = await file_report(env.user(7_300_008), body)
    report_id = await report_id_of(env, receipt)
    moderator = env.user(MODERATOR_ID)
    await fresh_code(env, moderator)
    await moderator.command("/reports")
    calls = await moderator.press(f"Open {report_id}")
    sent = [c.params["text"] for c in calls if c.method == "sendMessage"]
    assert len(sent) >= 3 and all(len(text) <= 4096 for text in sent)
    assert "".join(sent).replace("\n", "").replace(" ", "").count(body.replace(" ", "")) == 1


async def test_moderators_added_by_an_admin_triage_and_get_the_digest(env: BotEnv) -> None:
    assert env.app is not None
    await env.services.storage.moderators.add(7_300_100, added_by=MODERATOR_ID, role="handler")
    receipt = await file_report(env.user(7_300_009))
    helper = env.user(7_300_100)
    await helper.command("/reports")
    assert await report_id_of(env, receipt) in (helper.last_message().text or "")
    assert await send_digest(env.app) == 2
    assert "Reports digest." in texts_to(env, 7_300_100)[-1]
    await env.services.storage.moderators.remove(7_300_100)
    await helper.command("/reports")
    assert helper.last_message().text == "Sorry, this command is for moderators."


async def test_in_sealed_mode_a_reply_reaches_only_the_receipt_holder(
        env: BotEnv, tmp_path: Path) -> None:
    generate_key_pair(tmp_path / "keys")
    env.config = dataclasses.replace(env.config, report_key=tmp_path / "keys" / PUBLIC_KEY_NAME)
    await env.restart()
    receipt = await file_report(env.user(7_300_010))
    report_id = await report_id_of(env, receipt)
    moderator = env.user(MODERATOR_ID)
    await fresh_code(env, moderator)
    await moderator.command("/reports")
    await moderator.press(f"Open {report_id}")
    await moderator.press("Reply")
    await moderator.send_text("We are looking into the overtime records.")
    # The server itself (its storage, with its key) cannot read the reply...
    stored = await env.services.storage.reports.reporter_view(report_id)
    assert stored.replies == () and stored.sealed_replies == 1
    # ...but the reporter's receipt opens it, from any account.
    reader = env.user(7_300_011)
    await reader.command("/status", receipt)
    shown = reader.last_message().text or ""
    assert "We are looking into the overtime records." in shown
    assert "No reply from the moderators yet." not in shown
