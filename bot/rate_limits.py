"""Telegram's sending limits, with participants' replies ahead of broadcasts.

Telegram lets a bot send about 30 messages per second in all (more is answered with
``429 Too Many Requests``), and up to 1,000 per second for broadcasts the operator pays for
(``allow_paid_broadcast``). python-telegram-bot's ``AIORateLimiter`` keeps to the first limit
but serves requests in arrival order, so an announcement to 50,000 subscribers queued ahead
of a participant's next question would delay it by minutes. :class:`PriorityRateLimiter`
keeps two lanes instead:

* **interactive** — everything the bot says in answer to someone (the default lane);
* **broadcast** — outbox messages (``rate_limit_args=Lane.BROADCAST``), which only get the
  sending slots no interactive request is waiting for.

Slots are handed out at ``rate`` per second, evenly spaced, to the oldest waiting interactive
request first; so an interactive request waits at most for the slot in progress plus the
interactive requests ahead of it, however many broadcasts wait. Paid broadcasts use their
own allowance (they do not count against the 30 per second) and are spaced at
:data:`PAID_BROADCASTS_PER_SECOND`. Requests without a chat (``answerCallbackQuery``,
``getUpdates``) are not limited, as Telegram does not count them. Group chats (negative ids)
also keep Telegram's 20 messages per minute per group.

When Telegram still answers ``RetryAfter``, every lane pauses for as long as it asks;
interactive requests are then retried (up to ``max_retries``), broadcasts are not: the
outbox records when to try again in the database, where a restart does not forget it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import enum
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

__all__ = [
    "DEFAULT_SEND_RATE",
    "PAID_BROADCASTS_PER_SECOND",
    "Lane",
    "PriorityRateLimiter",
]

logger = logging.getLogger(__name__)

#: Telegram's free limit, messages per second for the whole bot.
DEFAULT_SEND_RATE = 30.0
#: Telegram's limit for paid broadcasts (``allow_paid_broadcast``), messages per second.
PAID_BROADCASTS_PER_SECOND = 1000.0
#: Telegram's limit per group chat: 20 messages per minute.
GROUP_MESSAGES_PER_MINUTE = 20
#: Seconds added to Telegram's ``retry_after``, as python-telegram-bot does.
RETRY_MARGIN = 0.1

JSONResult = Any
Callback = Callable[..., Coroutine[Any, Any, JSONResult]]


class Lane(enum.Enum):
    """Which queue a request waits in; pass as ``rate_limit_args`` to a bot method."""

    INTERACTIVE = "interactive"
    BROADCAST = "broadcast"


class _Slots:
    """Evenly spaced sending slots at ``rate`` per second, interactive waiters first.

    Waiters are futures in two FIFO queues; one dispatcher task resolves them one slot at a
    time. The dispatcher exits when both queues are empty, so an idle bot runs no task.
    """

    __slots__ = ("_clock", "_dispatcher", "_interval", "_next_slot", "_paused_until",
                 "_waiting")

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._waiting: dict[Lane, deque[asyncio.Future[None]]] = {lane: deque() for lane in Lane}
        self._dispatcher: asyncio.Task[None] | None = None

    def waiting(self, lane: Lane) -> int:
        return sum(1 for future in self._waiting[lane] if not future.done())

    def pause_until(self, moment: float) -> None:
        self._paused_until = max(self._paused_until, moment)

    async def acquire(self, lane: Lane) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[lane].append(future)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="rate-limit slots")
        await future  # cancelling the request leaves a done future, which the dispatcher skips

    def _next_waiter(self) -> asyncio.Future[None] | None:
        for lane in Lane:  # INTERACTIVE first: enum order is priority order
            queue = self._waiting[lane]
            while queue and queue[0].done():
                queue.popleft()
            if queue:
                return queue.popleft()
        return None

    async def _dispatch(self) -> None:
        while True:
            now = self._clock()
            ready_at = max(self._next_slot, self._paused_until)
            if now < ready_at:
                # Sleep first, choose after: an interactive request arriving meanwhile goes
                # ahead of the broadcasts that were already waiting.
                await asyncio.sleep(ready_at - now)
                continue
            waiter = self._next_waiter()
            if waiter is None:
                return
            waiter.set_result(None)
            self._next_slot = max(self._next_slot, now) + self._interval

    async def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
            self._dispatcher = None


class PriorityRateLimiter(BaseRateLimiter[Lane]):
    """Keeps to Telegram's limits with interactive replies ahead of broadcasts (module doc).

    Args:
        rate: Free messages per second for the whole bot (``send_rate``).
        max_retries: How often an interactive request is retried after ``RetryAfter``.
        clock: Monotonic seconds; replaceable in tests.
    """

    __slots__ = ("_clock", "_free", "_groups", "_max_retries", "_paid")

    def __init__(self, rate: float = DEFAULT_SEND_RATE, max_retries: int = 3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._clock = clock
        self._free = _Slots(rate, clock)
        self._paid = _Slots(PAID_BROADCASTS_PER_SECOND, clock)
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._max_retries = max_retries

    def waiting(self, lane: Lane) -> int:
        """Requests of ``lane`` waiting for a free slot now (for tests and metrics)."""
        return self._free.waiting(lane)

    async def initialize(self) -> None:
        """Nothing to open: slots are made on first use."""

    async def shutdown(self) -> None:
        """Stop handing out slots (requests still waiting are cancelled with the loop)."""
        await self._free.close()
        await self._paid.close()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> JSONResult:
        """Wait for a slot in the request's lane, then send; see :class:`BaseRateLimiter`."""
        lane = rate_limit_args if isinstance(rate_limit_args, Lane) else Lane.INTERACTIVE
        chat_id = data.get("chat_id")
        paid = bool(data.get("allow_paid_broadcast"))
        retries = self._max_retries if lane is Lane.INTERACTIVE else 0
        for attempt in range(retries + 1):
            if chat_id is not None:
                await (self._paid if paid else self._free).acquire(lane)
            try:
                async with self._group_limit(chat_id):
                    return await callback(*args, **kwargs)
            except RetryAfter as error:
                delay = retry_seconds(error) + RETRY_MARGIN
                self._free.pause_until(self._clock() + delay)
                self._paid.pause_until(self._clock() + delay)
                if attempt == retries:
                    raise
                logger.info("Telegram asked to slow down (%s); retrying in %.1f s",
                            endpoint, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _group_limit(self, chat_id: object) -> contextlib.AbstractAsyncContextManager[Any]:
        group: int | str | None = None
        if isinstance(chat_id, str):
            group = chat_id  # @channelusername
        elif isinstance(chat_id, int) and chat_id < 0:
            group = chat_id
        if group is None:
            return contextlib.nullcontext()
        if len(self._groups) > 512:  # forget limiters whose minute has fully passed
            self._groups = {key: limiter for key, limiter in self._groups.items()
                            if not limiter.has_capacity(limiter.max_rate)}
        if group not in self._groups:
            self._groups[group] = AsyncLimiter(GROUP_MESSAGES_PER_MINUTE, 60)
        return self._groups[group]


def retry_seconds(error: RetryAfter) -> float:
    """Seconds Telegram asked to wait, as a float (ptb 22 is moving it to a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, _dt.timedelta) else float(value)
