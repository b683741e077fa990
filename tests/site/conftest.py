"""A seeded data directory, the site built from it, and a headless Chromium to read it.

The browser is Debian's ``chromium`` driven by Playwright for Python (never a downloaded
browser: these machines cannot reach the download servers). A missing or broken browser
fails the tests with a message saying what to install; nothing is skipped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import addressed_answers as addressed
from bot import recommendations as recs
from bot.cli import main
from storage import Storage
from storage.audit import CLI_ACTOR
from surveys.model import Choice, Question, QuestionType, Survey, Text, today
from tests.moderation_fixtures import SURVEY, TWELVE, seed

CHROMIUM = os.environ.get("CONSULTBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_DIR = Path(__file__).parent / "axe"

#: A survey only three people answered: the site must show nothing of it but that fact.
TINY = Survey("tiny-2026", Text({"en": "Tiny survey", "fr": "Petite enquête"}), ("en", "fr"), (
    Question("q", QuestionType.SINGLE, Text({"en": "Yes or no?", "fr": "Oui ou non ?"}),
             choices=(Choice("y", Text({"en": "Yes"})), Choice("n", Text({"en": "No"})))),))


@dataclass(frozen=True)
class BuiltSite:
    data_dir: Path
    output: Path
    pages: tuple[str, ...]


async def _seed(data_dir: Path) -> None:
    async with await Storage.open(data_dir) as storage:
        await seed(storage, SURVEY, TWELVE * 2)
        await seed(storage, TINY, [{"q": "y"}] * 3)
        await recs.add_recommendation(
            storage, CLI_ACTOR, recommendation_id="pay-on-time", survey_id=SURVEY.id,
            title=Text({"en": "Pay wages on time", "ar": "دفع الأجور في موعدها",
                        "fr": "Payer les salaires à temps"}),
            body=Text({"en": "Most workers reported unpaid wages."}),
            question_ids=("issues", "region"))
        for status in ("under_consideration", "accepted", "implemented"):
            await recs.change_status(storage, CLI_ACTOR, "pay-on-time", status)
        await recs.add_milestone(storage, CLI_ACTOR, "pay-on-time",
                                 Text({"en": "Payroll audit published"}), dt.date(2026, 6, 1),
                                 reached=True)
        yesterday = today() - dt.timedelta(days=1)
        for user, answer in enumerate(["yes"] * 8 + ["partly"] * 6 + ["no"] * 2):
            await addressed.record_addressed_answer(storage, "pay-on-time", user, answer,
                                               today=yesterday)
        await recs.add_recommendation(
            storage, CLI_ACTOR, recommendation_id="safety-officers", survey_id=SURVEY.id,
            title=Text({"en": "Elected safety officers"}), body=Text({"en": ""}),
            question_ids=("safe",), addressed_scale="one_to_five")
        for status in ("under_consideration", "partly_accepted", "in_progress"):
            await recs.change_status(storage, CLI_ACTOR, "safety-officers", status,
                                     progress=40 if status == "in_progress" else None)
        await recs.add_milestone(storage, CLI_ACTOR, "safety-officers",
                                 Text({"en": "Elections held"}), dt.date(2027, 2, 1))


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltSite]:
    root = tmp_path_factory.mktemp("site")
    data_dir, output = root / "data", root / "public"
    asyncio.run(_seed(data_dir))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CONSULTBOT_DATA_DIR", str(data_dir))
        patch.delenv("CONSULTBOT_MIN_CELL", raising=False)
        assert main(["site", "build", "--output", str(output)]) == 0
        pages = tuple(str(p.relative_to(output)) for p in sorted(output.rglob("*.html")))
        yield BuiltSite(data_dir, output, pages)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Module scope: Playwright's sync API runs an event loop in this thread while it is
    # open, and the asyncio tests of other packages need the thread back afterwards.
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install -e '.[test]'")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} not found: the site tests need Debian's chromium "
                    "(apt-get install chromium; .ci/run installs it)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as error:  # noqa: BLE001 - any launch failure must fail loudly
            pytest.fail(f"headless Chromium ({CHROMIUM}) does not start: {error}")
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's browser bundle, installed from the pinned lock file with ``npm ci``."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        if shutil.which("npm") is None:
            pytest.fail("npm not found: the accessibility test installs axe-core with npm "
                        "(apt-get install npm)")
        result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR,
                                capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0 or not script.is_file():
            pytest.fail(f"npm ci failed in {AXE_DIR}:\n{result.stdout}\n{result.stderr}")
    return script
