"""Benchmark 1: survey answers per second through the real Application, vs a bare echo bot.

consultbot's application (built as ``consultbot run`` builds it, real SQLite storage in a
temporary directory, the offline Bot API fake) processes ``--users`` participants
answering the ten-question bench survey: button presses, multi-select toggles, typed
numbers, dates and texts, and the final Submit. ``--clients`` participants are in flight at
once, each sending its next update when the bot has handled the previous one (a chat
client waits for the next question too). Updates go through the application's update
processor, so ``concurrent_updates`` limits them exactly as under ``run_polling``.

Not timed: deep link + consent (each participant reaching the first question).
Timed: the answers and the submit (12 updates per participant).

The baseline, in the same run: a bare python-telegram-bot application with the same fake
and the same concurrency that answers each press and echoes each text, fed the same
sequence of update kinds by the same number of clients.

Target: consultbot >= 0.5 x echo updates/s. p50/p99 time to acknowledge are printed (from
submitting the update to ``answerCallbackQuery`` for a press, to the first call to the chat
for a typed answer); with ``--clients`` above ``concurrent_updates`` they include the wait
for a free slot, as a real backlog would.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import Result, add_common_arguments, median, percentile, spread, write_result
from bench.fakeapi import AckClock, BenchTelegram, Participant
from bench.survey import QUESTION_KINDS

FIRST_USER_ID = 800_000_000
TARGET_RATIO = 0.5


async def _in_clients(items: Sequence[Any], clients: int,
                      work: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``work(item)`` for every item, at most ``clients`` at once (closed loop)."""
    queue = list(reversed(items))

    async def client() -> None:
        while queue:
            await work(queue.pop())

    await asyncio.gather(*(client() for _ in range(min(clients, len(items)))))


async def measure_consultbot(users: int, clients: int, data_dir: Path,
                             keep_rate_limiter: bool) -> tuple[int, float, list[float], dict[str, float]]:
    """(updates, seconds, ack samples, writer stats and CPU seconds) of the timed phase."""
    from bench.botapp import consultbot_app

    clock = AckClock()
    telegram = BenchTelegram(clock.observe)
    app = consultbot_app(telegram, data_dir, keep_rate_limiter=keep_rate_limiter)
    await app.initialize()
    try:
        rng = random.Random(7)
        people = [Participant(app, telegram, FIRST_USER_ID + i, random.Random(i))
                  for i in range(users)]
        rng.shuffle(people)
        await _in_clients(people, clients, lambda p: p.start())
        for person in people:
            person.updates = 0
            person.clock = clock
        stats_before = app.services.storage.db.stats
        calls_before = telegram.call_count
        gc.collect()
        cpu_started, started = time.process_time(), time.perf_counter()
        await _in_clients(people, clients, lambda p: p.answer_all())
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        stats_after = app.services.storage.db.stats
        counts = await app.services.storage.responses.counts("bench-consultation")
        if counts.submitted != users:
            raise AssertionError(f"{counts.submitted} of {users} responses were submitted")
        updates = sum(p.updates for p in people)
        writer = {"writes": stats_after.writes - stats_before.writes,
                  "commits": stats_after.commits - stats_before.commits, "cpu": cpu,
                  "api_calls": telegram.call_count - calls_before}
        return updates, seconds, clock.samples, writer
    finally:
        await app.shutdown()


def _kinds_per_user() -> list[str]:
    """The kinds of update one participant sends in the timed phase, in order."""
    kinds: list[str] = []
    for _question, kind in QUESTION_KINDS:
        kinds += {"button": ["press"], "multi": ["press", "press"], "text": ["text"]}[kind]
    return [*kinds, "press"]  # Submit


async def measure_echo(users: int, clients: int) -> tuple[int, float, list[float], float]:
    """(updates, seconds, ack samples, CPU seconds) of the echo bot fed the same update kinds."""
    from bench.botapp import echo_app
    from tests.fakebot import BotMessage

    clock = AckClock()
    telegram = BenchTelegram(clock.observe)
    app = echo_app(telegram)
    kinds = _kinds_per_user()
    await app.initialize()
    try:
        people = [Participant(app, telegram, FIRST_USER_ID + i, random.Random(i))
                  for i in range(users)]
        for person in people:
            person.clock = clock

        async def replay(person: Participant) -> None:
            prompt = BotMessage(telegram.next_message_id(), person.user_id, "Question?",
                                {"inline_keyboard": [[{"text": "A", "callback_data": "a|x"}]]})
            for kind in kinds:
                if kind == "press":
                    await person.process(person.callback_update("a|x|1|0|v|1|tag", prompt))
                else:
                    await person.process(person.message_update("Pay wages on time (42)"))

        calls_before = telegram.call_count
        gc.collect()
        cpu_started, started = time.process_time(), time.perf_counter()
        await _in_clients(people, clients, replay)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        # One reply to each update: the echo bot really answered everything.
        assert telegram.call_count - calls_before == sum(p.updates for p in people)
        return sum(p.updates for p in people), seconds, clock.samples, cpu
    finally:
        await app.shutdown()


async def _consultbot_once(users: int, clients: int, keep_rate_limiter: bool
                           ) -> tuple[int, float, list[float], dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="consultbot-bench-") as tmp:
        return await measure_consultbot(users, clients, Path(tmp) / "data", keep_rate_limiter)


async def run(users: int, clients: int, keep_rate_limiter: bool, repeat: int = 3) -> Result:
    """Both bots, warmed up, ``repeat`` times each in turn; the fastest run of each counts."""
    result = Result("1. update throughput", {"users": users, "clients": clients,
                                             "rate_limiter": keep_rate_limiter,
                                             "repeat": repeat})
    warm = max(2, min(users, 50))  # untimed: imports, caches, the allocator's first growth
    await _consultbot_once(warm, clients, keep_rate_limiter)
    await measure_echo(warm, clients)
    bot_runs, echo_runs = [], []
    for _ in range(max(1, repeat)):  # alternated, so drift in the machine's load hits both
        bot_runs.append(await _consultbot_once(users, clients, keep_rate_limiter))
        echo_runs.append(await measure_echo(users, clients))
    updates, seconds, acks, writer = min(bot_runs, key=lambda run: run[1] / run[0])
    echo_updates, echo_seconds, echo_acks, echo_cpu = min(echo_runs,
                                                         key=lambda run: run[1] / run[0])
    result.notes.append("consultbot runs: " + spread([r[1] for r in bot_runs])
                        + f"; echo runs: {spread([r[1] for r in echo_runs])}")
    rate, echo_rate = updates / seconds, echo_updates / echo_seconds
    from bot.application import CONCURRENT_UPDATES

    result.parameters["concurrent_updates"] = CONCURRENT_UPDATES
    result.add("consultbot updates/s", rate, "upd/s")
    result.add("echo bot updates/s (baseline)", echo_rate, "upd/s")
    ratio = rate / echo_rate
    result.add("ratio consultbot / echo", ratio, "x", f">= {TARGET_RATIO}", ratio >= TARGET_RATIO)
    result.add("consultbot ack p50", median(acks) * 1000, "ms")
    result.add("consultbot ack p99", percentile(acks, 0.99) * 1000, "ms")
    result.add("echo ack p99", percentile(echo_acks, 0.99) * 1000, "ms")
    result.add("consultbot CPU per update", writer["cpu"] / updates * 1000, "ms")
    result.add("echo CPU per update", echo_cpu / echo_updates * 1000, "ms")
    result.add("consultbot Bot API calls per update", writer["api_calls"] / updates, "calls")
    if writer["commits"]:
        result.add("writes per commit (grouping)", writer["writes"] / writer["commits"], "writes")
    result.notes.append(f"{updates} consultbot updates in {seconds:.2f} s; "
                        f"{echo_updates} echo updates in {echo_seconds:.2f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000, help="participants (default 1000)")
    parser.add_argument("--clients", type=int, default=32,
                        help="participants in flight at once (default 32)")
    parser.add_argument("--keep-rate-limiter", action="store_true",
                        help="keep consultbot's rate limiter (then Telegram's 30/s is measured)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs of each bot, after a warm-up; the fastest counts "
                             "(default 3)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.users, args.clients, args.keep_rate_limiter, args.repeat))
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
