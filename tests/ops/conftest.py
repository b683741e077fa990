"""Fixtures of the operations tests: backup keys, a seeded data directory, the CLI."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.backup_format import generate_backup_keys
from bot.cli import main


@dataclass(frozen=True)
class BackupKeys:
    private: Path
    public: Path


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def backup_keys(tmp_path: Path) -> BackupKeys:
    private, public = generate_backup_keys(tmp_path / "backup-keys")
    return BackupKeys(private, public)


def cli(args: Sequence[str]) -> CliResult:
    """Run ``consultbot ARGS`` in this process and capture what it prints."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _no_operator_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CONSULTBOT_KEY_FILE", "CREDENTIALS_DIRECTORY", "CONSULTBOT_BACKUP_KEY",
                 "CONSULTBOT_DATA_DIR", "CONSULTBOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _home_of_its_own(tmp_path_factory: pytest.TempPathFactory,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator commands look for a key in ``~/.config``: never the real one here."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
