"""``consultbot summary`` and ``consultbot export`` against a real data directory."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.dates import format_date

from bot.cli import main
from storage import Storage
from surveys.perturbation import MAX_NOISE
from tests.moderation_fixtures import SURVEY, TWELVE, seed, seeded_data_dir


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = seeded_data_dir(tmp_path / "data")
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(directory))
    monkeypatch.delenv("CONSULTBOT_MIN_CELL", raising=False)
    return directory


def _near(text: str, pattern: str, true_value: int) -> int:
    """The count after ``pattern`` in ``text``, checked to be within the noise of the truth."""
    match = re.search(pattern + r"(\d+)", text)
    assert match, pattern
    value = int(match.group(1))
    assert abs(value - true_value) <= MAX_NOISE, (pattern, value, true_value)
    return value


def test_summary_by_question_hides_small_groups(data_dir: Path, capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    assert main(["summary", SURVEY.id, "--by", "region", "--charts", str(charts)]) == 0
    out = capsys.readouterr().out
    _near(out, "Respondents: ", 12)
    _near(out, "North: ", 7)
    # South (3) and East (1) are under 5, and the rest of the table cannot give them away.
    assert "South: hidden" in out and "East: hidden" in out
    assert "because their groups have fewer than 5 people" in out
    assert "Started but not submitted: hidden" in out  # 2 in progress is a small group too
    assert "small random change of at most 2" in out
    pngs = sorted(p.name for p in charts.iterdir())
    assert f"{SURVEY.id}-region.png" in pngs
    assert all((charts / name).read_bytes().startswith(b"\x89PNG") for name in pngs)


def test_summary_json_follows_the_schema_and_matches_the_text(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", SURVEY.id, "--by", "region", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert main(["summary", SURVEY.id, "--by", "region"]) == 0
    text = capsys.readouterr().out
    assert document["schema"] == "consultbot.summary/1"
    assert document["protection"]["min_cell"] == 5
    assert document["protection"]["max_noise"] == MAX_NOISE
    respondents = document["respondents"]
    assert respondents["hidden"] is None
    assert f"Respondents: {respondents['count']}" in text  # one snapshot, one set of numbers
    groups = {g["group"]: g for g in document["by"]["groups"]}
    assert groups["north"]["count"] == _near(text, "North: ", 7)
    assert groups["south"] == {**groups["south"], "count": None, "share": None,
                               "hidden": "small_group"}
    safe = next(q for q in document["questions"] if q["id"] == "safe")
    assert {"overall", "by_group"} <= set(safe)
    assert len(safe["by_group"]) == len(document["by"]["groups"])


def test_nothing_is_published_before_a_day_with_enough_responses_is_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "today"

    async def prepare() -> None:
        async with await Storage.open(directory) as storage:
            await seed(storage, days_ago=0)

    asyncio.run(prepare())
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(directory))
    assert main(["summary", SURVEY.id]) == 0
    assert "Nothing is published yet" in capsys.readouterr().out
    assert main(["summary", SURVEY.id, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["hidden"] == "not_published_yet"
    output = tmp_path / "empty.csv"
    assert main(["export", SURVEY.id, "--output", str(output)]) == 0
    assert len(output.read_text(encoding="utf-8-sig").splitlines()) == 1  # the header only
    # The raw export (audited) is every row as stored, today's included.
    assert main(["export", SURVEY.id, "--include-text", "--output", str(output)]) == 0
    assert len(list(csv.DictReader(output.read_text(encoding="utf-8-sig").splitlines()))) == 12


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
    # About 7 of 12 in the north, with French number formatting (a no-break space before "%").
    assert re.search(r"North\s?: \d+ \(\d+\s%\)", out)  # a no-break space before ":" too
    # The submission day with the French month abbreviation ("déc.", "nov." …).
    day = datetime.now(UTC).date() - timedelta(days=2)
    assert f" {format_date(day, 'MMM', locale='fr')} " in out


def _audit(data_dir: Path) -> list:
    async def entries() -> list:
        async with await Storage.open(data_dir) as storage:
            return await storage.audit.entries()

    return asyncio.run(entries())


def test_the_default_export_is_protected_microdata(data_dir: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out.csv"
    assert main(["export", SURVEY.id, "--format", "csv", "--output", str(output)]) == 0
    assert output.stat().st_mode & 0o777 == 0o600
    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == len(TWELVE)
    assert sorted(int(r["respondent"]) for r in rows) == list(range(1, 13))
    # No free text, no day: only the answers that cannot be typed in.
    assert set(rows[0]) == {"respondent", "version", "language", "region", "issues/wages",
                            "issues/safety", "safe"}
    assert b"HYPERLINK" not in raw and b"overtime" not in raw
    # k-anonymity: every combination of quasi-identifiers with any value left is shared by
    # at least 5 rows (the blanked values count as one value).
    combos = Counter((r["version"], r["language"], r["region"], r["issues/wages"],
                      r["issues/safety"]) for r in rows)
    assert all(n >= 5 for combo, n in combos.items() if any(combo))
    streams = capsys.readouterr()
    assert "Risk check:" in streams.err and "unique on the quasi-identifiers" in streams.err
    assert "12 responses written" in streams.out
    [entry] = _audit(data_dir)
    assert (entry.actor, entry.action, entry.details["rows"]) == ("cli", "export", 12)
    assert entry.details["unique_before"] >= 1 and entry.details["suppressed_cells"] > 0
    assert entry.details["sha256"] == hashlib.sha256(raw).hexdigest()


def test_a_raw_export_needs_the_flag_and_is_audited_as_raw(
        data_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "raw.csv"
    assert main(["export", SURVEY.id, "--include-text", "--output", str(output)]) == 0
    assert output.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(output.read_text(encoding="utf-8-sig").splitlines()))
    remedies = {r["remedy"] for r in rows} - {""}
    assert remedies == {"'=HYPERLINK(\"http://evil.example\",\"click\")",
                        "'+1 more money for overtime please"}
    assert [(e.action, e.details["rows"]) for e in _audit(data_dir)] == [("export_raw", 12)]


def test_a_language_without_a_catalog_is_said_and_english_used(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", SURVEY.id, "--lang", "xx"]) == 0
    captured = capsys.readouterr()
    assert "No translation for 'xx': the summary is in en." in captured.err
    assert "Respondents: " in captured.out
    assert main(["summary", SURVEY.id, "--lang", "fr-CA"]) == 0  # served by French, silently
    captured = capsys.readouterr()
    assert captured.err == "" and "Respondents: " not in captured.out


def test_an_export_that_cannot_be_written_says_where_and_why(
        data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", SURVEY.id, "--output", str(tmp_path)]) == 1  # a directory
    assert f"Cannot write {tmp_path}: Is a directory" in capsys.readouterr().err


def test_export_json_and_unknown_survey(data_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    assert main(["export", SURVEY.id, "--format", "json", "--output", str(output)]) == 0
    records = json.loads(output.read_text(encoding="utf-8"))
    assert len(records) == 12 and {"issues/wages", "issues/safety"} <= set(records[0])
    assert "remedy" not in records[0] and "submitted_on" not in records[0]
    assert main(["export", "nope", "--output", str(tmp_path / "x.csv")]) == 1


def test_a_missing_data_directory_is_not_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(missing))
    assert main(["summary", SURVEY.id]) == 2
    assert main(["export", SURVEY.id, "--output", str(tmp_path / "x.csv")]) == 2
    assert "No consultbot database" in capsys.readouterr().err
    assert not missing.exists()


@pytest.mark.parametrize("command", [
    ["summary", SURVEY.id],
    ["summary", SURVEY.id, "--format", "json"],
    ["export", SURVEY.id, "--output", "{out}"],
    ["invites", SURVEY.id, "--count", "2", "--output", "{out}"],
])
def test_a_command_refuses_a_missing_key_file_and_creates_none(
        command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A new key would match none of the stored pseudonyms: only the bot creates the key."""
    directory = tmp_path / "data"
    key_file = tmp_path / "keys" / "secret.key"

    async def prepare() -> None:
        async with await Storage.open(directory, key_file=key_file) as storage:
            await seed(storage)

    asyncio.run(prepare())
    key_file.unlink()
    key_file.parent.rmdir()
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(directory))
    monkeypatch.setenv("CONSULTBOT_KEY_FILE", str(key_file))
    before = sorted(p.name for p in directory.iterdir())
    out = tmp_path / "out.csv"
    assert main([part.format(out=out) for part in command]) == 2
    err = capsys.readouterr().err
    assert f"No key file at {key_file}" in err and "CONSULTBOT_KEY_FILE" in err
    assert "Traceback" not in err
    assert not key_file.parent.exists()  # nothing left behind: no key, no directory for it
    assert not out.exists()
    assert sorted(p.name for p in directory.iterdir()) == before
