"""Fixtures shared by the storage tests: a migrated database and a settable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import Database
from tests.storage.samples import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.date(2026, 3, 14))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "consultbot.sqlite3")
    try:
        yield db
    finally:
        await db.close()
