"""Benchmark 4: memory of the bot with many surveys in progress and many active users.

Storage holds ``--in-progress`` responses stopped somewhere in the ten-question survey
(generated in a separate process, :mod:`bench.dataset`). Then, in this process, consultbot's
real Application (offline Bot API fake, ``concurrent_updates`` as configured) is driven by
``--active`` distinct users, each of them one of those respondents coming back: the deep
link, the privacy notice ("I agree"), "continue where you left off", and one more answer.
They all stay mid-survey, so the bot holds whatever it keeps per active user.

Reported: resident memory (VmRSS) after start-up, after all users were active, and the peak
(VmHWM), of the process that runs the bot. The fake forgets each chat once its user is done,
so its own bookkeeping does not count. Target: < 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import random
import tempfile
import time
from pathlib import Path

from bench.common import Result, add_common_arguments, rss_mb, write_result
from bench.dataset import generate, respondent_user_id

TARGET_MB = 300.0


def _generate(data_dir: Path, in_progress: int) -> None:
    asyncio.run(generate(data_dir, in_progress=in_progress))


async def drive(data_dir: Path, active: int, clients: int) -> dict[str, float]:
    from bench.botapp import consultbot_app
    from bench.fakeapi import BenchTelegram, Participant

    telegram = BenchTelegram()
    app = consultbot_app(telegram, data_dir)
    await app.initialize()
    try:
        gc.collect()
        figures = {"rss_started": rss_mb()}
        people = [Participant(app, telegram, respondent_user_id(n), random.Random(n),
                              language_code="fr" if n % 3 == 0 else "en")
                  for n in range(active)]
        pending = list(reversed(people))
        started = time.perf_counter()

        async def client() -> None:
            while pending:
                person = pending.pop()
                await person.start()
                await person.answer_current()
                telegram.forget_chat(person.user_id)

        await asyncio.gather(*(client() for _ in range(clients)))
        figures["seconds"] = time.perf_counter() - started
        figures["updates"] = sum(p.updates for p in people)
        figures["active_in_memory"] = len(list(app.services.sessions.keys()))
        del people
        gc.collect()
        figures["rss_active"] = rss_mb()
        counts = await app.services.storage.responses.counts("bench-consultation")
        figures["in_progress"] = counts.in_progress
        return figures
    finally:
        await app.shutdown()


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(in_progress: int, active: int, clients: int) -> Result:
    result = Result("4. many open conversations", {"in_progress": in_progress, "active": active,
                                                   "clients": clients})
    with tempfile.TemporaryDirectory(prefix="consultbot-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        # A separate process, so generating does not count in this process's peak memory.
        process = multiprocessing.get_context("spawn").Process(
            target=_generate, args=(data_dir, in_progress))
        process.start()
        process.join()
        if process.exitcode != 0:
            raise RuntimeError("generating the responses failed")
        figures = asyncio.run(drive(data_dir, active, clients))
    result.add("RSS after start-up", figures["rss_started"], "MB")
    result.add("RSS with all users active", figures["rss_active"], "MB", f"< {TARGET_MB:g}",
               figures["rss_active"] < TARGET_MB)
    result.add("peak RSS (VmHWM)", peak_mb(), "MB", f"< {TARGET_MB:g}", peak_mb() < TARGET_MB)
    result.add("users in the bot's active-survey map", figures["active_in_memory"], "users")
    result.add("responses in progress in storage", figures["in_progress"], "responses")
    result.add("updates/s while activating users", figures["updates"] / figures["seconds"], "upd/s")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.open_conversations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--in-progress", type=int, default=100_000,
                        help="responses in progress in storage (default 100000)")
    parser.add_argument("--active", type=int, default=10_000,
                        help="distinct users driven through the bot (default 10000)")
    parser.add_argument("--clients", type=int, default=64, help="users in flight at once (default 64)")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.active > args.in_progress:
        parser.error("--active must not exceed --in-progress (active users resume responses)")
    result = run(args.in_progress, args.active, args.clients)
    write_result(result, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
