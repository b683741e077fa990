"""Per-user state leaves memory and disk on time: limiters, subscriptions, report drafts."""

from __future__ import annotations

import struct
from pathlib import Path

from bot.limits import GuessThrottle, ReportLimits, SlidingWindow
from storage import DATABASE_FILE_NAME
from tests.handlers.conftest import BotEnv, consented_user, in_survey, report_drafts
from tests.handlers.report_helpers import start_report

CHAT = 5_123_456_789


def chat_bytes(chat_id: int) -> list[bytes]:
    """A chat id as it could appear in a file: as text or as SQLite's 6-byte integer."""
    return [str(chat_id).encode(), struct.pack(">q", chat_id)[2:]]


def on_disk(env: BotEnv) -> bytes:
    data_dir = Path(env.config.data_dir)
    return b"".join(p.read_bytes() for p in data_dir.glob(DATABASE_FILE_NAME + "*"))


async def submit_and_follow(env: BotEnv, chat_id: int = CHAT) -> None:
    user = await in_survey(env, chat_id)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await user.press("3")
    await user.press("Skip")
    await user.send_text("Inspections")
    await user.press("Submit")
    await user.press("Get updates")


async def test_a_subscription_waits_in_memory_and_is_shown_at_once(env: BotEnv) -> None:
    env.services.storage.identity.max_pending = 100
    await submit_and_follow(env)
    subscriptions = env.services.storage.subscriptions
    assert await subscriptions.surveys_of(CHAT) == ["workers-voice"]  # the delay is invisible
    assert await subscriptions.count("workers-voice") == 1
    assert not any(p in on_disk(env) for p in chat_bytes(CHAT))  # not written yet
    await env.services.storage.identity.flush()
    assert any(p in on_disk(env) for p in chat_bytes(CHAT))


async def test_stop_updates_deletes_the_chat_id_at_once(env: BotEnv) -> None:
    storage = env.services.storage
    await submit_and_follow(env)
    await storage.identity.flush()  # written, and an update is waiting for it
    await storage.outbox.announce("workers-voice", "The report is out.")
    assert any(p in on_disk(env) for p in chat_bytes(CHAT))
    user = env.users[-1]
    await user.command("/updates")
    await user.press(user.message_with_button(
        "Stop updates about “Workers' voice”").button_labels()[0])
    assert await storage.subscriptions.surveys_of(CHAT) == []
    # Gone from the subscription, the outbox, the WAL and the freed pages: no batch delay.
    assert not any(p in on_disk(env) for p in chat_bytes(CHAT))


async def test_stop_updates_also_drops_a_subscription_still_waiting(env: BotEnv) -> None:
    storage = env.services.storage
    storage.identity.max_pending = 100
    await submit_and_follow(env)
    user = env.users[-1]
    await user.command("/updates")
    await user.press(user.message_with_button(
        "Stop updates about “Workers' voice”").button_labels()[0])
    assert storage.identity.pending() == []
    await storage.identity.flush()
    assert not any(p in on_disk(env) for p in chat_bytes(CHAT))


async def test_forget_clears_limiters_and_waiting_subscriptions(env: BotEnv) -> None:
    storage, limits = env.services.storage, env.services.report_limits
    storage.identity.max_pending = 100
    await submit_and_follow(env)
    user = env.users[-1]
    await user.command("/mydata", "0000-0000-0000-0000")  # a wrong deletion code is counted
    assert len(limits.guesses) == 1
    await start_report(user)
    await user.send_text("a report")
    await user.press("Review")
    await user.press("Send report")
    assert len(limits.filings) == 1
    await user.command("/forget")
    await user.press("Yes, erase everything")
    # The report's filing time goes; the wrong code stays until it expires, so /forget
    # is no way round the throttle (it says nothing about any report).
    assert (len(limits.guesses), len(limits.filings), len(limits.additions)) == (1, 0, 0)
    assert storage.identity.pending() == []
    assert not any(p in on_disk(env) for p in chat_bytes(CHAT))


async def test_report_plaintext_leaves_memory_once_sealed(env: BotEnv) -> None:
    user = await consented_user(env, 7_300_001)
    await start_report(user)
    await user.send_text("the words of the whistleblower")
    await user.press("Review")
    (draft,) = report_drafts(env).values()
    assert draft.parts == ["the words of the whistleblower"]
    await user.press("Send report")
    assert report_drafts(env) == {}
    assert (draft.parts, draft.attachments, draft.category) == ([], [], None)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiters_forget_people_who_never_come_back() -> None:
    clock = Clock()
    limits = ReportLimits(filings=SlidingWindow(10, 3600.0, clock),
                          guesses=GuessThrottle(clock=clock),
                          additions=SlidingWindow(30, 3600.0, clock))
    for key in ("a", "b"):
        limits.filings.record(key)
        limits.guesses.failed(key)
        limits.additions.record(key)
    clock.now += 1800.0
    limits.sweep()
    assert (len(limits.filings), len(limits.guesses), len(limits.additions)) == (2, 2, 2)
    limits.forget("a")
    # The wrong codes stay (they expire below): /forget must not reset the throttle.
    assert (len(limits.filings), len(limits.guesses), len(limits.additions)) == (1, 2, 1)
    clock.now += 1801.0
    limits.sweep()  # "b" never came back: swept, not kept until it does
    assert (len(limits.filings), len(limits.guesses), len(limits.additions)) == (0, 0, 0)
