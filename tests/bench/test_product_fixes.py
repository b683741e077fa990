"""Behaviour kept by the performance fixes the benchmarks led to (see bench/README.md)."""

from __future__ import annotations

import asyncio
import datetime as _dt
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import surveys.tally as tally
from bench.survey import SURVEY_YAML, random_answers
from surveys.aggregation import Summarizer
from surveys.loading import load_survey_bytes
from surveys.numbering import RespondentNumbers


@pytest.mark.parametrize("size", [0, 1, 2, 17, 1_000, 5_000, 70_000])
def test_tabulated_respondent_numbers_equal_the_hashed_ones(size: int) -> None:
    key = bytes(range(32))
    tabulated, hashed = RespondentNumbers(size, key), RespondentNumbers(size, key)
    hashed._tables = None  # the reference path: hash every number, no tables
    numbers = [tabulated.number(i) for i in range(size + 3)]
    assert numbers == [hashed.number(i) for i in range(size + 3)]
    assert sorted(numbers[:size]) == list(range(1, size + 1))


def test_texts_after_the_language_sample_are_counted_not_guessed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tally, "LANGUAGE_SAMPLE", 40)
    survey = load_survey_bytes(SURVEY_YAML, "bench.yaml")
    rng = random.Random(3)
    rows = [(random_answers(rng), _dt.date(2026, 3, 1), "en") for _ in range(400)]
    summarizer = Summarizer(survey, min_cell=5, by="sector")
    summarizer.add_many(rows)
    remedy = summarizer._tallier.tally.questions["remedy"]
    assert remedy.sampled_texts == 40
    for group, answered in remedy.answered.items():
        assert sum(remedy.values[group].values()) == answered
    assert sum(remedy.answered.values()) == 400
    # Only the sample gets languages; the rest are true counts of "not analysed" (E: an
    # estimated language count could show a language only one person wrote in).
    counts: dict[object, int] = {}
    for counter in remedy.values.values():
        for key, count in counter.items():
            counts[key] = counts.get(key, 0) + count
    assert counts[tally.NOT_ANALYSED] == 360
    assert set(counts) <= {"en", "fr", tally.UNDETERMINED, tally.NOT_ANALYSED}


def test_small_surveys_detect_every_text() -> None:
    survey = load_survey_bytes(SURVEY_YAML, "bench.yaml")
    rng = random.Random(4)
    summarizer = Summarizer(survey, min_cell=5)
    summarizer.add_many([(random_answers(rng), None, "en") for _ in range(30)])
    remedy = summarizer._tallier.tally.questions["remedy"]
    assert remedy.sampled_texts == 30
    assert all(tally.NOT_ANALYSED not in c for c in remedy.values.values())


async def test_answer_writes_group_into_one_commit_and_isolate_a_failure(tmp_path: Path) -> None:
    from storage.database import Database
    from storage.schema import Migration

    migration = Migration(1, "t", "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    db = await Database.open(tmp_path / "db.sqlite3", migrations=[migration])
    try:
        def insert(k: str, v: int) -> Callable[[sqlite3.Connection], str]:
            def work(connection: sqlite3.Connection) -> str:
                connection.execute("INSERT INTO t VALUES (?, ?)", (k, v))
                return k
            return work

        results = await asyncio.gather(
            db.write(insert("a", 1)),
            db.write(insert("a", 2)),  # primary key clash: fails alone
            db.write(insert("c", 1)),
            db.write(insert("b", 3)),
            return_exceptions=True,
        )
        assert results[0] == "a" and results[2] == "c" and results[3] == "b"
        assert isinstance(results[1], sqlite3.IntegrityError)
        rows = await db.read(lambda c: c.execute_fetchall("SELECT k, v FROM t ORDER BY k"))
        assert [tuple(r) for r in rows] == [("a", 1), ("b", 3), ("c", 1)]
        assert db.stats.commits == 1  # one grouped transaction
    finally:
        await db.close()
