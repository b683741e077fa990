"""The two-lane rate limiter: participants' replies go ahead of broadcasts, at ``send_rate``.

Timings run on the real loop at high rates (50-200 slots per second), with bounds an order of
magnitude away from what a limiter without priority would give, so a loaded machine does not
make them flaky.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import warnings
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.rate_limits import Lane, PriorityRateLimiter


class Recorder:
    """A Bot API call stand-in: notes when each request was actually sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, float]] = []

    def call(self, name: str) -> Any:
        async def send() -> dict[str, Any]:
            self.sent.append((name, time.monotonic()))
            return {"ok": True}
        return send


async def request(limiter: PriorityRateLimiter, recorder: Recorder, name: str,
                  lane: Lane | None = None, *, chat_id: int | None = 1,
                  paid: bool = False) -> None:
    data: dict[str, Any] = {} if chat_id is None else {"chat_id": chat_id}
    if paid:
        data["allow_paid_broadcast"] = True
    await limiter.process_request(recorder.call(name), (), {}, "sendMessage", data, lane)


async def test_a_flood_of_broadcasts_does_not_delay_an_interactive_reply() -> None:
    rate = 50.0
    limiter = PriorityRateLimiter(rate)
    recorder = Recorder()
    flood = [asyncio.create_task(request(limiter, recorder, f"b{n}", Lane.BROADCAST, chat_id=n))
             for n in range(1, 501)]  # 10 s of sending at 50/s
    await asyncio.sleep(0.2)
    assert limiter.waiting(Lane.BROADCAST) > 450
    asked = time.monotonic()
    await request(limiter, recorder, "reply", chat_id=9999)
    waited = time.monotonic() - asked
    # Without lanes it would wait for ~490 broadcasts (~9.8 s); with them, one slot (20 ms).
    assert waited < 0.5
    assert limiter.waiting(Lane.BROADCAST) > 400  # the flood is still queued behind it
    for task in flood:
        task.cancel()
    await asyncio.gather(*flood, return_exceptions=True)
    await limiter.shutdown()


async def test_interactive_requests_stay_in_order_and_all_go_before_waiting_broadcasts() -> None:
    limiter = PriorityRateLimiter(100.0)
    recorder = Recorder()
    broadcasts = [asyncio.create_task(request(limiter, recorder, f"b{n}", Lane.BROADCAST))
                  for n in range(20)]
    await asyncio.sleep(0.03)
    replies = [asyncio.create_task(request(limiter, recorder, f"r{n}")) for n in range(5)]
    await asyncio.gather(*broadcasts, *replies)
    names = [name for name, _ in recorder.sent]
    first_reply = names.index("r0")
    assert names[first_reply:first_reply + 5] == ["r0", "r1", "r2", "r3", "r4"]
    assert names.index("b19") > first_reply + 4  # broadcasts resume after the replies
    await limiter.shutdown()


async def test_sends_are_spaced_at_the_configured_rate() -> None:
    rate = 100.0
    limiter = PriorityRateLimiter(rate)
    recorder = Recorder()
    await asyncio.gather(*(request(limiter, recorder, f"m{n}", Lane.BROADCAST)
                           for n in range(41)))
    times = [moment for _, moment in recorder.sent]
    # 41 sends are 40 intervals of 10 ms apart at least (never faster than the rate).
    assert times[-1] - times[0] >= 40 / rate - 0.005
    await limiter.shutdown()


async def test_calls_without_a_chat_and_paid_broadcasts_do_not_use_free_slots() -> None:
    limiter = PriorityRateLimiter(2.0)  # one free slot every 0.5 s
    recorder = Recorder()
    started = time.monotonic()
    await request(limiter, recorder, "first")  # takes the free slot now
    await asyncio.gather(
        *(request(limiter, recorder, f"answer{n}", chat_id=None) for n in range(20)),
        *(request(limiter, recorder, f"paid{n}", Lane.BROADCAST, paid=True) for n in range(20)))
    # 20 unlimited calls and 20 paid broadcasts (1,000/s) do not wait for the 2/s free slots.
    assert time.monotonic() - started < 0.3
    assert len(recorder.sent) == 41
    await limiter.shutdown()


def flood_error(seconds: int) -> RetryAfter:
    with warnings.catch_warnings():  # ptb 22 warns about its own constructor
        warnings.simplefilter("ignore")
        return RetryAfter(dt.timedelta(seconds=seconds))


async def test_retry_after_retries_replies_but_hands_broadcasts_back() -> None:
    limiter = PriorityRateLimiter(100.0, max_retries=2)
    attempts: list[str] = []

    def once_flooded(name: str) -> Any:
        async def send() -> dict[str, Any]:
            attempts.append(name)
            if attempts.count(name) == 1:
                raise flood_error(0)
            return {"ok": True}
        return send

    data = {"chat_id": 5}
    await limiter.process_request(once_flooded("reply"), (), {}, "sendMessage", data, None)
    assert attempts == ["reply", "reply"]
    with pytest.raises(RetryAfter):  # the outbox reschedules it in the database
        await limiter.process_request(once_flooded("news"), (), {}, "sendMessage", data,
                                      Lane.BROADCAST)
    assert attempts.count("news") == 1
    await limiter.shutdown()


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        PriorityRateLimiter(0)
