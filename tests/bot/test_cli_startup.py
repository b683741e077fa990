"""Commands that never talk to Telegram start without python-telegram-bot.

Starting Python is most of what ``consultbot summary`` costs once summaries come from the
tallies (bench/README.md, benchmark 3), so these commands must not import the Telegram
framework, Pillow, or the modules of the other commands. Each case runs the real command
in a fresh interpreter and lists what it imported.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage import Storage
from tests.moderation_fixtures import SURVEY, seed

#: Runs ``bot.cli.main(argv)`` and prints the top-level packages and command modules loaded.
_PROBE = """
import json, sys
from bot.cli import main
code = main(sys.argv[1:])
loaded = sorted(name for name in sys.modules
                if "." not in name or name.startswith("bot.commands."))
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""

#: Packages only the bot (or attachment cleaning) needs.
_BOT_ONLY = ("telegram", "httpx", "apscheduler", "PIL", "pillow_heif", "qrcode", "handlers")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("startup") / "data"

    async def prepare() -> None:
        async with await Storage.open(directory) as storage:
            await seed(storage, in_progress=2)

    asyncio.run(prepare())
    return directory


def _imports(data_dir: Path, *argv: str) -> set[str]:
    env = {**os.environ, "CONSULTBOT_DATA_DIR": str(data_dir)}
    env.pop("CONSULTBOT_SURVEYS", None)
    finished = subprocess.run([sys.executable, "-c", _PROBE, *argv], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    report = json.loads(finished.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, finished.stderr
    return set(report["loaded"])


@pytest.mark.parametrize("argv", [
    ("summary", SURVEY.id),
    ("summary", SURVEY.id, "--lang", "fr", "--format", "json"),
    ("tallies", "check", SURVEY.id),
])
def test_commands_without_telegram_do_not_import_it(data_dir: Path, argv: tuple[str, ...]) -> None:
    loaded = _imports(data_dir, *argv)
    assert "bot" in loaded and "storage" in loaded  # the probe saw the command's imports
    assert not loaded & set(_BOT_ONLY)
    # Only the named command's module: the others' imports are not paid for.
    commands = {name for name in loaded if name.startswith("bot.commands.")}
    assert commands == {f"bot.commands.{argv[0]}"}


def test_export_does_not_import_telegram(data_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "export.csv"
    loaded = _imports(data_dir, "export", SURVEY.id, "--output", str(output), "--format", "csv")
    assert output.stat().st_size > 0
    assert not loaded & set(_BOT_ONLY)
