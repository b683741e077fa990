"""End-to-end test harness: the telegram-test-api emulator, bot processes, users, leak scans.

See tests/e2e/README.md for how it works and how to write an end-to-end test.
"""

from tests.e2e.harness.botprocess import CONSULTBOT_RUN, BotProcess
from tests.e2e.harness.emulator import (
    DEFAULT_TIMEOUT,
    Emulator,
    EmulatorError,
    ensure_emulator_installed,
)
from tests.e2e.harness.leaks import Leak, find_bytes, find_leaks, identity_needles
from tests.e2e.harness.users import BotMessage, Button, Identity, TelegramUser

__all__ = [
    "CONSULTBOT_RUN",
    "DEFAULT_TIMEOUT",
    "BotMessage",
    "BotProcess",
    "Button",
    "Emulator",
    "EmulatorError",
    "Identity",
    "Leak",
    "TelegramUser",
    "ensure_emulator_installed",
    "find_bytes",
    "find_leaks",
    "identity_needles",
]
