"""Smoke tests of ``consultbot run`` as an operator starts it: against the emulator, it answers
/start, registers its commands, restarts on the same data, stops cleanly on SIGTERM, and refuses
a bad configuration with one clear message instead of a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.e2e.harness import BotProcess, Emulator, TelegramUser, find_leaks


def test_bot_answers_start_restarts_and_stops_cleanly(
    start_bot: Callable[..., BotProcess], user: TelegramUser, emulator: Emulator, data_dir: Path
) -> None:
    bot = start_bot()
    user.send_command("/start")
    assert user.wait_for_bot().text.strip()
    assert emulator.bot_calls(user.token, "setMyCommands"), "the command list was not registered"

    bot.restart()  # SIGTERM exits 0, and the same data directory opens again
    user.send_command("/help")
    assert user.wait_for_bot().text.strip()

    assert bot.stop() == 0
    assert "Traceback" not in bot.log_text()
    assert find_leaks([data_dir, bot.log_path], [user]) == []


def test_missing_token_stops_start_up_with_a_clear_message(start_bot: Callable[..., BotProcess]) -> None:
    bot = start_bot(env={"CONSULTBOT_TOKEN": ""}, wait=False)
    assert bot.wait() != 0
    log = bot.log_text()
    assert "CONSULTBOT_TOKEN" in log
    assert "Traceback" not in log


def test_invalid_survey_file_stops_start_up_naming_the_file(
    start_bot: Callable[..., BotProcess], tmp_path: Path
) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "broken-survey.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    bot = start_bot(surveys=surveys, wait=False)
    assert bot.wait() != 0
    log = bot.log_text()
    assert "broken-survey.yaml" in log
    assert "Traceback" not in log
