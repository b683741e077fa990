"""``consultbot audit list|export|head``: reading, exporting and publishing the audit log."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from storage import Storage
from storage.audit import AuditLog


def _seed(data_dir: Path, days: list[dt.datetime]) -> None:
    async def act() -> None:
        async with await Storage.open(data_dir) as storage:
            for number, day in enumerate(days):
                log = AuditLog(storage.db, storage.secret.derive_key("audit"), clock=lambda d=day: d)
                await log.append("mod:0123456789abcdef", "report.status",
                                 {"report_id": "ABCDEFGH", "n": number})
            await storage.db.checkpoint()

    asyncio.run(act())


DAYS = [dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC) for day in (1, 2, 3, 4, 5)]


def test_export_writes_every_entry_and_verifies_the_chain(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir, output = tmp_path / "data", tmp_path / "audit.jsonl"
    _seed(data_dir, DAYS)
    assert main(["audit", "export", "--output", str(output), "--data-dir", str(data_dir)]) == 0
    entries = [json.loads(line) for line in output.read_text().splitlines()]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert [e["details"]["n"] for e in entries] == [0, 1, 2, 3, 4]
    assert all(e["prev_hash"] == p["hash"] for p, e in itertools.pairwise(entries))
    assert "5 entries written" in capsys.readouterr().err

    assert main(["audit", "head", "--data-dir", str(data_dir)]) == 0
    assert capsys.readouterr().out.strip() == f"5 entries; head hash {entries[-1]['hash']}"

    assert main(["audit", "export", "--since", "2026-03-04", "--output", str(output),
                 "--data-dir", str(data_dir)]) == 0
    assert [json.loads(line)["seq"] for line in output.read_text().splitlines()] == [4, 5]

    assert main(["audit", "list", "--since", "2026-03-05", "--data-dir", str(data_dir)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 1 and listed[0].startswith("5\t2026-03-05T12:00:00+00:00\tmod:")

    # A changed entry stops the export there, with exit 1; what was written before holds.
    connection = sqlite3.connect(data_dir / "consultbot.sqlite3")
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 3")
    connection.commit()
    connection.close()
    assert main(["audit", "export", "--output", str(output), "--data-dir", str(data_dir)]) == 1
    assert [json.loads(line)["seq"] for line in output.read_text().splitlines()] == [1, 2]
    assert "BROKEN at entry 3" in capsys.readouterr().err


def test_head_of_an_empty_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(tmp_path / "data", [])
    assert main(["audit", "head", "--data-dir", str(tmp_path / "data")]) == 0
    assert capsys.readouterr().out.strip() == "0 entries; head hash " + "0" * 64
