"""A stand-in for the running bot in the backup tests: submits answers in a loop.

Run as ``python -m tests.ops.answer_writer DATA_DIR``. It publishes a one-question survey,
then submits one response after another, each answering ``n`` with its own number, and
prints that number on stdout only after ``submit`` returned (the bot's acknowledgement).
It stops on SIGTERM or when stdin closes.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from storage import Storage
from surveys.loading import load_survey_bytes

SURVEY_ID = "load-test"
SURVEY = b"""
id: load-test
title: Load test
languages: [en]
questions:
  - id: n
    type: number
    label: Which number are you?
"""


async def write(data_dir: Path) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with await Storage.open(data_dir) as storage:
        survey = load_survey_bytes(SURVEY, "load-test.yaml")
        record = await storage.surveys.publish_definition(survey, SURVEY, "load-test.yaml")
        print("ready", flush=True)
        number = 0
        while not stop.is_set():
            number += 1
            key = storage.secret.respondent_key(SURVEY_ID, number)
            await storage.responses.start(SURVEY_ID, record.version, key, language="en")
            await storage.responses.save_answer(SURVEY_ID, key, "n", number, None)
            await storage.responses.submit(SURVEY_ID, key)
            print(number, flush=True)


if __name__ == "__main__":
    asyncio.run(write(Path(sys.argv[1])))
