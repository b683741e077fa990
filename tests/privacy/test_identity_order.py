"""Attacks pairing moderators and update recipients with answers, from copies of the data dir.

Like ``tests/handlers/test_unlinkable.py`` (which attacks subscriptions), but for the two
other places that hold a raw Telegram id:

* **moderators**: an admin adds each person as a moderator right after they answered (a
  fellow organiser who just tried the survey). Ranking moderator ids and answers by any
  order the files keep must pair no better than chance; with the identity batcher switched
  off (``IdentityBatcher.shuffle``) the same attack pairs them.
* **the outbox**: an update is announced and delivered after each person answered and asked
  for updates. Rows kept after sending would tell which updates each chat received, so the
  order in which people subscribed, which is the order in which they answered. Delivered
  rows are gone (counted on their announcement), the WAL keeps none, and "Stop updates"
  leaves no byte of the chat id anywhere in the data directory.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections import Counter
from pathlib import Path

from bot.delivery import OutboxSender
from storage import DATABASE_FILE_NAME
from tests.fakebot import ChatUser, sent_texts
from tests.handlers.conftest import SURVEY_ID, BotEnv, in_survey
from tests.handlers.moderator_helpers import enrol
from tests.handlers.test_unlinkable import (
    ADMIN,
    CHANCE_LIMIT,
    CHAT_IDS,
    PEOPLE,
    answer_of,
    answer_patterns,
    best_attack,
    chat_patterns,
    copy_data_dir,
    offsets,
    order,
    paired,
)


async def answer(env: BotEnv, person: int) -> ChatUser:
    user = await in_survey(env, CHAT_IDS[person])
    for press in ("Mining", "Pay", "Done", "3", "Skip"):
        await user.press(press)
    await user.send_text(answer_of(person))
    await user.press("Submit")
    return user


def moderator_scan_order(database: Path) -> list[int]:
    """The moderators table's natural scan order, as people (the SQL attacker's order)."""
    by_id = {chat_id: person for person, chat_id in enumerate(CHAT_IDS)}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return [by_id[u] for (u,) in connection.execute("SELECT user_id FROM moderators")
                if u in by_id]


def answer_scan_order(database: Path) -> list[int]:
    by_answer = {answer_of(person): person for person in range(PEOPLE)}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT answers ->> '$.remedy' FROM responses WHERE status = 'submitted'")
        return [by_answer[a] for (a,) in rows if a in by_answer]


async def moderator_attack(env: BotEnv, tmp_path: Path, *,
                           protected: bool) -> dict[str, tuple[int, str]]:
    identity = env.services.storage.identity
    identity.shuffle = protected
    identity.interval = 3600.0  # batches come from max_pending here, not the clock
    identity.max_pending = 5
    admin = env.user(ADMIN)
    await enrol(env, admin)  # adding a moderator needs a fresh second factor
    for person, user_id in enumerate(CHAT_IDS):
        await answer(env, person)
        assert sent_texts(await admin.command("/addmod", str(user_id), "analyst"))[-1] == (
            f"{user_id} is now analyst.")
    # Waiting or written, every one of them is a moderator at once.
    assert [m.user_id for m in await env.services.storage.moderators.list()] == sorted(CHAT_IDS)
    results = {}
    data_dir = Path(env.config.data_dir)
    for when in ("running", "stopped"):
        if when == "stopped":
            await env.stop()
        files = copy_data_dir(data_dir, tmp_path / when)
        database = tmp_path / when / DATABASE_FILE_NAME
        best = best_attack(files, tmp_path / when)
        sql = paired(moderator_scan_order(database), answer_scan_order(database))
        results[when] = max(best, (sql, "sql: natural scan order of moderators"))
    assert all(pattern in files["db"] for pattern in chat_patterns().values())
    await env.start()
    return results


async def test_the_order_moderators_were_added_does_not_pair_them_with_answers(
        env: BotEnv, tmp_path: Path) -> None:
    results = await moderator_attack(env, tmp_path, protected=True)
    print("protected:", results)
    for when, (score, how) in results.items():
        assert score <= CHANCE_LIMIT, f"{when}: {how} paired {score} of {PEOPLE}"


async def test_moderators_written_at_once_are_paired_by_the_same_attack(
        env: BotEnv, tmp_path: Path) -> None:
    results = await moderator_attack(env, tmp_path, protected=False)
    print("unprotected:", results)
    assert results["running"][0] >= PEOPLE - 2, results
    assert results["stopped"][0] >= PEOPLE // 2, results


class Clock:
    """Delivery time that moves on a minute each time it is read (no per-chat pause)."""

    def __init__(self) -> None:
        self._ticks = itertools.count(1)

    def __call__(self) -> float:
        return 60.0 * next(self._ticks)


class NoSleep:
    async def __call__(self, seconds: float) -> None:
        return None


async def announce(env: BotEnv, text: str, subscribers: int) -> None:
    admin = env.user(ADMIN)
    await admin.command("/announce", SURVEY_ID)
    await admin.send_text(text)
    await admin.press(f"Send to {subscribers}")


async def announce_and_deliver(env: BotEnv, sender: OutboxSender, text: str,
                               subscribers: int) -> int:
    await announce(env, text, subscribers)
    assert env.app is not None
    return await sender.deliver_due(env.app.bot)


def chats_by_updates_received(database: Path) -> list[list[int]]:
    """People ranked by the first update the outbox says they got, and by how many."""
    by_chat = {chat_id: person for person, chat_id in enumerate(CHAT_IDS)}
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT chat_id, min(announcement_id), count(*) FROM outbox GROUP BY chat_id"
        ).fetchall()
    known = [row for row in rows if row[0] in by_chat]
    return [[by_chat[c] for c, _first, _n in sorted(known, key=lambda r: (r[1], r[0]))],
            [by_chat[c] for c, _first, _n in sorted(known, key=lambda r: (-r[2], r[0]))]]


def chats_by_occurrences(content: bytes) -> list[int]:
    """People ranked by how often their chat id's bytes occur (kept rows repeat it)."""
    counts = Counter({p: len(offsets(content, pattern)) for p, pattern in chat_patterns().items()})
    return sorted(counts, key=lambda p: (-counts[p], CHAT_IDS[p]))


async def test_delivered_updates_leave_no_trace_of_when_each_person_subscribed(
        env: BotEnv, tmp_path: Path) -> None:
    env.services.storage.identity.max_pending = 3
    sender = OutboxSender(env.services, clock=Clock(), sleep=NoSleep())
    for person in range(PEOPLE):
        user = await answer(env, person)
        await user.press("Get updates")
        assert await announce_and_deliver(env, sender, f"news {person}", person + 1) == person + 1
    storage = env.services.storage
    assert await storage.outbox.due(now=1e12) == []
    # Moderators still learn how each announcement went.
    last = (await storage.outbox.announcements([SURVEY_ID]))[0]
    assert sum((await storage.outbox.counts(last.announcement_id)).values()) == PEOPLE
    data_dir = Path(env.config.data_dir)
    files = copy_data_dir(data_dir, tmp_path / "running")
    database = tmp_path / "running" / DATABASE_FILE_NAME
    content = b"".join(files.values())
    answers = order(answer_patterns(), content, lambda at: at[0])  # the order of writing
    assert sorted(answers) == list(range(PEOPLE))
    scores = {f"outbox: {how}": paired(chats, answers)
              for how, chats in zip(("first update", "updates received"),
                                    chats_by_updates_received(database), strict=True)}
    scores["bytes: occurrences of the chat id"] = paired(chats_by_occurrences(content), answers)
    print(scores)
    assert max(scores.values()) <= CHANCE_LIMIT, scores
    assert not files.get("-wal"), "the WAL keeps pages of delivered messages"


async def test_stop_updates_leaves_no_byte_of_the_chat_id_in_the_data_directory(
        env: BotEnv, tmp_path: Path) -> None:
    env.services.storage.identity.max_pending = 3
    sender = OutboxSender(env.services, clock=Clock(), sleep=NoSleep())
    users = []
    for person in range(4):
        user = await answer(env, person)
        await user.press("Get updates")
        users.append(user)
    assert await announce_and_deliver(env, sender, "first news", 4) == 4
    await announce(env, "second news", 4)  # queued for all, not delivered yet
    assert len(await env.services.storage.outbox.due(now=1e12)) == 4
    leaving = users[0]
    await leaving.command("/updates")
    await leaving.press("Stop updates about “Workers' voice”")
    assert len(await env.services.storage.outbox.due(now=1e12)) == 3
    pattern = chat_patterns()[0]
    for when in ("running", "stopped"):
        if when == "stopped":
            await env.stop()
        files = copy_data_dir(Path(env.config.data_dir), tmp_path / when)
        assert all(pattern not in content for content in files.values()), when
        # ... while the others' ids are there: the attack looks at the right bytes.
        assert chat_patterns()[1] in b"".join(files.values())
    await env.start()
