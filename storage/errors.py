"""Exceptions raised by storage, independent of the database engine behind it.

Handlers and commands catch these names, never ``sqlite3``/``aiosqlite`` errors, so that a
PostgreSQL implementation can raise the same ones.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AlreadySubmitted",
    "DatabaseClosed",
    "InvalidTransition",
    "MigrationError",
    "MissingKeyFile",
    "NotFound",
    "SchemaTooNew",
    "SecretKeyError",
    "StorageError",
    "UnreadableImage",
    "UnsafeKeyFile",
]


class StorageError(Exception):
    """Base of every error storage raises on purpose."""


class DatabaseClosed(StorageError):
    """A read or write was attempted after :meth:`Database.close` started."""


class MigrationError(StorageError):
    """A migration could not be applied, or the recorded history contradicts the files."""


class SchemaTooNew(MigrationError):
    """The database was written by a newer consultbot; opening it could corrupt it."""


class SecretKeyError(StorageError):
    """The secret key file is missing, unsafe (readable by others) or damaged."""


class MissingKeyFile(SecretKeyError):
    """There is no key file where one must already be (a tool that never creates one).

    Attributes:
        path: Where the key was looked for.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(f"there is no key file at {path}")
        self.path = path


class UnsafeKeyFile(SecretKeyError):
    """The key file is inside the data directory or readable by group or others.

    Its message tells the operator what to change; the bot refuses to start rather than
    use a key that a backup or another local user could read.
    """


class NotFound(StorageError, LookupError):
    """The survey, version or response does not exist."""


class InvalidTransition(StorageError):
    """A life-cycle step that the current state does not allow (e.g. publish without a draft)."""


class AlreadySubmitted(StorageError):
    """The response was already submitted; a response is submitted exactly once."""


class UnreadableImage(StorageError, ValueError):
    """An image that cannot be stored because it cannot be cleaned of its metadata.

    Attributes:
        reason: ``"corrupt"`` (fails to decode, e.g. truncated), ``"too_large"`` (too many
            pixels to decode safely), ``"multi_frame"`` (animated or multi-page) or
            ``"unsupported"`` (an image format that cannot be decoded here).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
