"""The error handler: the user hears about it, the log never sees what they wrote."""

from __future__ import annotations

import logging

import pytest

from tests.handlers.conftest import BotEnv, in_survey


async def test_failure_is_logged_without_payload_and_the_user_is_told(
    env: BotEnv, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await in_survey(env, first_name="Secretname")
    for label in ("Mining", "Pay", "Done", "3"):
        await user.press(label)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("my private answer 2019-07-23")

    monkeypatch.setattr(type(env.services.storage.responses), "save_answer", broken)
    caplog.set_level(logging.INFO)  # the level `consultbot run` logs at
    await user.send_text("2019-07-23")
    assert user.texts()[-1] == "Sorry, something went wrong on our side. Please try again in a moment."
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged and "survey/answers.py" in logged
    for secret in ("2019-07-23", "my private answer", "Secretname", str(user.user_id)):
        assert secret not in logged
    for record in caplog.records:
        assert record.exc_info is None  # no traceback with locals or messages


async def test_failing_button_gets_an_answer(env: BotEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    user = await in_survey(env)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(type(env.services.storage.responses), "save_answer", broken)
    calls = await user.press("Mining")
    answers = [c.params for c in calls if c.method == "answerCallbackQuery"]
    assert answers and answers[-1]["text"].startswith("Sorry, something went wrong")


def test_run_logging_silences_libraries_that_log_urls_and_payloads() -> None:
    from bot.logging_setup import TokenFilter, setup_logging

    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        setup_logging("123:SECRET")
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
        assert logging.getLogger("telegram.ext.Updater").getEffectiveLevel() >= logging.WARNING
        record = logging.LogRecord("x", logging.WARNING, __file__, 1,
                                   "POST https://api.telegram.org/bot%s/getMe", ("123:SECRET",), None)
        TokenFilter("123:SECRET").filter(record)
        assert record.getMessage() == "POST https://api.telegram.org/bot<token>/getMe"
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name in ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite",
                     "telegram.ext.Application"):
            logging.getLogger(name).setLevel(logging.NOTSET)


def _record_with(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException:  # noqa: BLE001 - we want the exc_info of any error
        import sys

        return logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1,
                                 "Network Retry Loop: failed", None, sys.exc_info())


def test_network_failures_are_logged_in_one_line_and_bugs_keep_their_traceback() -> None:
    from telegram.error import NetworkError

    from bot.logging_setup import QuietNetworkFormatter

    formatter = QuietNetworkFormatter("123:SECRET")
    network = formatter.format(_record_with(NetworkError("httpx.ConnectError: refused")))
    assert "Traceback" not in network
    assert "NetworkError: httpx.ConnectError: refused" in network

    bug = formatter.format(_record_with(KeyError("boom at bot123:SECRET/getMe")))
    assert "Traceback (most recent call last)" in bug
    assert "123:SECRET" not in bug and "<token>" in bug
