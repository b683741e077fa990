"""Each benchmark runs end to end at a tiny scale and prints its figures.

No timing assertions (figures on a shared machine vary): only that every benchmark
completes, measures its baseline, and reports the figures the README table relies on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import (
    announcement,
    durable_writes,
    end_to_end,
    moderator_scale,
    open_conversations,
    throughput,
)
from bench.__main__ import TINY


def run_tiny(module: object, number: int, tmp_path: Path, capsys: pytest.CaptureFixture[str],
             *extra: str) -> dict[str, float]:
    out = tmp_path / "result.json"
    assert module.main([*TINY[number], *extra, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    figures = {f["name"]: f["value"] for f in result["figures"]}
    for name in figures:
        assert name in printed
    return figures


def test_throughput_measures_consultbot_and_the_echo_baseline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = run_tiny(throughput, 1, tmp_path, capsys)
    assert figures["consultbot updates/s"] > 0
    assert figures["echo bot updates/s (baseline)"] > 0
    assert figures["consultbot ack p99"] >= figures["consultbot ack p50"] > 0


def test_durable_writes_measures_grouped_raw_and_per_commit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = run_tiny(durable_writes, 2, tmp_path, capsys)
    for name in ("grouped commits (save_answer) answers/s", "raw executemany, one transaction",
                 "raw, one commit per answer"):
        assert figures[name] > 0
    assert figures["answers per commit (grouping)"] >= 1


def test_moderator_scale_times_the_cli_against_the_sqlite3_dump(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = run_tiny(moderator_scale, 3, tmp_path, capsys, "--responses", "40",
                       "--cache-dir", str(tmp_path / "cache"))
    assert figures["sqlite3 CLI CSV dump (baseline)"] > 0
    assert figures["consultbot export --format csv"] > 0
    assert 0 < figures["peak RSS csv export"] < 10_000


def test_open_conversations_reports_the_bot_memory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = run_tiny(open_conversations, 4, tmp_path, capsys)
    assert figures["users in the bot's active-survey map"] == 20
    assert figures["responses in progress in storage"] == 200
    assert figures["RSS with all users active"] > 0


@pytest.mark.e2e
def test_end_to_end_drains_a_backlog_through_the_emulator(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = run_tiny(end_to_end, 5, tmp_path, capsys)
    assert figures["drain rate (consultbot run + emulator)"] > 0


def test_announcement_times_next_questions_with_lanes_without_and_first_come_first_served(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = run_tiny(announcement, 6, tmp_path, capsys)
    for run in ("lanes", "no announcement", "first come, first served"):
        assert figures[f"next question p99 ({run})"] > 0
    assert "announcement msg/s meanwhile (lanes)" in figures
