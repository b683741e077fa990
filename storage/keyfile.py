"""The pseudonym key file: where it may live, how it is created, read and moved.

The key turns a Telegram id into a pseudonym. Whoever holds it *and* a copy of the data
directory can recompute the pseudonym of every subscriber or moderator listed there, so the
key lives **outside** the data directory (ARCHITECTURE.md, "Storage"): a backup or a copy of
the data directory must never carry it. This module refuses a key file inside the data
directory (compared as resolved paths) or readable by group or others, and creates it with
mode 0600 in a directory created with mode 0700.

Older installations kept the key as ``<data_dir>/secret.key``. They keep working, with a
warning that says how to move it; :func:`move_legacy_key` moves it safely.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from storage.errors import MissingKeyFile, SecretKeyError, UnsafeKeyFile

__all__ = [
    "KEY_SIZE",
    "LEGACY_KEY_FILE_NAME",
    "create_key_file",
    "legacy_key_file",
    "load_key",
    "move_legacy_key",
    "read_key_file",
    "refuse_inside",
]

logger = logging.getLogger(__name__)

#: Where older installations kept the key: inside the data directory.
LEGACY_KEY_FILE_NAME: Final = "secret.key"
KEY_SIZE: Final = 32


def legacy_key_file(data_dir: Path) -> Path:
    """The key's location in installations older than the separate key file."""
    return Path(data_dir) / LEGACY_KEY_FILE_NAME


def refuse_inside(key_file: Path, data_dir: Path) -> None:
    """Refuse a key file that is (or resolves to) a path inside the data directory.

    Raises:
        UnsafeKeyFile: It is inside; the message says what to do instead.
    """
    resolved_key = Path(key_file).expanduser().resolve()
    resolved_data = Path(data_dir).expanduser().resolve()
    if resolved_key == resolved_data or resolved_key.is_relative_to(resolved_data):
        raise UnsafeKeyFile(
            f"the key file {key_file} is inside the data directory {data_dir}: every backup "
            "of the data directory would carry the key that unmasks its pseudonyms. Put it "
            "elsewhere, e.g. /etc/consultbot/consultbot.key (mode 0600)"
        )


def load_key(key_file: Path | None, data_dir: Path, *, create: bool = True) -> bytes:
    """The pseudonym key for this data directory, creating it on first start.

    Args:
        key_file: Where the key lives, outside ``data_dir``. ``None`` is the transition
            for callers not configured yet: the key in the data directory is used (and
            created there), with a warning.
        data_dir: The data directory (the key must not be in it).
        create: Create the key if there is none (the bot); ``False`` for tools that must
            never mint a new key (a moderator's CLI).

    Raises:
        UnsafeKeyFile: ``key_file`` is inside the data directory or readable by others.
        SecretKeyError: The key is missing (``create=False``), damaged, or the configured
            key and a different key left in the data directory disagree.
    """
    legacy = legacy_key_file(data_dir)
    if key_file is None:
        logger.warning(
            "no key file is configured: the pseudonym key is kept in the data directory "
            "(%s), so backups of the data directory carry it; configure a key file outside "
            "the data directory", legacy)
        return _load_or_create(legacy, create)
    key_file = Path(key_file).expanduser()
    refuse_inside(key_file, data_dir)
    if _exists(legacy):
        old = read_key_file(legacy)
        if not _exists(key_file):
            logger.warning(
                "the pseudonym key is still inside the data directory (%s), so backups of the "
                "data directory carry it. Stop the bot and run `consultbot move-key` to move it "
                "to %s", legacy, key_file)
            return old
        if read_key_file(key_file) != old:
            raise SecretKeyError(
                f"two different keys: {key_file} and {legacy} (inside the data directory). "
                "Keep the one the database was written with and remove the other"
            )
        logger.warning(
            "a copy of the pseudonym key is still inside the data directory (%s): delete it, "
            "the key file %s is the one in use", legacy, key_file)
    return _load_or_create(key_file, create)


def _load_or_create(path: Path, create: bool) -> bytes:
    if not _exists(path):
        if not create:
            raise MissingKeyFile(path)
        create_key_file(path)
    return read_key_file(path)


def _exists(path: Path) -> bool:
    # lexists: a dangling symlink is "there" too, and is refused when read.
    return os.path.lexists(path)


def create_key_file(path: Path, key: bytes | None = None) -> None:
    """Write a new key (random unless given) at ``path``, atomically and privately.

    The key is written and synced under a temporary name created with mode 0600 and
    ``O_EXCL``, then hard-linked into place: the file is never readable by others, never
    half-written, and two processes starting at once end up with the same key. A missing
    parent directory is created with mode 0700.

    Raises:
        FileExistsError: Only when ``key`` is given and another file is already there.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.write(fd, secrets.token_bytes(KEY_SIZE) if key is None else key)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            if key is not None:
                raise
            # another process created it first: use theirs
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_directory(path.parent)


def read_key_file(path: Path) -> bytes:
    """Read a key file, refusing anything but a private regular file of the right size.

    Raises:
        UnsafeKeyFile: It is readable or writable by group or others.
        SecretKeyError: It cannot be opened, is a symlink or not a regular file, or has
            the wrong size.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        raise SecretKeyError(f"cannot open the key file {path}: {error}") from error
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SecretKeyError(f"{path} is not a regular file")
        if info.st_mode & 0o077:
            raise UnsafeKeyFile(
                f"{path} is accessible by group or others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`"
            )
        key = os.read(fd, KEY_SIZE + 1)
    finally:
        os.close(fd)
    if len(key) != KEY_SIZE:
        raise SecretKeyError(
            f"{path} holds {len(key)} bytes instead of {KEY_SIZE}: it is damaged or not a "
            "consultbot key; restore it from its backup"
        )
    return key


def move_legacy_key(data_dir: Path, key_file: Path) -> Path:
    """Move the key out of the data directory to ``key_file``; run it with the bot stopped.

    Safe at every step: the key is copied (mode 0600, synced, linked into place), the copy
    is read back and compared, and only then is the old file overwritten, unlinked and the
    unlink made durable. If ``key_file`` already holds the same key, only the old file is
    removed; if it holds another key, nothing is touched.

    Returns:
        ``key_file``.

    Raises:
        UnsafeKeyFile: ``key_file`` is inside the data directory.
        SecretKeyError: There is no key in the data directory, it is unsafe or damaged,
            ``key_file`` holds a different key, or the copy did not read back equal.
    """
    key_file = Path(key_file).expanduser()
    refuse_inside(key_file, data_dir)
    legacy = legacy_key_file(data_dir)
    if not _exists(legacy):
        raise SecretKeyError(f"there is no key to move at {legacy}")
    key = read_key_file(legacy)
    if not _exists(key_file):
        # If one appeared meanwhile, it is compared below like any existing file.
        with contextlib.suppress(FileExistsError):
            create_key_file(key_file, key)
    if read_key_file(key_file) != key:
        raise SecretKeyError(
            f"{key_file} holds a different key than {legacy}; nothing was moved"
        )
    _erase(legacy)
    logger.info("moved the pseudonym key out of the data directory to %s", key_file)
    return key_file


def _erase(path: Path) -> None:
    """Overwrite, unlink, and make the unlink durable."""
    # Overwriting first: on file systems that do not relocate writes, the key bytes do not
    # survive in a free block of the data directory's disk.
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.write(fd, b"\0" * KEY_SIZE)
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # A created or removed key must survive a power cut, like the data it pseudonymises.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
