"""Storage: the only package that speaks SQL.

Everything else uses the :class:`Storage` facade and gets frozen dataclasses back; no
database row leaves this package. The data directory holds ``consultbot.sqlite3`` (plus its
``-wal``/``-shm`` companions while open); the pseudonym key lives in a key file outside it
(:mod:`storage.keyfile`), so a backup of the data directory never carries the key.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Final, Self

from storage.audit import AuditLog
from storage.database import Database, WriteStats
from storage.errors import (
    AlreadySubmitted,
    DatabaseClosed,
    InvalidTransition,
    MigrationError,
    MissingKeyFile,
    NotFound,
    SchemaTooNew,
    SecretKeyError,
    StorageError,
    UnsafeKeyFile,
)
from storage.follows import FollowRepository
from storage.identity_batches import IdentityBatcher
from storage.invites import InviteRepository
from storage.keyfile import move_legacy_key
from storage.moderators import ModeratorRepository
from storage.outbox import OutboxRepository
from storage.preferences import PreferenceRepository, Preferences
from storage.recommendations import RecommendationRepository
from storage.report_routing import ReportRouting
from storage.reports import ReportRepository
from storage.responses import ResponseCounts, ResponseRecord, ResponseRepository, ResponseStatus
from storage.results import ResultRepository
from storage.retention import RetentionRepository
from storage.sealing import ReportCipher, load_public_key
from storage.secret import (
    AUDIT_PURPOSE,
    DELETION_CODES_PURPOSE,
    INVITES_PURPOSE,
    PUBLICATION_PURPOSE,
    RECEIPTS_PURPOSE,
    REPORTS_PURPOSE,
    TOTP_PURPOSE,
    ServerSecret,
)
from storage.subscriptions import SubscriptionRepository
from storage.survey_records import SurveyRecord, SurveySource, SurveyStatus
from storage.surveys import SurveyRepository
from storage.tallies import TallyRepository
from storage.totp import SecondFactorRepository

__all__ = [
    "DATABASE_FILE_NAME",
    "AlreadySubmitted",
    "Database",
    "DatabaseClosed",
    "IdentityBatcher",
    "InvalidTransition",
    "MigrationError",
    "MissingKeyFile",
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
    "UnsafeKeyFile",
    "WriteStats",
    "move_legacy_key",
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

    def __init__(
        self,
        db: Database,
        secret: ServerSecret,
        report_cipher: ReportCipher | None = None,
        *,
        today: Callable[[], _dt.date] | None = None,
        identity: IdentityBatcher | None = None,
    ) -> None:
        """Use :meth:`open`; this only wires already opened parts together.

        Args:
            today: The clock (to the day) of every repository, for tests (the storage
                contract suite); by default each repository's own.
            identity: The batcher of identity-bearing writes; by default one flushing
                every minute (run it with ``identity.run()``; :meth:`close` flushes it).
        """
        clock = {} if today is None else {"today": today}
        self.db = db
        self.secret = secret
        self.identity = identity or IdentityBatcher(db)
        self.surveys = SurveyRepository(db, **clock)
        publication_key = secret.derive_key(PUBLICATION_PURPOSE)
        self.responses = ResponseRepository(
            db, **clock, deletion_key=secret.derive_key(DELETION_CODES_PURPOSE),
            on_submit=self.identity.mark_dirty, publication_key=publication_key)
        self.preferences = PreferenceRepository(db, **clock)
        cipher = report_cipher or _report_cipher(secret, None)
        self.reports = ReportRepository(db, cipher, secret.derive_key(RECEIPTS_PURPOSE), **clock)
        self.report_routing = ReportRouting(db, cipher)
        self.audit = AuditLog(db, secret.derive_key(AUDIT_PURPOSE))
        self.moderators = ModeratorRepository(db, batcher=self.identity)
        self.second_factors = SecondFactorRepository(db, secret.derive_key(TOTP_PURPOSE))
        self.invites = InviteRepository(db, secret.derive_key(INVITES_PURPOSE))
        self.retention = RetentionRepository(db)
        self.subscriptions = SubscriptionRepository(db, self.identity)
        self.follows = FollowRepository(db, self.identity)
        self.outbox = OutboxRepository(db, **clock, batcher=self.identity)
        self.results = ResultRepository(db)
        self.tallies = TallyRepository(db, publication_key)
        self.recommendations = RecommendationRepository(db, batcher=self.identity)

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        *,
        key_file: Path | None = None,
        report_key: Path | None = None,
        create_key: bool = True,
    ) -> Storage:
        """Open (creating on first start) the data directory, the pseudonym key and database.

        The directory is created with mode 0700; migrations are applied before this
        returns.

        Args:
            data_dir: The data directory (database and its WAL).
            key_file: The pseudonym key, outside ``data_dir``; created on first start with
                mode 0600 (a missing parent directory with 0700). An older installation
                whose key is still ``<data_dir>/secret.key`` keeps working, with a warning
                saying how to move it (:func:`move_legacy_key`). ``None`` is only a
                transition for callers not configured yet: the key in the data directory
                is used, with a warning.
            report_key: ``CONSULTBOT_REPORT_KEY``: reports are then sealed to that public
                key (a bad key file fails here, never silently falling back to server-key
                encryption).
            create_key: ``False`` for commands that work on an existing installation: a
                missing key is refused (:class:`MissingKeyFile`), since a new key would
                match none of the stored pseudonyms.

        Raises:
            UnsafeKeyFile: The key file is inside the data directory or readable by others.
            MissingKeyFile: There is no key file and ``create_key`` is ``False``.
            SecretKeyError: The key file is damaged, or it and a different key left in the
                data directory disagree.
            SchemaTooNew: The database was written by a newer consultbot.
            MigrationError: A migration failed (the database is left unchanged).
        """
        data_dir = Path(data_dir)
        _prepare_data_dir(data_dir)
        secret = ServerSecret.load(key_file, data_dir, create=create_key)
        report_cipher = _report_cipher(secret, report_key)  # a bad key fails before the db opens
        db = await Database.open(data_dir / DATABASE_FILE_NAME)
        # A migration may have rewritten pseudonymous rows (0009): leave no old page in the WAL.
        await db.checkpoint()
        return cls(db, secret, report_cipher)

    async def respondent_keys(self, user_id: int) -> dict[str, str]:
        """This user's respondent pseudonym in every stored survey (survey id -> key).

        For ``/mydata`` and ``/forget``: pseudonyms cannot be searched, only recomputed,
        so the user's data is found by recomputing them for each survey.
        """
        return {
            record.survey_id: self.secret.respondent_key(record.survey_id, user_id)
            for record in await self.surveys.list_all()
        }

    async def close(self) -> None:
        """Write what waits in the batcher, commit every accepted write, close the database."""
        await self.identity.flush()
        await self.db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _report_cipher(secret: ServerSecret, report_key: Path | None) -> ReportCipher:
    public_key = load_public_key(report_key) if report_key is not None else None
    return ReportCipher(server_key=secret.derive_key(REPORTS_PURPOSE), public_key=public_key)
