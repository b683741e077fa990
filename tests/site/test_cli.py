"""``consultbot recs`` and ``consultbot site`` on a real data directory (no browser)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from storage import Storage
from tests.moderation_fixtures import SURVEY, answers, seed


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"

    async def prepare() -> None:
        async with await Storage.open(directory) as storage:
            # 12 respondents: 9 in the north, 3 in the south (a small group).
            await seed(storage, responses=[answers("north")] * 9 + [answers("south")] * 3)

    asyncio.run(prepare())
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(directory))
    monkeypatch.delenv("CONSULTBOT_MIN_CELL", raising=False)
    return directory


def _audit_actions(data_dir: Path) -> list[str]:
    async def read() -> list[str]:
        async with await Storage.open(data_dir) as storage:
            return [entry.action for entry in await storage.audit.entries()]

    return asyncio.run(read())


def test_recs_commands_record_change_and_list(data_dir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recs", "add", "pay-on-time", "--survey", SURVEY.id,
                 "--title", "en=Pay wages on time", "--title", "fr=Payer à temps",
                 "--body", "en=Wages were late.", "--question", "region"]) == 0
    assert "Recommendation 'pay-on-time' recorded (received)." in capsys.readouterr().out
    assert main(["recs", "status", "pay-on-time", "implemented"]) == 1
    assert "cannot go from 'received' to 'implemented'" in capsys.readouterr().err
    assert main(["recs", "status", "pay-on-time", "under_consideration"]) == 0
    assert main(["recs", "status", "pay-on-time", "accepted"]) == 0
    assert main(["recs", "status", "pay-on-time", "in_progress", "--progress", "25"]) == 0
    assert "in_progress, progress 25%." in capsys.readouterr().out
    assert main(["recs", "status", "pay-on-time", "--progress", "150"]) == 1
    assert "0 to 100" in capsys.readouterr().err
    assert main(["recs", "milestone", "pay-on-time", "--date", "2026-07-01",
                 "--label", "en=Payroll audit"]) == 0
    assert main(["recs", "milestone", "pay-on-time", "--reached", "1"]) == 0
    assert main(["recs", "milestone", "pay-on-time", "--reached", "7"]) == 1
    assert main(["recs", "milestone", "pay-on-time"]) == 1
    capsys.readouterr()
    assert main(["recs", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [{
        "id": "pay-on-time", "survey_id": SURVEY.id,
        "title": {"en": "Pay wages on time", "fr": "Payer à temps"},
        "status": "in_progress", "progress": 25, "questions": ["region"],
        "milestones": [{"number": 1, "date": "2026-07-01", "label": {"en": "Payroll audit"},
                        "reached": True}],
    }]
    assert main(["recs", "list"]) == 0
    assert "[x] 1. 2026-07-01 Payroll audit" in capsys.readouterr().out
    assert _audit_actions(data_dir) == [
        "recommendation.add", "recommendation.status", "recommendation.status",
        "recommendation.status", "recommendation.milestone",
        "recommendation.milestone_reached"]


def test_recs_add_refuses_bad_input_clearly(data_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recs", "add", "x", "--survey", "nope", "--title", "en=T"]) == 1
    assert "No survey with the id 'nope'." in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["recs", "add", "x", "--survey", SURVEY.id, "--title", "no language"])
    assert "expected LANG=TEXT" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["recs", "milestone", "x", "--date", "July", "--label", "en=a"])
    assert _audit_actions(data_dir) == []


def test_site_build_writes_the_published_tables(data_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "public"
    assert main(["site", "build", "--output", str(output)]) == 0
    captured = capsys.readouterr()
    assert "Site written to" in captured.out
    assert f"Reading the published results of {SURVEY.id} (1 of 1)…" in captured.err
    rows = list(csv.DictReader(io.StringIO((output / "data" / f"{SURVEY.id}.csv").read_text())))
    south = [r for r in rows if r["breakdown"] == "" and r["question"] == "region"
             and r["answer"] == "south"]
    assert south == [{**south[0], "count": "", "hidden": "small_group"}]
    assert {r["breakdown"] for r in rows} == {"", "region"}
    assert main(["summary", SURVEY.id, "--format", "json"]) == 0
    # No text answer in this data: the public JSON is exactly the CLI's.
    assert json.loads((output / "data" / f"{SURVEY.id}.json").read_text()) == json.loads(
        capsys.readouterr().out)
    for language in ("en", "fr", "es", "ar", "ru", "sw"):
        html = (output / language / f"survey-{SURVEY.id}.html").read_text()
        assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in html
        assert "<script" not in html and "http://" not in html and "https://" not in html


def test_site_build_refuses_a_missing_database_and_a_broken_audit_log(
        data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recs", "add", "a", "--survey", SURVEY.id, "--title", "en=A"]) == 0

    async def tamper() -> None:
        async with await Storage.open(data_dir) as storage:
            def drop_trigger(connection: sqlite3.Connection) -> None:
                # Someone with the database file rewrites history (triggers first).
                for name in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name = 'audit_log'").fetchall():
                    connection.execute(f"DROP TRIGGER {name[0]}")
                connection.execute("UPDATE audit_log SET action = 'nothing'")

            await storage.db.write(drop_trigger)

    asyncio.run(tamper())
    output = tmp_path / "public"
    assert main(["site", "build", "--output", str(output)]) == 1
    assert "audit log does not verify" in capsys.readouterr().err
    assert not (output / "index.html").exists()
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(tmp_path / "empty"))
    assert main(["site", "build", "--output", str(output)]) == 2
    assert main(["site", "serve", str(tmp_path / "nothing")]) == 2


def test_site_build_leaves_out_an_invite_only_survey_unless_asked(
        data_dir: Path, tmp_path: Path) -> None:
    """The chat promises nobody without a code learns an invite-only survey exists."""
    from storage.invites import SurveyAccess
    from surveys.model import Choice, Question, QuestionType, Survey, Text

    closed = Survey("closed-circle-2026", Text({"en": "Closed circle consultation"}), ("en",), (
        Question("q", QuestionType.SINGLE, Text({"en": "Yes or no?"}),
                 choices=(Choice("y", Text({"en": "Yes"})), Choice("n", Text({"en": "No"})))),))

    async def invite_only() -> None:
        async with await Storage.open(data_dir) as storage:
            await seed(storage, closed, [{"q": "y"}] * 12)
            await storage.invites.set_mode(closed.id, SurveyAccess.INVITE)

    asyncio.run(invite_only())
    assert main(["recs", "add", "circle-rec", "--survey", closed.id,
                 "--title", "en=Circle recommendation"]) == 0

    def site_text(output: Path) -> str:
        return "\n".join(path.read_text(encoding="utf-8") for path in sorted(output.rglob("*"))
                         if path.is_file() and path.suffix in (".html", ".csv", ".json"))

    hidden = tmp_path / "public"
    assert main(["site", "build", "--output", str(hidden)]) == 0
    text = site_text(hidden)
    assert SURVEY.id in text  # the open survey is published
    for trace in (closed.id, "Closed circle consultation", "Circle recommendation"):
        assert trace not in text
    shown = tmp_path / "with-invite-only"
    assert main(["site", "build", "--output", str(shown), "--include-invite-only"]) == 0
    text = site_text(shown)
    assert closed.id in text and "Circle recommendation" in text
