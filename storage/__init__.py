"""Storage: the only package that speaks SQL.

Everything else uses the :class:`Storage` facade and gets frozen dataclasses back; no
database row leaves this package. The data directory holds exactly two things of ours:
``consultbot.sqlite3`` (plus its ``-wal``/``-shm`` companions while open) and
``secret.key``, which must be backed up together.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Final

from storage.database import Database, WriteStats
from storage.errors import (
    AlreadySubmitted,
    DatabaseClosed,
    InvalidTransition,
    MigrationError,
    NotFound,
    SchemaTooNew,
    SecretKeyError,
    StorageError,
)
from storage.preferences import PreferenceRepository, Preferences
from storage.responses import ResponseCounts, ResponseRecord, ResponseRepository, ResponseStatus
from storage.secret import ServerSecret
from storage.surveys import SurveyRecord, SurveyRepository, SurveySource, SurveyStatus

__all__ = [
    "DATABASE_FILE_NAME",
    "AlreadySubmitted",
    "Database",
    "DatabaseClosed",
    "InvalidTransition",
    "MigrationError",
    "NotFound",
    "PreferenceRepository",
    "Preferences",
    "ResponseCounts",
    "ResponseRecord",
    "ResponseRepository",
    "ResponseStatus",
    "SchemaTooNew",
    "SecretKeyError",
    "ServerSecret",
    "Storage",
    "StorageError",
    "SurveyRecord",
    "SurveyRepository",
    "SurveySource",
    "SurveyStatus",
    "WriteStats",
]

logger = logging.getLogger(__name__)

DATABASE_FILE_NAME: Final = "consultbot.sqlite3"


def _prepare_data_dir(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(os.stat(data_dir).st_mode)
    if mode & 0o077:
        # The files inside are 0600 anyway; an operator may have reasons for the directory.
        logger.warning("the data directory is accessible by others (mode %04o)", mode)


class Storage:
    """The database, the server secret and the repositories, opened and closed together.

    To add a repository: construct it in ``__init__`` (one line), e.g.
    ``self.reports = ReportRepository(db, secret)``.
    """

    def __init__(self, db: Database, secret: ServerSecret) -> None:
        """Use :meth:`open`; this only wires already opened parts together."""
        self.db = db
        self.secret = secret
        self.surveys = SurveyRepository(db)
        self.responses = ResponseRepository(db)
        self.preferences = PreferenceRepository(db)

    @classmethod
    async def open(cls, data_dir: Path) -> Storage:
        """Open (creating on first start) the data directory, secret key and database.

        The directory is created with mode 0700, the key file with 0600; migrations are
        applied before this returns.

        Raises:
            SecretKeyError: The key file is unsafe or damaged.
            SchemaTooNew: The database was written by a newer consultbot.
            MigrationError: A migration failed (the database is left unchanged).
        """
        data_dir = Path(data_dir)
        _prepare_data_dir(data_dir)
        secret = ServerSecret.load_or_create(data_dir)
        db = await Database.open(data_dir / DATABASE_FILE_NAME)
        return cls(db, secret)

    async def close(self) -> None:
        """Commit every write already accepted, then close the database."""
        await self.db.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
