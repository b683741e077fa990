"""Contract: a write is acknowledged only once durable, alone in its failure, never lost on close."""

from __future__ import annotations

import asyncio

from storage import Storage
from storage.errors import NotFound
from tests.storage.contract.conftest import Opened
from tests.storage.samples import make_survey

SURVEY = "labour-2026"


def key(n: int) -> str:
    return f"{n:064x}"


async def test_an_acknowledged_answer_is_seen_by_the_next_read_and_after_a_reopen(
    opener: Opened,
) -> None:
    storage = await opener.open()
    await storage.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")

    async def answer(n: int) -> None:
        await storage.responses.start(SURVEY, 1, key(n))
        await storage.responses.save_answer(SURVEY, key(n), "weeks", n, None)
        stored = await storage.responses.get(SURVEY, key(n))  # read right after the ack
        assert stored is not None and stored.answers["weeks"] == n

    await asyncio.gather(*(answer(n) for n in range(40)))
    await storage.close()

    storage = await opener.open()
    for n in range(40):
        stored = await storage.responses.get(SURVEY, key(n))
        assert stored is not None and stored.answers["weeks"] == n
    assert (await storage.responses.counts(SURVEY)).in_progress == 40


async def test_one_failing_write_does_not_fail_the_writes_sent_with_it(storage: Storage) -> None:
    await storage.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    for n in range(10):
        await storage.responses.start(SURVEY, 1, key(n))

    results = await asyncio.gather(
        *(storage.responses.save_answer(SURVEY, key(n), "weeks", n, None) for n in range(10)),
        storage.responses.save_answer(SURVEY, key(99), "weeks", 1, None),  # never started
        return_exceptions=True,
    )

    assert isinstance(results[-1], NotFound)
    assert all(r.answers["weeks"] == n for n, r in enumerate(results[:-1]))
    assert await storage.responses.get(SURVEY, key(99)) is None


async def test_close_commits_every_write_it_had_accepted(opener: Opened) -> None:
    storage = await opener.open()
    await storage.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
    pending = [asyncio.create_task(storage.responses.start(SURVEY, 1, key(n))) for n in range(30)]
    await asyncio.sleep(0)  # accepted, not yet committed

    await storage.close()

    assert all(task.result().respondent_key == key(n) for n, task in enumerate(pending))
    storage = await opener.open()
    assert (await storage.responses.counts(SURVEY)).in_progress == 30
