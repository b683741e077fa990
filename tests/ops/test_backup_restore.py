"""``consultbot backup`` / ``restore``: consistent under load, refused when anything is off."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.backup_format import decrypt_backup
from storage import DATABASE_FILE_NAME, Storage
from storage.audit import CLI_ACTOR
from storage.sealing import load_private_key
from tests.ops.answer_writer import SURVEY_ID
from tests.ops.conftest import BackupKeys, cli

ROOT = Path(__file__).resolve().parents[2]


class Writer:
    """The answer writer in its own process, and the numbers it has acknowledged."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ops.answer_writer", str(data_dir)], cwd=ROOT,
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.acknowledged: list[int] = []
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip() == "ready":
                self.ready.set()
            elif line.strip():
                self.acknowledged.append(int(line))

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acknowledged) < count:
            assert self.process.poll() is None, "the writer died"
            assert time.monotonic() < deadline, "the writer is too slow"
            time.sleep(0.02)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self._thread.join(timeout=5)


async def submitted_numbers(data_dir: Path) -> set[int]:
    async with await Storage.open(data_dir) as storage:
        return {int(response.answers["n"])
                async for batch in storage.results.submitted_batches(SURVEY_ID)
                for response in batch}


def test_a_backup_under_write_load_restores_every_acknowledged_answer(
        tmp_path: Path, backup_keys: BackupKeys) -> None:
    live = tmp_path / "live"
    writer = Writer(live)
    try:
        writer.wait_for(30)
        acknowledged_before = set(writer.acknowledged)
        result = cli(["backup", "--data-dir", str(live), "--public-key", str(backup_keys.public),
                      "--output", str(tmp_path / "b.cbbackup")])
        assert result.code == 0, result.err
        writer.wait_for(len(acknowledged_before) + 30)  # the bot was never blocked
    finally:
        writer.stop()
    restored = tmp_path / "restored"
    result = cli(["restore", str(tmp_path / "b.cbbackup"), "--key", str(backup_keys.private),
                  "--data-dir", str(restored), "--key-file", str(live / "secret.key")])
    assert result.code == 0, result.err
    assert "Audit chain intact" in result.out
    assert "and checking the database and its audit chain…" in result.err  # the long part
    shutil.copy2(live / "secret.key", restored / "secret.key")  # the key travels separately
    numbers = asyncio.run(submitted_numbers(restored))
    assert acknowledged_before <= numbers
    # A snapshot, not a mixture: the numbers restored are exactly 1..N.
    assert numbers == set(range(1, max(numbers) + 1))


def seeded(data_dir: Path, audit_entries: int = 2) -> Path:
    asyncio.run(_seed(data_dir, audit_entries))
    return data_dir / DATABASE_FILE_NAME


async def _seed(data_dir: Path, audit_entries: int) -> None:
    async with await Storage.open(data_dir) as storage:
        for number in range(audit_entries):
            await storage.audit.append(CLI_ACTOR, "export", {"n": number})


def back_up(data_dir: Path, keys: BackupKeys, output: Path) -> Path:
    result = cli(["backup", "--data-dir", str(data_dir), "--public-key", str(keys.public),
                  "--output", str(output)])
    assert result.code == 0, result.err
    return output


@pytest.fixture
def installation(tmp_path: Path, backup_keys: BackupKeys) -> tuple[Path, Path]:
    """A data directory with a database, and a backup of it."""
    data_dir = tmp_path / "data"
    seeded(data_dir)
    return data_dir, back_up(data_dir, backup_keys, tmp_path / "b.cbbackup")


def restore(backup: Path, private_key: Path, data_dir: Path, *extra: str) -> tuple[int, str]:
    result = cli(["restore", str(backup), "--key", str(private_key), "--data-dir",
                  str(data_dir), *extra])
    return result.code, result.out + result.err


def fingerprint(path: Path) -> tuple[int, bytes]:
    return path.stat().st_ino, path.read_bytes()


def test_the_backup_never_holds_the_secret_key(installation: tuple[Path, Path],
                                               backup_keys: BackupKeys) -> None:
    data_dir, backup = installation
    plaintext = io.BytesIO()
    with backup.open("rb") as source:
        decrypt_backup(source, plaintext, load_private_key(backup_keys.private))
    key = (data_dir / "secret.key").read_bytes()
    assert key not in plaintext.getvalue() and key not in backup.read_bytes()
    assert plaintext.getvalue().startswith(b"SQLite format 3\0")
    assert os.stat(backup).st_mode & 0o077 == 0


def test_restore_keeps_the_previous_database_aside(installation: tuple[Path, Path],
                                                   backup_keys: BackupKeys) -> None:
    data_dir, backup = installation
    before = (data_dir / DATABASE_FILE_NAME).read_bytes()
    code, text = restore(backup, backup_keys.private, data_dir)
    assert code == 0, text
    aside = [path for path in data_dir.glob(f"{DATABASE_FILE_NAME}.before-restore-*")
             if not path.name.endswith("-wal")]
    assert len(aside) == 1 and aside[0].read_bytes() == before
    assert not list(data_dir.glob(".*.tmp"))


def test_a_backup_is_never_overwritten(installation: tuple[Path, Path],
                                       backup_keys: BackupKeys) -> None:
    data_dir, backup = installation
    before = backup.read_bytes()
    result = cli(["backup", "--data-dir", str(data_dir), "--public-key",
                  str(backup_keys.public), "--output", str(backup)])
    assert result.code == 1 and "already exists" in result.err
    assert backup.read_bytes() == before


def test_a_backup_needs_a_public_key(installation: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir, _ = installation
    result = cli(["backup", "--data-dir", str(data_dir), "--output", str(tmp_path / "x")])
    assert result.code == 2 and "CONSULTBOT_BACKUP_KEY" in result.err


def test_the_backup_key_can_come_from_the_config_file(
        installation: tuple[Path, Path], backup_keys: BackupKeys, tmp_path: Path) -> None:
    """CONSULTBOT_BACKUP_KEY is a setting like the others (ARCHITECTURE.md, Configuration)."""
    data_dir, _ = installation
    config = tmp_path / "consultbot.toml"
    config.write_text(f'backup_key = "{backup_keys.public}"\n', encoding="utf-8")
    output = tmp_path / "consultbot.backup"
    result = cli(["backup", "--data-dir", str(data_dir), "--config", str(config),
                  "--output", str(output)])
    assert result.code == 0, result.err
    assert output.is_file() and output.stat().st_size > 0


def damage(backup: Path) -> None:
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.write_bytes(bytes(data))


def truncate(backup: Path) -> None:
    backup.write_bytes(backup.read_bytes()[:-100])


@pytest.mark.parametrize(("spoil", "message"), [
    (damage, "damaged or was altered"),
    (truncate, "incomplete (cut short)"),
    (lambda path: path.write_bytes(b"SQLite format 3\0" + bytes(4000)),
     "not a consultbot backup"),
])
def test_a_spoilt_backup_is_refused_and_nothing_replaced(
        installation: tuple[Path, Path], backup_keys: BackupKeys, spoil: object,
        message: str) -> None:
    data_dir, backup = installation
    spoil(backup)  # type: ignore[operator]  # one of the functions above
    before = fingerprint(data_dir / DATABASE_FILE_NAME)
    code, text = restore(backup, backup_keys.private, data_dir)
    assert code == 1 and message in text and "nothing was replaced" in text
    assert fingerprint(data_dir / DATABASE_FILE_NAME) == before
    assert not list(data_dir.glob(".*.tmp")) and not list(data_dir.glob("*.before-restore-*"))


def test_the_wrong_private_key_is_refused(installation: tuple[Path, Path],
                                          tmp_path: Path) -> None:
    from bot.backup_format import generate_backup_keys

    data_dir, backup = installation
    other_private, _ = generate_backup_keys(tmp_path / "other")
    before = fingerprint(data_dir / DATABASE_FILE_NAME)
    code, text = restore(backup, other_private, data_dir)
    assert code == 1 and "not encrypted to this key" in text
    assert fingerprint(data_dir / DATABASE_FILE_NAME) == before


def test_another_installations_key_file_fails_the_audit_chain(
        installation: tuple[Path, Path], backup_keys: BackupKeys, tmp_path: Path) -> None:
    data_dir, backup = installation
    other_key = tmp_path / "other.key"
    other_key.write_bytes(os.urandom(32))
    other_key.chmod(0o600)
    before = fingerprint(data_dir / DATABASE_FILE_NAME)
    code, text = restore(backup, backup_keys.private, data_dir, "--key-file", str(other_key))
    assert code == 1 and "audit chain" in text
    assert fingerprint(data_dir / DATABASE_FILE_NAME) == before


def _no_key_anywhere(data_dir: Path, tmp_path: Path) -> tuple[str, ...]:
    # The installation's key (an older layout keeps it in the data directory) taken away.
    (data_dir / "secret.key").rename(tmp_path / "kept-elsewhere.key")
    return ()


def _missing_key_file(data_dir: Path, tmp_path: Path) -> tuple[str, ...]:
    return ("--key-file", str(tmp_path / "no-such.key"))


def _unsafe_key_file(data_dir: Path, tmp_path: Path) -> tuple[str, ...]:
    shared = tmp_path / "shared.key"
    shared.write_bytes((data_dir / "secret.key").read_bytes())
    shared.chmod(0o644)
    return ("--key-file", str(shared))


@pytest.mark.parametrize("take_key", [_no_key_anywhere, _missing_key_file, _unsafe_key_file])
def test_a_restore_without_a_usable_key_file_is_refused(
        installation: tuple[Path, Path], backup_keys: BackupKeys, tmp_path: Path,
        take_key: object) -> None:
    data_dir, backup = installation
    extra = take_key(data_dir, tmp_path)  # type: ignore[operator]  # one of the functions above
    before = fingerprint(data_dir / DATABASE_FILE_NAME)
    code, text = restore(backup, backup_keys.private, data_dir, *extra)
    assert code == 1, text
    assert "Restore refused, nothing was replaced" in text and "--key-file" in text
    assert "audit chain" in text and "WARNING" not in text
    assert fingerprint(data_dir / DATABASE_FILE_NAME) == before
    assert not list(data_dir.glob(".*.tmp")) and not list(data_dir.glob("*.before-restore-*"))


def test_a_restore_into_a_new_directory_needs_the_key_file(
        installation: tuple[Path, Path], backup_keys: BackupKeys, tmp_path: Path) -> None:
    data_dir, backup = installation
    elsewhere = tmp_path / "new-server"
    code, text = restore(backup, backup_keys.private, elsewhere)
    assert code == 1 and "--key-file" in text, text
    assert not (elsewhere / DATABASE_FILE_NAME).exists()
    code, text = restore(backup, backup_keys.private, elsewhere, "--key-file",
                         str(data_dir / "secret.key"))
    assert code == 0 and "Audit chain intact: 2 entries" in text, text


def test_a_backup_from_a_newer_release_is_refused(
        tmp_path: Path, backup_keys: BackupKeys) -> None:
    data_dir = tmp_path / "data"
    database = seeded(data_dir)
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO schema_migrations VALUES (9999, 'future', '2030-01-01')")
    connection.close()
    backup = back_up(data_dir, backup_keys, tmp_path / "b.cbbackup")
    code, text = restore(backup, backup_keys.private, tmp_path / "elsewhere", "--key-file",
                         str(data_dir / "secret.key"))
    assert code == 1 and "newer than this consultbot" in text
    assert not (tmp_path / "elsewhere" / DATABASE_FILE_NAME).exists()


def test_a_database_in_use_is_not_replaced_without_force(
        tmp_path: Path, backup_keys: BackupKeys) -> None:
    live = tmp_path / "live"
    writer = Writer(live)
    try:
        writer.wait_for(5)
        backup = back_up(live, backup_keys, tmp_path / "b.cbbackup")
        inode = (live / DATABASE_FILE_NAME).stat().st_ino
        code, text = restore(backup, backup_keys.private, live)
        assert code == 1 and "open in another process" in text
        assert (live / DATABASE_FILE_NAME).stat().st_ino == inode
    finally:
        writer.stop()
    code, text = restore(backup, backup_keys.private, live)
    assert code == 0, text


def test_a_long_backup_reports_its_progress(installation: tuple[Path, Path],
                                            backup_keys: BackupKeys, tmp_path: Path) -> None:
    from bot.backups import take_backup
    from storage.sealing import load_public_key

    data_dir, _ = installation
    seen: list[tuple[int, int]] = []
    asyncio.run(take_backup(data_dir, load_public_key(backup_keys.public), tmp_path / "p",
                            lambda done, total: seen.append((done, total))))
    assert seen and seen[-1][0] == seen[-1][1] > 0
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
