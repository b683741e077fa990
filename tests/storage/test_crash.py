"""A process killed mid-write loses no answer it acknowledged, and leaves a sound database."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

from storage import Storage

ROOT = Path(__file__).resolve().parents[2]
SURVEY = "labour-2026"

# Writes answers from 16 concurrent tasks, forever; prints each one only once its
# save_answer has returned, i.e. once the bot would have told the participant "saved".
WRITER = f"""
import asyncio, sys
from pathlib import Path
from storage import Storage
from tests.storage.samples import make_survey

async def main(data_dir, key_file):
    storage = await Storage.open(Path(data_dir), key_file=Path(key_file))
    await storage.surveys.publish_definition(make_survey({SURVEY!r}), b"", "s.yaml")

    async def answer(n):
        key = f"{{n:064x}}"
        await storage.responses.start({SURVEY!r}, 1, key)
        await storage.responses.save_answer({SURVEY!r}, key, "weeks", n % 50, None)
        print(n, flush=True)

    n = 0
    while True:
        await asyncio.gather(*(answer(n + i) for i in range(16)))
        n += 16

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_every_acknowledged_answer_survives_a_kill(tmp_path: Path) -> None:
    data_dir, key_file = tmp_path / "data", tmp_path / "keys" / "consultbot.key"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(data_dir), str(key_file),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    acknowledged: set[int] = set()
    try:
        while len(acknowledged) < 400:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line, (await process.stderr.read()).decode() if process.stderr else ""
            acknowledged.add(int(line))
    finally:
        process.send_signal(signal.SIGKILL)  # no close(), no atexit: a crash
        rest, _ = await process.communicate()
    acknowledged |= {int(line) for line in rest.split()}

    with sqlite3.connect(data_dir / "consultbot.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    async with await Storage.open(data_dir, key_file=key_file) as storage:
        for n in sorted(acknowledged):
            response = await storage.responses.get(SURVEY, f"{n:064x}")
            assert response is not None, n
            assert response.answers["weeks"] == n % 50, n
