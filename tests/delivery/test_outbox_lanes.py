"""Announcements go through the broadcast lane of a real application, behind participants.

The application is built as ``consultbot run`` builds it (its rate limiter included) on the
offline Bot API; the outbox is filled through storage and drained by the real sender.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.delivery import OutboxSender
from tests.handlers.conftest import BotEnv, survey_file
from tests.moderation_fixtures import SURVEY, seed

SUBSCRIBERS = range(9_100_001, 9_100_141)  # 140 subscribers: 3.5 s of sending at 40/s


async def started(tmp_path: Path, **settings: Any) -> BotEnv:
    environment = BotEnv(tmp_path / "data", [survey_file()], frozenset({4242}))
    environment.config = dataclasses.replace(environment.config, **settings)
    environment.users = []
    await environment.start()
    return environment


@pytest.fixture
async def busy_env(tmp_path: Path) -> AsyncIterator[BotEnv]:
    environment = await started(tmp_path, send_rate=40.0)
    try:
        yield environment
    finally:
        await environment.stop()


async def queue_announcement(env: BotEnv) -> None:
    storage = env.services.storage
    await seed(storage)
    for chat_id in SUBSCRIBERS:
        await storage.subscriptions.subscribe(SURVEY.id, chat_id)
    announcement = await storage.outbox.announce(SURVEY.id, "The ministry answered.")
    assert announcement.recipients == len(SUBSCRIBERS)


async def test_a_participant_is_answered_within_a_second_while_an_announcement_drains(
        busy_env: BotEnv) -> None:
    await queue_announcement(busy_env)
    assert busy_env.app is not None
    draining = asyncio.create_task(
        OutboxSender(busy_env.services).deliver_due(busy_env.app.bot, limit=len(SUBSCRIBERS)))
    await asyncio.sleep(0.5)
    participant = busy_env.user(7_100_001)
    asked = time.monotonic()
    calls = await participant.command("/help")
    waited = time.monotonic() - asked
    assert calls, "the participant got no answer"
    assert waited < 1.0  # first come, first served would take ~3 s here
    announcements = [c for c in busy_env.telegram.calls if c.method == "sendMessage"
                     and c.chat_id in SUBSCRIBERS]
    assert len(announcements) < len(SUBSCRIBERS)  # the announcement was still draining
    assert await draining == len(SUBSCRIBERS)  # and it all goes out afterwards


async def test_paid_broadcasts_are_asked_for_only_when_the_operator_allows_them(
        tmp_path: Path) -> None:
    for allowed in (False, True):
        env = await started(tmp_path / str(allowed), allow_paid_broadcast=allowed)
        try:
            await queue_announcement(env)
            assert env.app is not None
            started_at = time.monotonic()
            sent = await OutboxSender(env.services).deliver_due(env.app.bot, limit=60)
            assert sent == 60
            calls = [c for c in env.telegram.calls if c.chat_id in SUBSCRIBERS]
            assert [c.params.get("allow_paid_broadcast") for c in calls] == [allowed or None] * 60
            if allowed:  # 1,000/s instead of 30/s: 60 messages need well under 2 s
                assert time.monotonic() - started_at < 1.5
        finally:
            await env.stop()


async def test_the_backlog_metric_follows_the_outbox(tmp_path: Path) -> None:
    from bot.health import Metrics

    env = await started(tmp_path, send_rate=200.0)
    try:
        await queue_announcement(env)
        assert env.app is not None
        metrics = Metrics()
        env.services.metrics = metrics
        await OutboxSender(env.services).deliver_due(env.app.bot, limit=40)
        waiting = await env.services.storage.outbox.pending_count()
        assert waiting == len(SUBSCRIBERS) - 40
        scrape = metrics.exposition().decode()
        assert f"consultbot_outbox_backlog {float(waiting)}" in scrape
        assert "consultbot_messages_sent_total 40.0" in scrape
    finally:
        await env.stop()
