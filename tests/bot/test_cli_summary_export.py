"""``consultbot summary`` and ``consultbot export`` against a real data directory."""

from __future__ import annotations

import asyncio
import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.dates import format_date

from bot.cli import main
from storage import Storage
from tests.moderation_fixtures import SURVEY, TWELVE, seed


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"

    async def prepare() -> None:
        async with await Storage.open(directory) as storage:
            await seed(storage, in_progress=2)

    asyncio.run(prepare())
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(directory))
    monkeypatch.delenv("CONSULTBOT_MIN_CELL", raising=False)
    return directory


def test_summary_by_question_hides_small_groups(data_dir: Path, capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    assert main(["summary", SURVEY.id, "--by", "region", "--charts", str(charts)]) == 0
    out = capsys.readouterr().out
    assert "Respondents: 12" in out
    assert "North: 7" in out
    # South (3) and East (1) are under 5, and the rest of the table cannot give them away.
    assert "South: hidden" in out and "East: hidden" in out
    assert "because their groups have fewer than 5 people" in out
    assert "Started but not submitted: hidden" in out  # 2 in progress is a small group too
    pngs = sorted(p.name for p in charts.iterdir())
    assert f"{SURVEY.id}-region.png" in pngs
    assert all((charts / name).read_bytes().startswith(b"\x89PNG") for name in pngs)


def test_summary_of_an_unknown_survey_or_question_fails_cleanly(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "nope"]) == 1
    assert "No survey" in capsys.readouterr().err
    assert main(["summary", SURVEY.id, "--by", "issues"]) == 1
    assert "single-choice" in capsys.readouterr().err


def test_summary_formats_numbers_for_the_locale(data_dir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", SURVEY.id, "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    # 7 of 12 in the north, with French number formatting (a no-break space before "%").
    assert re.search(r"North\s?: 7 \(58\s%\)", out)  # French: a no-break space before ":" too
    # The submission day (today) with the French month abbreviation ("déc.", "nov." …).
    assert f" {format_date(datetime.now(UTC).date(), 'MMM', locale='fr')} " in out


def test_export_csv_is_audited_and_neutralised(data_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out.csv"
    assert main(["export", SURVEY.id, "--format", "csv", "--output", str(output)]) == 0
    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == len(TWELVE)
    assert sorted(int(r["respondent"]) for r in rows) == list(range(1, 13))
    remedies = {r["remedy"] for r in rows} - {""}
    assert remedies == {"'=HYPERLINK(\"http://evil.example\",\"click\")",
                        "'+1 more money for overtime please"}
    assert "12 responses written" in capsys.readouterr().out

    async def audit_entries() -> list:
        async with await Storage.open(data_dir) as storage:
            return await storage.audit.entries()

    entries = asyncio.run(audit_entries())
    assert [(e.actor, e.action, e.details["rows"]) for e in entries] == [("cli", "export", 12)]
    import hashlib
    assert entries[0].details["sha256"] == hashlib.sha256(raw).hexdigest()


def test_export_json_and_unknown_survey(data_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    assert main(["export", SURVEY.id, "--format", "json", "--output", str(output)]) == 0
    records = json.loads(output.read_text(encoding="utf-8"))
    assert len(records) == 12 and {"issues/wages", "issues/safety"} <= set(records[0])
    assert main(["export", "nope", "--output", str(tmp_path / "x.csv")]) == 1


def test_a_missing_data_directory_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(missing))
    assert main(["summary", SURVEY.id]) == 2
    assert main(["export", SURVEY.id, "--output", str(tmp_path / "x.csv")]) == 2
    assert "No consultbot database" in capsys.readouterr().err
    assert not missing.exists()
