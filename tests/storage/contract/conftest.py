"""The storage contract: what every storage backend must do, whatever engine is behind it.

Every test in this package takes its repositories from the ``storage`` fixture, which comes
from the parametrized ``backend`` fixture, and uses only the repositories' public methods
(never SQL, never files). To add a backend (PostgreSQL is planned), write an ``open``
function returning a :class:`storage.Storage` wired to it and add one entry to
:data:`BACKENDS`; it is done when this whole package passes for it.

Engine-specific promises (the bytes on disk, SQLite's WAL, the writer's batching) are
tested beside this package, in ``tests/storage/test_*.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage import Storage
from storage.audit import AuditLog
from storage.database import Database
from storage.moderators import ModeratorRepository
from storage.outbox import OutboxRepository
from storage.preferences import PreferenceRepository
from storage.reports import ReportRepository
from storage.responses import ResponseRepository
from storage.secret import ServerSecret
from storage.subscriptions import SubscriptionRepository
from storage.surveys import SurveyRepository
from tests.storage.samples import Clock

#: Opens a backend's storage in a directory of the test (for its files, if it has any),
#: with the test's clock. Called again after ``close()`` to reopen the same data.
Opener = Callable[[Path, Clock], Awaitable[Storage]]


@dataclass(frozen=True)
class Backend:
    """One storage implementation under test."""

    name: str
    open: Opener


async def _open_sqlite(directory: Path, clock: Clock) -> Storage:
    data_dir = directory / "data"
    data_dir.mkdir(mode=0o700, exist_ok=True)
    secret = ServerSecret.load(directory / "keys" / "consultbot.key", data_dir)
    db = await Database.open(data_dir / "consultbot.sqlite3")
    return Storage(db, secret, today=clock)


#: Every backend the contract runs on. A new backend is one more line here.
BACKENDS = [Backend("sqlite", _open_sqlite)]


@pytest.fixture(params=BACKENDS, ids=[backend.name for backend in BACKENDS])
def backend(request: pytest.FixtureRequest) -> Backend:
    backend: Backend = request.param
    return backend


class Opened:
    """Opens and reopens one backend's storage for one test, and closes what it opened."""

    def __init__(self, backend: Backend, directory: Path, clock: Clock) -> None:
        self._backend = backend
        self._directory = directory
        self._clock = clock
        self._open: list[Storage] = []

    async def open(self) -> Storage:
        storage = await self._backend.open(self._directory, self._clock)
        self._open.append(storage)
        return storage

    async def close_all(self) -> None:
        for storage in self._open:
            await storage.close()


@pytest.fixture
async def opener(backend: Backend, tmp_path: Path, clock: Clock) -> AsyncIterator[Opened]:
    opened = Opened(backend, tmp_path, clock)
    try:
        yield opened
    finally:
        await opened.close_all()


@pytest.fixture
async def storage(opener: Opened) -> Storage:
    return await opener.open()


@pytest.fixture
def surveys(storage: Storage) -> SurveyRepository:
    return storage.surveys


@pytest.fixture
def responses(storage: Storage) -> ResponseRepository:
    return storage.responses


@pytest.fixture
def preferences(storage: Storage) -> PreferenceRepository:
    return storage.preferences


@pytest.fixture
def moderators(storage: Storage) -> ModeratorRepository:
    return storage.moderators


@pytest.fixture
def subscriptions(storage: Storage) -> SubscriptionRepository:
    return storage.subscriptions


@pytest.fixture
def outbox(storage: Storage) -> OutboxRepository:
    return storage.outbox


@pytest.fixture
def reports(storage: Storage) -> ReportRepository:
    return storage.reports


@pytest.fixture
def audit(storage: Storage) -> AuditLog:
    return storage.audit
