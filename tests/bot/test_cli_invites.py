"""``consultbot invites``: codes written once (CSV, PNG, PDF), stored as hashes, revocable."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from bot.cli import main
from storage import Storage
from storage.invites import is_invite_code
from tests.moderation_fixtures import SURVEY, seed


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "data"

    async def prepare() -> None:
        async with await Storage.open(directory) as storage:
            await seed(storage, responses=())

    asyncio.run(prepare())
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(directory))
    return directory


def _storage_state(data_dir: Path) -> tuple[str, list[tuple[int, int, bool]], list[str]]:
    async def read() -> tuple[str, list[tuple[int, int, bool]], list[str]]:
        async with await Storage.open(data_dir) as storage:
            batches = await storage.invites.batches(SURVEY.id)
            actions = [e.action for e in await storage.audit.entries()]
            return (await storage.invites.mode(SURVEY.id),
                    [(b.total, b.spent, b.revoked) for b in batches], actions)

    return asyncio.run(read())


def test_invites_csv_with_links_then_list_and_revoke(
        data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "codes.csv"
    assert main(["invites", SURVEY.id, "--count", "25", "--output", str(output),
                 "--bot", "consult_bot"]) == 0
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert len(rows) == 25 and len({r["code"] for r in rows}) == 25
    assert all(is_invite_code(r["code"]) for r in rows)
    assert all(r["link"] == f"https://t.me/consult_bot?start={r['code']}" for r in rows)
    raw = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("consult"))
    assert not any(r["code"].encode() in raw for r in rows)
    mode, batches, actions = _storage_state(data_dir)
    assert mode == "invite" and batches == [(25, 0, False)] and "invites.create" in actions

    capsys.readouterr()
    assert main(["invites", SURVEY.id, "--list"]) == 0
    listing = capsys.readouterr().out
    batch_id = listing.split("batch ")[1].split(" ")[0]
    assert "0 of 25 codes spent, valid" in listing
    assert main(["invites", SURVEY.id, "--revoke", batch_id]) == 0
    assert "25 unspent codes are void" in capsys.readouterr().out
    assert _storage_state(data_dir)[1] == [(25, 0, True)]
    assert main(["invites", SURVEY.id, "--open"]) == 0
    assert _storage_state(data_dir)[0] == "open"


def test_printable_sheets(data_dir: Path, tmp_path: Path) -> None:
    png, pdf = tmp_path / "sheet.png", tmp_path / "sheets.pdf"
    assert main(["invites", SURVEY.id, "--count", "6", "--output", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    assert main(["invites", SURVEY.id, "--count", "30", "--output", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().count(b"/Type /Page\n") == 2


def test_wrong_requests(data_dir: Path, tmp_path: Path) -> None:
    assert main(["invites", SURVEY.id, "--count", "5"]) == 1  # no --output
    assert main(["invites", SURVEY.id, "--count", "5", "--output", str(tmp_path / "x.txt")]) == 1
    assert main(["invites", "no-such-survey", "--count", "5",
                 "--output", str(tmp_path / "x.csv")]) == 1


def test_retention_per_survey(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retention", SURVEY.id, "--days", "30", "--action", "delete"]) == 0
    assert "30 days after closing, its answers are deleted" in capsys.readouterr().out
    assert main(["retention", SURVEY.id, "--default"]) == 0
    assert main(["retention", SURVEY.id, "--days", "30"]) == 1
    assert main(["retention", SURVEY.id, "--default", "--days", "3"]) == 1
    assert "survey.retention" in _storage_state(data_dir)[2]
