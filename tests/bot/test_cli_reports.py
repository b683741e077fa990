"""The moderators' command line: keygen, reading sealed reports, verifying the audit log."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.cli import main
from storage import Storage
from storage.attachments import Attachment
from storage.sealing import PRIVATE_KEY_NAME, PUBLIC_KEY_NAME

BODY = "Supervisor at Line 3 confiscates phones of union members"


def data_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def file_sealed_report(data_dir: Path, public_key: Path) -> str:
    async def go() -> str:
        async with await Storage.open(data_dir, report_key=public_key) as storage:
            filed = await storage.reports.file(
                "labour_rights", BODY, [Attachment("photo.jpg", "image/jpeg", b"JPEGDATA")])
            await storage.reports.add_followup(filed.report_id, "It happened again today")
            await storage.reports.add_reply(filed.report_id, "We will raise it with the union")
            await storage.reports.add_note(filed.report_id, "Ask the steward at Line 3")
            await storage.db.checkpoint()
            return filed.report_id

    return asyncio.run(go())


def test_keygen_then_sealed_reports_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys, data_dir = tmp_path / "keys", tmp_path / "data"
    assert main(["keygen", "--output", str(keys)]) == 0
    private_key, public_key = keys / PRIVATE_KEY_NAME, keys / PUBLIC_KEY_NAME
    assert stat.S_IMODE(private_key.stat().st_mode) == 0o600
    assert main(["keygen", "--output", str(keys)]) == 1  # never overwrites a key
    report_id = file_sealed_report(data_dir, public_key)
    assert BODY.encode() not in data_bytes(data_dir)
    assert b"again today" not in data_bytes(data_dir)
    assert b"raise it with the union" not in data_bytes(data_dir)
    assert b"steward" not in data_bytes(data_dir)
    capsys.readouterr()

    files = tmp_path / "files"
    assert main(["reports", "--key", str(private_key), "--data-dir", str(data_dir),
                 "--files-to", str(files)]) == 0
    out = capsys.readouterr().out
    assert report_id in out and BODY in out and "It happened again today" in out
    assert "We will raise it with the union" in out  # sealed to reporter and moderators
    assert "moderators' internal note" in out and "Ask the steward at Line 3" in out
    assert (files / f"{report_id}-1-photo.jpg").read_bytes() == b"JPEGDATA"


def test_reports_with_the_wrong_key_shows_nothing_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keygen", "--output", str(tmp_path / "a")]) == 0
    assert main(["keygen", "--output", str(tmp_path / "b")]) == 0
    file_sealed_report(tmp_path / "data", tmp_path / "a" / PUBLIC_KEY_NAME)
    capsys.readouterr()
    assert main(["reports", "--key", str(tmp_path / "b" / PRIVATE_KEY_NAME),
                 "--data-dir", str(tmp_path / "data")]) == 0
    captured = capsys.readouterr()
    assert BODY not in captured.out and "could not be decrypted" in captured.err


def test_reports_refuses_a_missing_database(tmp_path: Path) -> None:
    assert main(["keygen", "--output", str(tmp_path / "k")]) == 0
    assert main(["reports", "--key", str(tmp_path / "k" / PRIVATE_KEY_NAME),
                 "--data-dir", str(tmp_path / "nothing")]) == 2
    assert not (tmp_path / "nothing").exists()


def test_audit_verify_detects_tampering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"

    async def act() -> None:
        async with await Storage.open(data_dir) as storage:
            for status in ("in_review", "forwarded", "resolved"):
                await storage.audit.append("mod:0123456789abcdef", "report.status",
                                           {"report_id": "ABCDEFGH", "status": status})
            await storage.db.checkpoint()

    asyncio.run(act())
    assert main(["audit", "verify", "--data-dir", str(data_dir)]) == 0
    assert "3 entries" in capsys.readouterr().out

    connection = sqlite3.connect(data_dir / "consultbot.sqlite3")
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("UPDATE audit_log SET details = '{\"status\":\"rejected\"}' WHERE seq = 2")
    connection.commit()
    connection.close()
    assert main(["audit", "verify", "--data-dir", str(data_dir)]) == 1
    out = capsys.readouterr().out
    assert "BROKEN at entry 2" in out and "report.status" in out


def test_audit_verify_without_data(tmp_path: Path) -> None:
    assert main(["audit", "verify", "--data-dir", str(tmp_path / "none")]) == 2
