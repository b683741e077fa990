"""Benchmark 6: a participant's next question while a large announcement drains.

consultbot's application (built as ``consultbot run`` builds it, its rate limiter kept, at
``send_rate`` 30/s) has an announcement to ``--subscribers`` people (default 10,000) in its
outbox, drained by the real outbox sender. Meanwhile ``--participants`` people (default 20,
not yet started) answer the bench survey, each pausing ``--think`` seconds (a random pause
between the two bounds, default 1 to 4 s: reading a question and tapping an answer) after
the bot has finished with one answer before sending the next. Measured per update: the time
from submitting it to the bot having made every call it makes for it (the next question is
on screen); the pauses are not part of it.

Why the pause: twenty people answering with no pause at all need more calls per second than
the whole ``send_rate`` (an answer costs a call, a submission four), so they queue behind
each other and the p99 measures their own demand, not the announcement's effect: in the
full-scale run of 2026-12-03 the p99 was 2.32 s with the announcement and 2.28 s without
one. ``--think 0 0`` still runs that case.

Three runs in one process, same participants' script:

* **lanes** — consultbot's two-lane limiter (``bot.rate_limits``): the announcement only
  gets the slots participants leave free;
* **no announcement** — the same limiter with an empty outbox (the floor);
* **first come, first served** — python-telegram-bot's ``AIORateLimiter`` in its place,
  the limiter consultbot used before (the baseline the lanes are there to beat).

Target: p99 < 1.5 s with the lanes while the announcement drains; the outbox's rate during
the run says the announcement still used the free slots.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import Result, add_common_arguments, median, percentile, write_result
from bench.survey import SURVEY_ID

FIRST_PARTICIPANT = 820_000_000
FIRST_SUBSCRIBER = 830_000_000
TARGET_P99_SECONDS = 1.5


async def _one_run(data_dir: Path, subscribers: int, participants: int, limiter: str,
                   think: tuple[float, float]) -> tuple[list[float], int, float]:
    """(per-update seconds, announcement messages sent meanwhile, seconds) of one run."""
    from telegram.ext import AIORateLimiter

    from bench.botapp import consultbot_app
    from bench.fakeapi import BenchTelegram, Participant
    from bot.delivery import OutboxSender

    telegram = BenchTelegram()
    app = consultbot_app(telegram, data_dir, keep_rate_limiter=True)
    if limiter == "fifo":
        app.bot._rate_limiter = AIORateLimiter(max_retries=3)  # the limiter before the lanes
    await app.initialize()
    try:
        storage = app.services.storage
        for chat_id in range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + subscribers):
            await storage.subscriptions.subscribe(SURVEY_ID, chat_id)
        if subscribers:
            await storage.outbox.announce(SURVEY_ID, "The ministry answered: see the site.")
        durations: list[float] = []

        class Timed(Participant):
            """A participant whose every update is timed until the bot is done with it."""

            __slots__ = ()

            async def process(self, update: dict[str, Any]) -> None:
                if think[1] > 0:
                    await asyncio.sleep(self.rng.uniform(*think))  # reading, tapping
                started = time.perf_counter()
                await super().process(update)
                durations.append(time.perf_counter() - started)

        people = [Timed(app, telegram, FIRST_PARTICIPANT + i, random.Random(i))
                  for i in range(participants)]
        sender = OutboxSender(app.services)
        sent = 0
        done = asyncio.Event()

        async def drain() -> None:
            nonlocal sent
            while not done.is_set():
                sent += await sender.deliver_due(app.bot, limit=200,
                                                 keep_going=lambda: not done.is_set())
                await asyncio.sleep(0)

        async def answer(person: Participant) -> None:
            await person.start()
            await person.answer_all()

        draining = asyncio.create_task(drain())
        try:
            await asyncio.sleep(0.5)  # the announcement is under way before anyone answers
            started = time.perf_counter()
            await asyncio.gather(*(answer(person) for person in people))
            seconds = time.perf_counter() - started
        finally:
            done.set()
            await asyncio.gather(draining, return_exceptions=True)
        return durations, sent, seconds
    finally:
        await app.shutdown()


async def run(subscribers: int, participants: int,
              think: tuple[float, float] = (1.0, 4.0)) -> Result:
    result = Result("6. announcement vs participants", {
        "subscribers": subscribers, "participants": participants, "send_rate": 30,
        "think_seconds": list(think)})
    runs: dict[str, tuple[list[float], int, float]] = {}
    for name, announced, limiter in (("lanes", subscribers, "lanes"),
                                     ("no announcement", 0, "lanes"),
                                     ("first come, first served", subscribers, "fifo")):
        with tempfile.TemporaryDirectory(prefix="consultbot-bench-ann-") as tmp:
            runs[name] = await _one_run(Path(tmp) / "data", announced, participants, limiter,
                                        think)
    for name, (durations, sent, seconds) in runs.items():
        p99 = percentile(durations, 0.99)
        if name == "lanes":
            result.add(f"next question p99 ({name})", p99, "s", f"< {TARGET_P99_SECONDS}",
                       p99 < TARGET_P99_SECONDS)
        else:
            result.add(f"next question p99 ({name})", p99, "s")
        result.add(f"next question p50 ({name})", median(durations), "s")
        if sent or name != "no announcement":
            result.add(f"announcement msg/s meanwhile ({name})", sent / seconds, "msg/s")
        result.notes.append(f"{name}: {len(durations)} updates in {seconds:.1f} s, "
                            f"{sent} announcement messages sent meanwhile")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.announcement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=10_000,
                        help="people the announcement goes to (default 10000)")
    parser.add_argument("--participants", type=int, default=20,
                        help="people answering the survey meanwhile (default 20)")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 4.0),
                        metavar=("MIN", "MAX"),
                        help="seconds each participant pauses before each update, drawn "
                             "between MIN and MAX (default 1 4; 0 0: no pause)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if not 0 <= args.think[0] <= args.think[1]:
        parser.error("--think needs 0 <= MIN <= MAX")
    result = asyncio.run(run(args.subscribers, args.participants, tuple(args.think)))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
