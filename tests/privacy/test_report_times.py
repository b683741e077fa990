"""README, "What each attacker can learn about a report": the data directory holds the days a
report and its additions came in, never their time of day (only the audit log, documented
there, times moderators' actions).

The attack: file a report with a follow-up through the real bot, then read every row of
every table but the audit log, looking for anything that dates it closer than the day — a
clock time, an ISO timestamp, or a number that is a Unix time of today.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import pytest

from bot.report_jobs import send_digest
from storage import DATABASE_FILE_NAME, Storage
from tests.handlers.conftest import BotEnv
from tests.handlers.moderator_helpers import fresh_code
from tests.handlers.report_helpers import MODERATOR_ID, file_report, report_id_of

#: A clock time (``10:14``, ``T10:14:03``) anywhere in a text (not ``argon2id13:2:67108864``).
CLOCK = re.compile(r"(?<!\d)([01]?\d|2[0-3]):[0-5]\d(?!\d)")
#: Tables documented as holding times of day, and why.
TIMED = {"audit_log": "README: the audit log times moderators' actions"}


def _timestamps(database: Path, now: float,
                skip: Iterable[str] = tuple(TIMED)) -> list[tuple[str, str, object]]:
    found = []
    with sqlite3.connect(database) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            if table in skip:
                continue
            cursor = connection.execute(f"SELECT * FROM {table}")
            names = [column[0] for column in cursor.description]
            for row in cursor:
                for name, value in zip(names, row, strict=True):
                    if isinstance(value, str) and CLOCK.search(value):
                        found.append((table, name, value))
                    elif isinstance(value, (int, float)) and any(
                            abs(value / scale - now) < 86_400 for scale in (1, 1_000, 1_000_000)):
                        found.append((table, name, value))  # Unix time in s, ms or µs
    return found


async def test_no_table_dates_a_report_closer_than_its_day(env: BotEnv) -> None:
    reporter = env.user(7_900_001)
    receipt = await file_report(reporter)
    await reporter.command("/status", receipt)
    await reporter.press("Add information")
    await reporter.send_text("It happened again at 22:40 on Friday.")  # a time in the text:
    await reporter.press("Done")  # sealed, so the scan must not find it either
    moderator = env.user(MODERATOR_ID)
    await fresh_code(env, moderator)
    await moderator.command("/reports")
    report_id = await report_id_of(env, receipt)
    await moderator.press(f"Open {report_id}")
    await moderator.press("in review")
    database = Path(env.config.data_dir) / DATABASE_FILE_NAME
    assert _timestamps(database, time.time()) == []
    # The audit log does time the moderator's actions (as README says): the scan would see it.
    assert any(table == "audit_log" for table, _, _ in _timestamps(database, time.time(), ()))


def test_the_schema_refuses_a_time_of_day_in_a_report(tmp_path: Path) -> None:
    """Even code that tried could not store one: the day columns are checked."""

    async def create() -> None:
        async with await Storage.open(tmp_path):
            pass

    asyncio.run(create())
    with sqlite3.connect(tmp_path / DATABASE_FILE_NAME) as connection:
        for column in ("filed_on", "updated_on", "closed_on"):
            values = {"filed_on": "2026-12-03", "updated_on": "2026-12-03", "closed_on": None,
                      column: "2026-12-03T10:14:03"}
            with pytest.raises(sqlite3.IntegrityError):
                connection.execute(
                    "INSERT INTO reports (report_id, receipt_lookup, receipt_salt, receipt_hash,"
                    " category, status, sealed, body, filed_on, updated_on, closed_on)"
                    " VALUES ('abcdefgh', zeroblob(16), zeroblob(16), zeroblob(32), 'other',"
                    " 'new', 0, x'00', :filed_on, :updated_on, :closed_on)", values)


#: Columns that differ between any two reports by construction: random, or ciphertext.
_RANDOM = {"report_id", "receipt_lookup", "receipt_salt", "receipt_hash", "body",
           "reporter_key", "reporter_salt"}


async def test_nothing_tells_which_of_a_days_reports_came_after_a_digest(env: BotEnv) -> None:
    """Digests run at fixed hours: a per-report "counted by a digest" mark would split a day's
    reports into before and after that hour. Two reports of the same day and topic, one
    filed before a digest and one after, must look alike in every column that is not
    random or encrypted."""
    assert env.app is not None
    before = await report_id_of(env, await file_report(env.user(7_900_002)))
    await send_digest(env.app)
    after = await report_id_of(env, await file_report(env.user(7_900_003)))
    database = Path(env.config.data_dir) / DATABASE_FILE_NAME
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        rows = {row["report_id"]: dict(row) for row in connection.execute("SELECT * FROM reports")}
    differing = {name for name in rows[before] if rows[before][name] != rows[after][name]}
    assert differing <= _RANDOM, differing - _RANDOM
