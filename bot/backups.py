"""Online encrypted backups, verified restores, and the backup taken before an upgrade.

A backup holds the SQLite database only, never the server secret key: the key lives
outside the data directory and is backed up once, separately (it never changes). A
restore therefore needs the installation's key file to check the audit chain, and the
check doubles as proof that key and database belong together: pseudonyms computed with
another key would match no one.

Everything a restore writes goes to a temporary file next to the database, is checked
there, and only then renamed over it (one atomic rename, after an fsync); the database it
replaces is kept aside, renamed ``consultbot.sqlite3.before-restore-<time>``.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nacl.public import PrivateKey, PublicKey

from bot.backup_format import BackupError, decrypt_backup, encrypt_backup
from storage import DATABASE_FILE_NAME
from storage.backup import (
    DatabaseInspection,
    database_in_use,
    inspect,
    pending_migrations,
    private_temporary,
    snapshot,
)

__all__ = [
    "BACKUP_SUFFIX",
    "BackupSummary",
    "DatabaseInUse",
    "RestoreRefused",
    "RestoreSummary",
    "backup_before_migrations",
    "restore_backup",
    "take_backup",
]

BACKUP_SUFFIX = ".cbbackup"


class RestoreRefused(BackupError):
    """The decrypted database failed a check; nothing was replaced."""

    def __init__(self, message: str, inspection: DatabaseInspection | None = None) -> None:
        super().__init__(message)
        self.inspection = inspection


class DatabaseInUse(BackupError):
    """The target database is open in another process (the bot is running)."""


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What :func:`take_backup` wrote."""

    path: Path
    size: int
    schema_version: int
    submitted_responses: int
    reports: int
    #: SQLite's ``quick_check`` of the copy: anything but "ok" means the live database is
    #: damaged (the backup is still written: it may be the best copy there is).
    integrity: str = "ok"


@dataclass(frozen=True, slots=True)
class RestoreSummary:
    """What :func:`restore_backup` did."""

    database: Path
    previous: Path | None
    inspection: DatabaseInspection
    created: str


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


#: Called with (bytes done, bytes in all) while a backup is encrypted.
Progress = Callable[[int, int], None]


class _CountingReader:
    """Reports how much of a file was read, for the progress of a long backup."""

    def __init__(self, source: BinaryIO, total: int, progress: Progress) -> None:
        self._source, self._total, self._progress, self._done = source, total, progress, 0

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._done += len(data)
        self._progress(self._done, self._total)
        return data


async def take_backup(data_dir: Path, public_key: PublicKey, output: Path,
                      progress: Progress | None = None) -> BackupSummary:
    """Back up the (possibly running) installation's database, encrypted, to ``output``.

    The plaintext snapshot lives only inside the data directory (which holds the plaintext
    database anyway) and is removed afterwards; ``output`` appears atomically, complete or
    not at all, with mode 0600.

    Raises:
        FileNotFoundError: There is no database in ``data_dir``.
        FileExistsError: ``output`` exists (a backup is never overwritten).
    """
    database = data_dir / DATABASE_FILE_NAME
    if not database.is_file():
        raise FileNotFoundError(database)
    if output.exists():
        raise FileExistsError(output)
    with private_temporary(data_dir, "backup") as copy:
        snapshot(database, copy)
        found = await inspect(copy, None, integrity="quick")
        manifest: dict[str, object] = {
            "format": 1,
            "created": _now().isoformat(),
            "schema_version": max(found.schema_versions, default=0),
        }
        output.parent.mkdir(parents=True, exist_ok=True)
        with private_temporary(output.parent, output.name) as partial:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as sink, copy.open("rb") as source:
                reader: BinaryIO = source
                if progress is not None:
                    reader = _CountingReader(source, copy.stat().st_size, progress)  # type: ignore[assignment]  # duck-typed: encrypt_backup only calls read()
                encrypt_backup(reader, sink, public_key, manifest)
                sink.flush()
                os.fsync(sink.fileno())
            os.link(partial, output)  # unlike rename, never replaces an existing file
        _fsync_directory(output.parent)
    return BackupSummary(output, output.stat().st_size, max(found.schema_versions, default=0),
                         found.submitted_responses, found.reports, found.integrity)


async def restore_backup(backup: Path, private_key: PrivateKey, data_dir: Path,
                         audit_key: bytes, *, force: bool = False) -> RestoreSummary:
    """Replace the database in ``data_dir`` by the one in ``backup``, after checking it.

    Args:
        backup: The encrypted backup file.
        private_key: The backup private key.
        data_dir: Where the database goes (created if missing).
        audit_key: ``ServerSecret.derive_key("audit")`` of the installation, to verify the
            audit chain. Required: a restore never skips that check.
        force: Replace the database even though another process has it open.

    Raises:
        BackupError: The file cannot be decrypted (wrong key, damaged, cut short), a check
            failed (:class:`RestoreRefused`), or the database is in use
            (:class:`DatabaseInUse`). Nothing was replaced.
    """
    target = data_dir / DATABASE_FILE_NAME
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with private_temporary(data_dir, "restore") as candidate:
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as sink, backup.open("rb") as source:
            manifest = decrypt_backup(source, sink, private_key)
            sink.flush()
            os.fsync(sink.fileno())
        try:
            found = await inspect(candidate, audit_key)
        except Exception as error:
            raise RestoreRefused(f"the backup does not hold a readable database ({error})"
                                 ) from error
        _refuse_unless_ok(found)
        if not force and database_in_use(target):
            raise DatabaseInUse(f"{target} is open in another process: stop the bot first "
                                "(or pass --force if you are sure nothing uses it)")
        previous = _set_aside(target)
        os.replace(candidate, target)
        _fsync_directory(data_dir)
    return RestoreSummary(target, previous, found, str(manifest.get("created", "?")))


def _refuse_unless_ok(found: DatabaseInspection) -> None:
    if found.integrity != "ok":
        raise RestoreRefused(f"the database in the backup is corrupt: {found.integrity}", found)
    if not found.schema_versions:
        raise RestoreRefused("the backup holds no consultbot database", found)
    if found.unknown_versions:
        raise RestoreRefused(
            f"the backup has schema version {max(found.unknown_versions):04d}, newer than "
            f"this consultbot ({found.newest_known:04d}): upgrade consultbot first", found)
    if found.audit is not None and not found.audit.ok:
        raise RestoreRefused(
            f"the audit chain of the backup is broken after {found.audit.entries} entries "
            f"({found.audit.reason}); or the key file is not this installation's", found)


def _set_aside(target: Path) -> Path | None:
    """Rename the current database (with its WAL) out of the way; return its new name."""
    if not target.exists():
        return None
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"{target.name}.before-restore-{stamp}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = target.with_name(f"{target.name}.before-restore-{stamp}-{counter}")
    # SQLite finds a WAL by name: renaming both keeps the set-aside copy complete.
    wal = target.with_name(target.name + "-wal")
    if wal.exists():
        os.replace(wal, aside.with_name(aside.name + "-wal"))
    os.replace(target, aside)
    target.with_name(target.name + "-shm").unlink(missing_ok=True)
    return aside


async def backup_before_migrations(data_dir: Path, public_key: PublicKey,
                                   backup_dir: Path) -> BackupSummary | None:
    """Take a backup when this release has migrations the database has not applied yet.

    Call it before ``Storage.open`` runs the migrations (``consultbot upgrade`` does);
    nothing happens for a new installation or an up-to-date database.

    Returns:
        The backup written, or ``None`` when no migration is pending.
    """
    database = data_dir / DATABASE_FILE_NAME
    if not database.is_file() or not await pending_migrations(database):
        return None
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    return await take_backup(data_dir, public_key,
                             backup_dir / f"consultbot-pre-upgrade-{stamp}{BACKUP_SUFFIX}")


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
