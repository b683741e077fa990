"""SQLite promises about moderators, subscriptions and results (behaviour: contract/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Storage


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "data") as opened:
        yield opened


async def test_no_raw_id_is_stored_next_to_a_date_or_a_response(storage: Storage) -> None:
    await storage.subscriptions.subscribe("s1", 123456789)

    async def columns(connection):
        rows = await connection.execute_fetchall("PRAGMA table_info(subscriptions)")
        return [r[1] for r in rows]

    # The subscriber's reading language (migration 0005) is the only addition allowed:
    # no date, no respondent key, nothing that points at a response.
    assert await storage.db.read(columns) == ["survey_id", "chat_id", "language"]


async def test_submitted_batches_have_answers_but_no_pseudonym(storage: Storage) -> None:
    from tests.moderation_fixtures import SURVEY, TWELVE, seed

    await seed(storage, in_progress=3)
    batches = [batch async for batch in storage.results.submitted_batches(SURVEY.id,
                                                                          batch_size=5)]
    assert [len(b) for b in batches] == [5, 5, 2]
    rows = [row for batch in batches for row in batch]
    assert sorted(r.answers["region"] for r in rows) == sorted(a["region"] for a in TWELVE)
    assert all(r.version == 1 and r.language == "en" and r.submitted_on for r in rows)
    assert not any(hasattr(r, "respondent_key") for r in rows)
    with pytest.raises(ValueError):
        [b async for b in storage.results.submitted_batches(SURVEY.id, batch_size=0)]
