"""``consultbot move-key`` takes an older installation's key out of the data directory."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from bot.cli import main
from storage import Storage


def _legacy_installation(data_dir: Path) -> bytes:
    """A data directory as older releases left it: the key beside the database."""
    async def create() -> None:
        async with await Storage.open(data_dir):  # no key file: the old behaviour
            pass

    asyncio.run(create())
    return (data_dir / "secret.key").read_bytes()


def test_move_key_moves_the_key_out_and_the_data_stays_readable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir, key_file = tmp_path / "data", tmp_path / "keys" / "secret.key"
    key = _legacy_installation(data_dir)
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CONSULTBOT_KEY_FILE", str(key_file))
    assert main(["move-key"]) == 0
    assert str(key_file) in capsys.readouterr().out
    assert not (data_dir / "secret.key").exists()
    assert key_file.read_bytes() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key not in b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    assert main(["move-key"]) == 1  # nothing left to move: says so, changes nothing
    assert "not moved" in capsys.readouterr().err
    assert key_file.read_bytes() == key


def test_move_key_never_overwrites_a_different_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir, key_file = tmp_path / "data", tmp_path / "keys" / "secret.key"
    key = _legacy_installation(data_dir)
    key_file.parent.mkdir(mode=0o700)
    key_file.write_bytes(bytes(32))
    key_file.chmod(0o600)
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CONSULTBOT_KEY_FILE", str(key_file))
    assert main(["move-key"]) == 1
    assert "different key" in capsys.readouterr().err
    assert (data_dir / "secret.key").read_bytes() == key


def test_a_key_file_inside_the_data_directory_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = tmp_path / "data"
    _legacy_installation(data_dir)
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CONSULTBOT_KEY_FILE", str(data_dir / "inner" / "secret.key"))
    assert main(["move-key"]) == 2
    assert "inside the data directory" in capsys.readouterr().err
