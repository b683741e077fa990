"""An orderly stop starts no new scheduled job, so none is cancelled half-way.

python-telegram-bot's ``JobQueue.stop`` waits for the jobs running when it is called, then
shuts apscheduler down, which cancels any job a trigger started during that wait and logs
an error with its traceback (seen once in CI, from ``test_run_under_load``). ``consultbot
run`` pauses the scheduler when its orderly stop begins (``bot.serving``); here a slow
job holds that wait open while another falls due during it, through a real application on
the offline Bot API fake.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot import serving
from tests.handlers.conftest import BotEnv, env  # noqa: F401 - the fixture


async def test_an_orderly_stop_leaves_no_cancelled_job(
        env: BotEnv, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811 - the fixture
    app = env.app
    assert app is not None and app.job_queue is not None
    slow_started = asyncio.Event()
    late_runs = 0

    async def slow(_: Any) -> None:
        slow_started.set()
        await asyncio.sleep(0.8)  # the stop waits for this one

    async def late(_: Any) -> None:
        nonlocal late_runs
        late_runs += 1
        await asyncio.sleep(2)

    await app.start()
    app.job_queue.run_once(slow, 0)
    await slow_started.wait()
    # Due while the stop waits for the slow job: started then, it would be cancelled.
    app.job_queue.run_once(late, 0.3)
    caplog.set_level(logging.ERROR)
    await serving._stop_in_order(app, None, polling=False)
    assert not app.running
    assert late_runs == 0
    # apscheduler says "raised an exception" or "Error running job" for a cancelled job.
    assert [r.getMessage() for r in caplog.records
            if r.name.startswith("apscheduler") and r.levelno >= logging.ERROR] == []
