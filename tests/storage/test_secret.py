"""The secret key file and the pseudonyms derived from it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage import Storage
from storage.errors import SecretKeyError
from storage.secret import KEY_FILE_NAME, ServerSecret


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_key_file_is_created_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        ServerSecret.load_or_create(tmp_path)
    finally:
        os.umask(previous)
    key_file = tmp_path / KEY_FILE_NAME
    assert mode(key_file) == 0o600
    assert key_file.stat().st_size == 32
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]  # no temporary left over


def test_key_is_stable_across_restarts(tmp_path: Path) -> None:
    first = ServerSecret.load_or_create(tmp_path)
    second = ServerSecret.load_or_create(tmp_path)
    assert first.respondent_key("s", 1) == second.respondent_key("s", 1)
    assert first.participant_key(1) == second.participant_key(1)
    assert first.derive_key("reports") == second.derive_key("reports")


def test_different_data_directories_give_different_pseudonyms(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = ServerSecret.load_or_create(tmp_path / "a")
    two = ServerSecret.load_or_create(tmp_path / "b")
    assert one.respondent_key("s", 1) != two.respondent_key("s", 1)


def test_pseudonyms_are_unlinkable_across_surveys_and_purposes(tmp_path: Path) -> None:
    secret = ServerSecret.load_or_create(tmp_path)
    user = 123456789
    keys = {
        secret.respondent_key("survey-a", user),
        secret.respondent_key("survey-b", user),
        secret.respondent_key("survey-a", user + 1),
        secret.participant_key(user),
        # An ambiguous encoding would make these two equal.
        secret.respondent_key("survey-a1", 23),
        secret.respondent_key("survey-a", 123),
    }
    assert len(keys) == 6
    assert all(len(key) == 64 and int(key, 16) >= 0 for key in keys)
    assert str(user) not in "".join(keys)


def test_derived_keys_are_32_bytes_and_purpose_specific(tmp_path: Path) -> None:
    secret = ServerSecret.load_or_create(tmp_path)
    assert len(secret.derive_key("reports")) == 32
    assert secret.derive_key("reports") != secret.derive_key("receipts")
    with pytest.raises(ValueError):
        secret.derive_key("")


def test_secret_is_not_shown_in_repr(tmp_path: Path) -> None:
    secret = ServerSecret.load_or_create(tmp_path)
    key = (tmp_path / KEY_FILE_NAME).read_bytes()
    assert key.hex() not in repr(secret) and "hidden" in repr(secret)


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    ServerSecret.load_or_create(tmp_path)
    os.chmod(tmp_path / KEY_FILE_NAME, 0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        ServerSecret.load_or_create(tmp_path)


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_a_key_file_of_the_wrong_size_is_refused(tmp_path: Path, size: int) -> None:
    key_file = tmp_path / KEY_FILE_NAME
    key_file.write_bytes(b"k" * size)
    os.chmod(key_file, 0o600)
    with pytest.raises(SecretKeyError, match="bytes"):
        ServerSecret.load_or_create(tmp_path)


def test_a_symlinked_key_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    ServerSecret.load_or_create(target)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / KEY_FILE_NAME).symlink_to(target / KEY_FILE_NAME)
    with pytest.raises(SecretKeyError):
        ServerSecret.load_or_create(tmp_path / "data")


async def test_storage_creates_a_private_data_directory_without_the_key_in_the_database(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    storage = await Storage.open(data_dir)
    await storage.close()

    assert mode(data_dir) == 0o700
    assert mode(data_dir / KEY_FILE_NAME) == 0o600
    key = (data_dir / KEY_FILE_NAME).read_bytes()
    database = (data_dir / "consultbot.sqlite3").read_bytes()
    assert key not in database and key.hex().encode() not in database

    reopened = await Storage.open(data_dir)
    try:
        assert reopened.secret.participant_key(5) == ServerSecret(key).participant_key(5)
    finally:
        await reopened.close()
