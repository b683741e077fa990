"""Deletion codes of submitted responses are stored as a fast salted hash, never the code."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Storage
from storage.receipts import FAST_PREFIX
from tests.storage.test_results_sql import SURVEY

KEY = "a" * 64


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "data") as opened:
        await opened.surveys.save_draft(SURVEY, b"source", "survey.yaml")
        await opened.surveys.publish(SURVEY.id)
        yield opened


async def test_the_stored_deletion_code_is_a_fast_salted_hash_that_finds_the_answers(
        storage: Storage) -> None:
    record = await storage.surveys.published(SURVEY.id)
    assert record is not None
    await storage.responses.start(SURVEY.id, record.version, KEY)
    submitted = await storage.responses.submit(SURVEY.id, KEY)
    code = submitted.deletion_code
    assert code is not None

    def stored(connection: sqlite3.Connection) -> list[tuple[bytes, bytes]]:
        return connection.execute(
            "SELECT deletion_hash, deletion_salt FROM responses WHERE status = 'submitted'"
        ).fetchall()

    [(digest, salt)] = await storage.db.write(stored)
    assert digest.startswith(FAST_PREFIX) and len(salt) == 16
    assert code.encode() not in digest + salt
    assert await storage.responses.find_by_code("0" * 16) is None
    found = await storage.responses.find_by_code(code.lower())
    assert found is not None and found.respondent_key == submitted.respondent_key
