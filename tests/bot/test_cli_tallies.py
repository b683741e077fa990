"""``consultbot tallies check|rebuild`` against a real data directory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from storage import DATABASE_FILE_NAME
from tests.moderation_fixtures import SURVEY, seeded_data_dir


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = seeded_data_dir(tmp_path / "data")  # awaiting its first recount
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(directory))
    return directory


def _corrupt(data_dir: Path) -> None:
    """Add one respondent to one counter by hand, as damage or a bug would."""
    with sqlite3.connect(data_dir / DATABASE_FILE_NAME) as connection:
        row = connection.execute(
            "SELECT by_question, day, version, grp, question_id, value FROM tallies "
            "WHERE survey_id = ? AND by_question = '' AND question_id = 'region' "
            "AND value = '\"north\"'", (SURVEY.id,)).fetchone()
        connection.execute(
            "UPDATE tallies SET respondents = respondents + 1 WHERE survey_id = ? "
            "AND by_question = ? AND day = ? AND version = ? AND grp = ? AND question_id = ? "
            "AND value = ?", (SURVEY.id, *row))


def test_check_finds_a_corrupted_counter_and_rebuild_fixes_it(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tallies", "check", SURVEY.id]) == 1
    assert "awaiting a recount" in capsys.readouterr().err

    assert main(["tallies", "rebuild", SURVEY.id]) == 0
    captured = capsys.readouterr()
    assert f"{SURVEY.id}: recounting (1 of 1)…" in captured.err  # said before the long part
    assert f"{SURVEY.id}: recounted from 12 responses." in captured.out
    assert main(["tallies", "check", SURVEY.id]) == 0
    assert f"{SURVEY.id}: exact (12 responses" in capsys.readouterr().out

    _corrupt(data_dir)
    assert main(["tallies", "check"]) == 1
    err = capsys.readouterr().err
    assert f"{SURVEY.id}: 1 counters differ from a recount of 12 responses" in err
    # North has 7 respondents: the damaged counter says 8.
    assert "question 'region' value \"north\": stored (8," in err and "recounted (7," in err
    assert f"consultbot tallies rebuild {SURVEY.id}" in err

    assert main(["tallies", "rebuild", "--all"]) == 0
    capsys.readouterr()
    assert main(["tallies", "check"]) == 0
    assert f"{SURVEY.id}: exact (12 responses" in capsys.readouterr().out


def test_rebuild_needs_a_survey_or_all_and_a_known_survey(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tallies", "rebuild"]) == 2
    assert "Give a SURVEY_ID or --all." in capsys.readouterr().err
    assert main(["tallies", "rebuild", SURVEY.id, "--all"]) == 2
    assert main(["tallies", "check", "no-such-survey"]) == 1
    assert "No survey with the id 'no-such-survey'." in capsys.readouterr().err


def test_summary_after_a_rebuild_is_unchanged(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", SURVEY.id, "--format", "json"]) == 0  # recounts on first use
    first = capsys.readouterr().out
    assert main(["tallies", "check"]) == 0
    assert main(["tallies", "rebuild", "--all"]) == 0
    capsys.readouterr()
    assert main(["summary", SURVEY.id, "--format", "json"]) == 0
    assert capsys.readouterr().out == first
