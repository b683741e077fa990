"""Fixtures of the end-to-end tests: one emulator per session, a fresh bot token, users and
bot processes per test. See tests/e2e/README.md."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.e2e.harness import (
    CONSULTBOT_RUN,
    BotProcess,
    Emulator,
    EmulatorError,
    Identity,
    TelegramUser,
)

E2E_DIR = Path(__file__).parent

# Distinctive names, so a leak scan that finds one has found a leak and not a common word.
_FIRST_NAMES = (
    "Zephyrine", "Quillon", "Brisvane", "Ottoline", "Thessaly", "Corvinia",
    "Ulbrecht", "Fenwicka", "Izoldett", "Pellucia", "Xantippa", "Wystanne",
)
_LAST_NAMES = (
    "Vandermolt", "Kettleborne", "Ashgrovely", "Tumbrelli", "Quarrington", "Mirrowdale",
    "Pendragast", "Oakenshaw", "Sallowmere", "Brackwater", "Thistlecombe", "Gorsewick",
)
#: Users get ids 987654321012, 987654329011, ...: large (6 bytes in SQLite, 12 digits) and unusual.
FIRST_USER_ID = 987654321012
_user_numbers = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under tests/e2e with the ``e2e`` marker (``pytest -m 'not e2e'`` skips them)."""
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


def new_identity() -> Identity:
    """A user identity no other test in the session uses."""
    n = next(_user_numbers)
    suffix = "" if n < len(_FIRST_NAMES) else str(n)
    first = _FIRST_NAMES[n % len(_FIRST_NAMES)] + suffix
    last = _LAST_NAMES[n % len(_LAST_NAMES)] + suffix
    # The username is the first name backwards, so each of the three is found on its own.
    return Identity(FIRST_USER_ID + 7999 * n, first, last, f"{first[::-1].lower()}_tg")


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The telegram-test-api emulator on 127.0.0.1, installed (npm ci) and started once per session.

    Fails (never skips) when Node.js or npm is missing.
    """
    try:
        running = Emulator.start(tmp_path_factory.mktemp("emulator"))
    except EmulatorError as error:
        pytest.fail(str(error), pytrace=False)
    yield running
    running.stop()


@pytest.fixture
def bot_token(emulator: Emulator) -> str:
    """A token of this test only: the emulator keeps each token's chats, updates and files apart."""
    return emulator.new_token()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """CONSULTBOT_DATA_DIR of this test's bot (created by the bot or the harness)."""
    return tmp_path / "data"


@pytest.fixture
def make_user(emulator: Emulator, bot_token: str) -> Callable[..., TelegramUser]:
    """Factory: ``make_user(language_code="en")`` -> a new user with a distinct id and names."""

    def make(language_code: str | None = "en") -> TelegramUser:
        return TelegramUser(emulator, bot_token, new_identity(), language_code=language_code)

    return make


@pytest.fixture
def user(make_user: Callable[..., TelegramUser]) -> TelegramUser:
    """One user, for tests that need just one."""
    return make_user()


@pytest.fixture
def start_bot(
    emulator: Emulator, bot_token: str, data_dir: Path, tmp_path: Path
) -> Iterator[Callable[..., BotProcess]]:
    """Factory starting a bot process for this test; every process is stopped afterwards.

    ``start_bot(*, command=CONSULTBOT_RUN, surveys=None, admins=(), env=None, wait=True,
    token=bot_token)``: ``admins`` takes users or ids; with ``wait`` it returns once the bot long-polls.
    Logs go to ``tmp_path / "bot.log"`` (``bot-2.log``, ... for further processes).
    """
    processes: list[BotProcess] = []

    def start(
        *,
        command: Sequence[str] = CONSULTBOT_RUN,
        surveys: Path | None = None,
        admins: Sequence[TelegramUser | int] = (),
        env: dict[str, str] | None = None,
        wait: bool = True,
        token: str | None = None,
    ) -> BotProcess:
        log_name = "bot.log" if not processes else f"bot-{len(processes) + 1}.log"
        process = BotProcess(
            emulator,
            token or bot_token,
            data_dir,
            tmp_path / log_name,
            command=command,
            surveys=surveys,
            admins=[a.user_id if isinstance(a, TelegramUser) else a for a in admins],
            env=env,
        )
        processes.append(process)
        return process.start(wait=wait)

    yield start
    for process in processes:
        if process.running:
            # Killed if it would not stop: the test's own outcome is what matters.
            with contextlib.suppress(AssertionError):
                process.stop(timeout=10)
