"""Benchmark 2: answers committed per second through storage's grouped commits.

``--writers`` concurrent tasks each take the next answer and await
``ResponseRepository.save_answer`` (the call the bot makes for every answer; it returns
only after the COMMIT that contains it). The database's single writer groups whatever is
queued into one ``BEGIN IMMEDIATE … COMMIT``.

Baselines, same run, same rows (the answers JSON each ``save_answer`` leaves behind), same
PRAGMAs as storage (WAL, ``synchronous=FULL``, ``secure_delete=ON``, ``foreign_keys=ON``),
each on its own copy of the same starting database:

* raw ``sqlite3`` ``executemany`` of every UPDATE in one transaction (the ceiling: no
  acknowledgement per answer at all);
* raw ``sqlite3``, one transaction and COMMIT (fsync) per answer (what acknowledging each
  answer costs without grouping); bounded to ``--per-commit-answers`` answers.

Each side runs ``--repeat`` times (default 3) on a fresh copy, alternated so drift in the
machine's load hits all of them; the fastest run of each counts (``bench.common.fastest``
habit), and the spread is printed as a note.

Targets: grouped >= 0.25 x raw executemany, and >= 10 x one-commit-per-answer.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.common import Result, add_common_arguments, spread, write_result
from bench.dataset import generate, respondent_user_id
from bench.survey import QUESTION_KINDS, SURVEY_ID, random_answers
from surveys.codec import answers_to_json

TARGET_RAW = 0.25
TARGET_PER_COMMIT = 10.0
_UPDATE = ("UPDATE responses SET answers = ?, current_question = ?, updated_on = ? "
           "WHERE survey_id = ? AND respondent_key = ?")

Answer = tuple[str, str, object, str | None]  # respondent key, question, value, next question


def _plan(keys: list[str], answers: int) -> list[Answer]:
    """``answers`` answers: each respondent answers the ten questions in order."""
    rng = random.Random(11)
    plan: list[Answer] = []
    per_key = {key: dict(random_answers(rng)) for key in keys}
    order = [qid for qid, _ in QUESTION_KINDS]
    for position in range(len(order)):
        for key in keys:
            following = order[position + 1] if position + 1 < len(order) else None
            plan.append((key, order[position], per_key[key][order[position]], following))
            if len(plan) == answers:
                return plan
    return plan


def _rows(plan: list[Answer]) -> list[tuple[object, ...]]:
    """The UPDATE parameters ``save_answer`` amounts to, answer by answer."""
    so_far: dict[str, dict[str, object]] = {}
    today = _dt.date.today().isoformat()
    rows = []
    for key, question, value, following in plan:
        answers = so_far.setdefault(key, {})
        answers[question] = value
        rows.append((answers_to_json(answers), following, today, SURVEY_ID, key))  # type: ignore[arg-type]
    return rows


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    for statement in ("journal_mode = WAL", "synchronous = FULL", "secure_delete = ON",
                      "foreign_keys = ON"):
        connection.execute(f"PRAGMA {statement}").fetchall()
    return connection


def raw_executemany(path: Path, rows: list[tuple[object, ...]]) -> float:
    connection = _connect(path)
    try:
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(_UPDATE, rows)
        connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()


def raw_commit_each(path: Path, rows: list[tuple[object, ...]]) -> float:
    connection = _connect(path)
    try:
        started = time.perf_counter()
        for row in rows:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(_UPDATE, row)
            connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()


async def grouped(data_dir: Path, plan: list[Answer], writers: int) -> tuple[float, float]:
    """(seconds, writes per commit) of ``save_answer`` by ``writers`` concurrent tasks."""
    from storage import Storage

    storage = await Storage.open(data_dir)
    try:
        pending = list(reversed(plan))
        # Each writer holds its respondent's draft, as the bot does (it reads the draft for
        # every update, under the participant's lock, before it saves the answer).
        drafts = {key: await storage.responses.get(SURVEY_ID, key) for key, *_ in plan}
        before = storage.db.stats

        async def writer() -> None:
            while pending:
                key, question, value, following = pending.pop()
                drafts[key] = await storage.responses.save_answer(
                    SURVEY_ID, key, question, value, following, draft=drafts[key])  # type: ignore[arg-type]

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(writers)))
        seconds = time.perf_counter() - started
        after = storage.db.stats
        grouping = (after.writes - before.writes) / max(1, after.commits - before.commits)
        return seconds, grouping
    finally:
        await storage.close()


async def writer_only(data_dir: Path, rows: list[tuple[object, ...]], writers: int) -> float:
    """Seconds for ``Database.write`` of each answer's bare UPDATE (no repository logic)."""
    from storage import Storage

    storage = await Storage.open(data_dir)
    try:
        pending = list(reversed(rows))

        async def writer() -> None:
            while pending:
                row = pending.pop()

                def work(connection: sqlite3.Connection, row: tuple[object, ...] = row) -> None:
                    connection.execute(_UPDATE, row)

                await storage.db.write(work)

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(writers)))
        return time.perf_counter() - started
    finally:
        await storage.close()


async def run(answers: int, writers: int, per_commit_answers: int, repeat: int = 3) -> Result:
    from storage import ServerSecret

    result = Result("2. durable writes", {"answers": answers, "writers": writers,
                                          "per_commit_answers": per_commit_answers,
                                          "repeat": repeat})
    respondents = max(1, answers // len(QUESTION_KINDS))
    with tempfile.TemporaryDirectory(prefix="consultbot-bench-") as tmp:
        base = Path(tmp) / "data"
        await generate(base, in_progress=0)
        secret = ServerSecret.load_or_create(base)
        keys = [secret.respondent_key(SURVEY_ID, respondent_user_id(n)) for n in range(respondents)]
        # Every respondent has started (empty answers), as after /start.
        connection = _connect(base / "consultbot.sqlite3")
        version = connection.execute("SELECT version FROM surveys").fetchone()[0]
        today = _dt.date.today().isoformat()
        connection.executemany(
            "INSERT INTO responses (survey_id, version, respondent_key, status, answers, "
            "started_on, updated_on) VALUES (?, ?, ?, 'in_progress', '{}', ?, ?)",
            [(SURVEY_ID, version, key, today, today) for key in keys])
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        connection.close()
        plan = _plan(keys, answers)
        rows = _rows(plan)
        each_rows = rows[:per_commit_answers]
        runs: dict[str, list[float]] = {"grouped": [], "writer": [], "raw": [], "each": []}
        groupings = []

        def fresh(name: str) -> Path:
            copy = Path(tmp) / name
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(base, copy)
            return copy

        for _ in range(max(1, repeat)):  # alternated: load drift hits every side alike
            seconds, grouping = await grouped(fresh("grouped"), plan, writers)
            runs["grouped"].append(seconds)
            groupings.append(grouping)
            runs["writer"].append(await writer_only(fresh("writer"), rows, writers))
            runs["raw"].append(raw_executemany(fresh("raw") / "consultbot.sqlite3", rows))
            runs["each"].append(
                raw_commit_each(fresh("each") / "consultbot.sqlite3", each_rows))
        seconds, writer_seconds, raw_seconds, each_seconds = (
            min(runs[name]) for name in ("grouped", "writer", "raw", "each"))
        grouping = groupings[runs["grouped"].index(seconds)]
        result.notes.append("; ".join(f"{name}: {spread(times)}" for name, times in runs.items()))

    rate = len(plan) / seconds
    raw_rate = len(rows) / raw_seconds
    each_rate = len(each_rows) / each_seconds
    result.add("grouped commits (save_answer) answers/s", rate, "ans/s")
    result.add("grouped commits, bare UPDATE per write", len(rows) / writer_seconds, "ans/s")
    result.add("raw executemany, one transaction", raw_rate, "ans/s")
    result.add("raw, one commit per answer", each_rate, "ans/s")
    result.add("ratio grouped / raw executemany", rate / raw_rate, "x", f">= {TARGET_RAW}",
               rate / raw_rate >= TARGET_RAW)
    result.add("ratio grouped / one commit per answer", rate / each_rate, "x",
               f">= {TARGET_PER_COMMIT:g}", rate / each_rate >= TARGET_PER_COMMIT)
    result.add("answers per commit (grouping)", grouping, "ans")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.durable_writes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=20_000, help="answers (default 20000)")
    parser.add_argument("--writers", type=int, default=64,
                        help="concurrent writers, each awaiting its commit (default 64)")
    parser.add_argument("--per-commit-answers", type=int, default=1_000,
                        help="answers for the one-commit-per-answer baseline (default 1000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each side; the fastest counts (default 3)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.answers, args.writers, args.per_commit_answers, args.repeat))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
