"""The pseudonym key lives outside the data directory: a copy of that directory never has it."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path

import pytest

from storage import Storage, move_legacy_key
from storage.errors import SecretKeyError, UnsafeKeyFile
from storage.keyfile import LEGACY_KEY_FILE_NAME, load_key
from storage.secret import ServerSecret
from tests.storage.samples import make_survey

SURVEY = "pay"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "consultbot.key"


async def make_legacy_installation(data_dir: Path) -> str:
    """An installation from before the key file: its key is ``data_dir/secret.key``."""
    storage = await Storage.open(data_dir)  # no key file: the old behaviour
    try:
        return storage.secret.participant_key(42)
    finally:
        await storage.close()


async def test_the_key_is_created_outside_and_a_copy_of_the_data_directory_has_no_key_bytes(
    tmp_path: Path, data_dir: Path, key_file: Path
) -> None:
    previous = os.umask(0)
    try:
        storage = await Storage.open(data_dir, key_file=key_file)
    finally:
        os.umask(previous)
    try:
        await storage.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
        respondent = storage.secret.respondent_key(SURVEY, 42)
        await storage.responses.start(SURVEY, 1, respondent)
        await storage.responses.save_answer(SURVEY, respondent, "weeks", 3, None)
        backup = tmp_path / "backup"
        shutil.copytree(data_dir, backup)  # while running: database, WAL and shm
    finally:
        await storage.close()

    key = key_file.read_bytes()
    assert len(key) == 32
    assert mode(key_file) == 0o600 and mode(key_file.parent) == 0o700
    assert not (data_dir / LEGACY_KEY_FILE_NAME).exists()
    shutil.copytree(data_dir, tmp_path / "backup-after-stop")
    for copy in (backup, tmp_path / "backup-after-stop"):
        files = [path for path in copy.rglob("*") if path.is_file()]
        assert files
        for path in files:
            content = path.read_bytes()
            assert key not in content and key.hex().encode() not in content, path


async def test_the_same_key_file_gives_the_same_pseudonyms_after_a_restart(
    data_dir: Path, key_file: Path
) -> None:
    async with await Storage.open(data_dir, key_file=key_file) as storage:
        first = storage.secret.participant_key(42)
    async with await Storage.open(data_dir, key_file=key_file) as storage:
        assert storage.secret.participant_key(42) == first


@pytest.mark.parametrize("inside", ["data/consultbot.key", "data/keys/k", "data/../data/k", "data"])
async def test_a_key_file_inside_the_data_directory_is_refused(
    tmp_path: Path, data_dir: Path, inside: str
) -> None:
    data_dir.mkdir()
    with pytest.raises(UnsafeKeyFile, match="inside the data directory"):
        await Storage.open(data_dir, key_file=tmp_path / inside)
    assert list(data_dir.rglob("*key*")) == []


async def test_inside_is_judged_on_resolved_paths(tmp_path: Path, data_dir: Path) -> None:
    data_dir.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(data_dir)  # the same directory under another name
    with pytest.raises(UnsafeKeyFile):
        await Storage.open(data_dir, key_file=alias / "consultbot.key")
    with pytest.raises(UnsafeKeyFile):
        await Storage.open(alias, key_file=data_dir / "consultbot.key")


@pytest.mark.parametrize("loose", [0o640, 0o604, 0o660, 0o622])
async def test_a_key_file_readable_or_writable_by_others_is_refused(
    data_dir: Path, key_file: Path, loose: int
) -> None:
    async with await Storage.open(data_dir, key_file=key_file):
        pass
    os.chmod(key_file, loose)
    with pytest.raises(UnsafeKeyFile, match=f"chmod 600 {key_file}"):
        await Storage.open(data_dir, key_file=key_file)


async def test_a_legacy_key_keeps_working_with_a_warning_saying_how_to_move_it(
    data_dir: Path, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = await make_legacy_installation(data_dir)
    legacy = data_dir / LEGACY_KEY_FILE_NAME

    with caplog.at_level(logging.WARNING, logger="storage.keyfile"):
        async with await Storage.open(data_dir, key_file=key_file) as storage:
            assert storage.secret.participant_key(42) == before

    assert not key_file.exists()  # nothing invented: the data was written with the old key
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert str(legacy) in warning and str(key_file) in warning
    assert "consultbot move-key" in warning


async def test_moving_the_legacy_key_keeps_the_pseudonyms_and_removes_the_old_file(
    data_dir: Path, key_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = await make_legacy_installation(data_dir)
    key = (data_dir / LEGACY_KEY_FILE_NAME).read_bytes()

    assert move_legacy_key(data_dir, key_file) == key_file

    assert not (data_dir / LEGACY_KEY_FILE_NAME).exists()
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]  # no temporary
    assert key_file.read_bytes() == key and mode(key_file) == 0o600
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="storage.keyfile"):
        async with await Storage.open(data_dir, key_file=key_file) as storage:
            assert storage.secret.participant_key(42) == before
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    for path in data_dir.iterdir():
        assert key not in path.read_bytes()


async def test_moving_twice_is_harmless_and_a_different_key_is_never_overwritten(
    tmp_path: Path, data_dir: Path, key_file: Path
) -> None:
    await make_legacy_installation(data_dir)
    legacy = data_dir / LEGACY_KEY_FILE_NAME
    kept = legacy.read_bytes()
    other = tmp_path / "other.key"
    other.write_bytes(b"o" * 32)
    other.chmod(0o600)

    with pytest.raises(SecretKeyError, match="different key"):
        move_legacy_key(data_dir, other)
    assert legacy.read_bytes() == kept and other.read_bytes() == b"o" * 32

    move_legacy_key(data_dir, key_file)
    with pytest.raises(SecretKeyError, match="no key to move"):
        move_legacy_key(data_dir, key_file)
    assert key_file.read_bytes() == kept


def test_moving_into_the_data_directory_is_refused(data_dir: Path) -> None:
    data_dir.mkdir()
    ServerSecret.load_or_create(data_dir)
    with pytest.raises(UnsafeKeyFile):
        move_legacy_key(data_dir, data_dir / "elsewhere.key")
    assert (data_dir / LEGACY_KEY_FILE_NAME).exists()


async def test_two_different_keys_refuse_to_start(
    data_dir: Path, key_file: Path
) -> None:
    await make_legacy_installation(data_dir)
    async with await Storage.open(data_dir / ".." / "fresh", key_file=key_file):
        pass  # another installation's key now sits at key_file
    with pytest.raises(SecretKeyError, match="two different keys"):
        await Storage.open(data_dir, key_file=key_file)


def test_tools_that_must_not_mint_a_key_get_a_clear_error(data_dir: Path, key_file: Path) -> None:
    data_dir.mkdir()
    with pytest.raises(SecretKeyError, match="no key file"):
        load_key(key_file, data_dir, create=False)
    assert not key_file.exists()
