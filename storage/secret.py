"""The server secret: pseudonyms for participants and keys for server-side encryption.

The secret lives in ``<data_dir>/secret.key`` (32 random bytes, mode 0600), never in the
database: someone holding only a copy of the database cannot recompute a pseudonym from a
Telegram id, so a leaked database does not say who answered what (DESIGN.md §3).

Every use of the secret is domain-separated by a label, so a respondent pseudonym, a
participant pseudonym and an encryption key can never coincide, and pseudonyms of the same
person in two surveys cannot be linked.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from storage.errors import SecretKeyError

__all__ = ["KEY_FILE_NAME", "KEY_SIZE", "ServerSecret"]

KEY_FILE_NAME: Final = "secret.key"
KEY_SIZE: Final = 32


def _fsync_directory(directory: Path) -> None:
    # The key must survive a power cut together with the data it pseudonymises.
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


class ServerSecret:
    """The secret key, and the values derived from it. Never logged, never stored in SQL."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        """Wrap raw key bytes (use :meth:`load_or_create` for the file)."""
        if len(key) != KEY_SIZE:
            raise SecretKeyError(f"the secret key must be {KEY_SIZE} bytes, not {len(key)}")
        self._key = bytes(key)

    def __repr__(self) -> str:
        return "ServerSecret(<hidden>)"

    @classmethod
    def load_or_create(cls, data_dir: Path) -> ServerSecret:
        """Load ``data_dir/secret.key``, creating it on first start.

        Creation is atomic: the key is written and synced under a temporary name created
        with mode 0600 and ``O_EXCL``, then hard-linked into place, so the file is never
        readable by others, never half-written, and two processes starting at once end up
        with the same key.

        Raises:
            SecretKeyError: The file exists but has the wrong size, is not a regular file,
                or is readable or writable by group or others.
        """
        path = Path(data_dir) / KEY_FILE_NAME
        if not path.exists():
            cls._create(path)
        return cls(cls._read(path))

    @staticmethod
    def _create(path: Path) -> None:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                os.write(fd, secrets.token_bytes(KEY_SIZE))
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process created it first: use theirs
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(path.parent)

    @staticmethod
    def _read(path: Path) -> bytes:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as error:
            raise SecretKeyError(f"cannot open the secret key file {path}: {error}") from error
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SecretKeyError(f"{path} is not a regular file")
            if info.st_mode & 0o077:
                raise SecretKeyError(
                    f"{path} is accessible by group or others (mode "
                    f"{stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`"
                )
            key = os.read(fd, KEY_SIZE + 1)
        finally:
            os.close(fd)
        if len(key) != KEY_SIZE:
            raise SecretKeyError(
                f"{path} holds {len(key)} bytes instead of {KEY_SIZE}: it is damaged or not a "
                "consultbot key; restore it from the backup taken with the database"
            )
        return key

    def _mac(self, label: bytes, *parts: bytes) -> bytes:
        # label\0part\0part: the labels and survey ids contain no NUL, so the encoding of
        # (label, parts) is unambiguous and different uses can never collide.
        return hmac.new(self._key, b"\0".join((label, *parts)), hashlib.sha256).digest()

    def respondent_key(self, survey_id: str, user_id: int) -> str:
        """The pseudonym of a Telegram user as a respondent of one survey (64 hex chars).

        Stable for the same survey (so a response can be resumed), different across surveys
        (so responses cannot be linked), not reversible without the key file.
        """
        if "\0" in survey_id:
            raise ValueError("a survey id cannot contain NUL")
        return self._mac(b"respondent", survey_id.encode(), str(int(user_id)).encode()).hex()

    def participant_key(self, user_id: int) -> str:
        """The pseudonym of a Telegram user for their preferences (64 hex chars)."""
        return self._mac(b"participant", str(int(user_id)).encode()).hex()

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose (e.g. ``"reports"``), independent of all others.

        This is HKDF-Expand (RFC 5869) with the key file as the pseudorandom key and
        ``consultbot:<purpose>`` as the info, for a single output block.
        """
        if not purpose:
            raise ValueError("a purpose is required")
        info = b"consultbot:" + purpose.encode()
        return hmac.new(self._key, info + b"\x01", hashlib.sha256).digest()
