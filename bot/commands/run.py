"""``consultbot run``: run the bot with long polling until SIGINT/SIGTERM.

Everything that can be wrong with the set-up is checked before the bot talks to Telegram:
the configuration, the survey files of ``CONSULTBOT_SURVEYS`` (all problems listed at
once) and that the data directory is writable. Each problem is one clear line on stderr
and a non-zero exit, never a traceback.

Stopping (SIGTERM from systemd or Docker, or Ctrl-C) is :func:`serve`'s job: the first
signal stops fetching updates, lets the updates in flight finish, then closes storage,
which commits every pending write first; an answer the participant saw acknowledged is
therefore never lost. A second signal abandons what is still waiting and closes storage
at once; a third, or a close that does not finish in :data:`ABORT_GRACE_SECONDS`, exits
without waiting (SQLite keeps every committed write through that, as through a crash).

python-telegram-bot's ``run_polling`` is not used: on a second signal it raises
``SystemExit`` out of its own shutdown, so storage is never closed and the process hangs
on the database thread.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
import textwrap
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telegram.ext import Application

    #: Whatever context types the application was built with.
    AnyApplication = Application[Any, Any, Any, Any, Any, Any]

__all__ = ["ABORT_GRACE_SECONDS", "EXIT_CONFIG", "EXIT_FAILURE", "add_parser", "run", "serve"]

logger = logging.getLogger(__name__)

#: Exit codes: 1 for a runtime failure (or a stop that abandoned work), 2 for configuration
#: problems (as argparse uses).
EXIT_FAILURE = 1
EXIT_CONFIG = 2
#: After a second stop signal, closing storage may take this long before the process exits
#: anyway.
ABORT_GRACE_SECONDS = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The only update types any handler uses; Telegram then sends nothing else.
ALLOWED_UPDATES = ["message", "callback_query"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``run``; its ``--help`` lists every setting (from :mod:`bot.config`)."""
    from bot.config_docs import describe_settings

    parser = subparsers.add_parser(
        "run",
        help="run the bot (long polling)",
        description=textwrap.fill(
            "Run the bot with long polling. Configuration comes from CONSULTBOT_* environment "
            "variables and, optionally, a TOML file with the same keys (the environment wins). "
            "The first Ctrl-C or SIGTERM finishes the updates in flight and closes the "
            "database; a second one abandons what is still waiting and closes it at once.",
            width=79),
        epilog=describe_settings(width=79),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="a consultbot.toml file (keys as the environment variables)")
    parser.set_defaults(handler=run)


def _fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"consultbot: {message}", file=sys.stderr)
    return code


def check_data_dir(data_dir: Path) -> None:
    """Make sure the data directory exists (created 0700) and we can write in it.

    Raises:
        OSError: With the reason, when it cannot be created or written.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise PermissionError(13, "permission denied")
    with tempfile.TemporaryFile(dir=data_dir):
        pass


def run(args: argparse.Namespace) -> int:
    """Validate everything, then poll until stopped; returns the exit code."""
    # Imported here, as every heavy import below, so ``consultbot --help`` stays fast.
    from bot.config import ConfigError, load_config
    from bot.survey_files import SurveyFilesError, read_survey_files

    try:
        config = load_config(getattr(args, "config", None))
        token = config.require_token()
    except ConfigError as error:
        return _fail(str(error))
    try:
        survey_files = read_survey_files(config.surveys_dir) if config.surveys_dir else []
    except SurveyFilesError as error:
        print("consultbot: the survey files have errors; the bot was not started:", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    try:
        check_data_dir(config.data_dir)
    except OSError as error:
        return _fail(f"cannot write to the data directory {config.data_dir} "
                     f"({error.strerror or error}); set CONSULTBOT_DATA_DIR to a writable directory")

    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.application import build_application
    from bot.logging_setup import setup_logging
    from storage.errors import StorageError

    setup_logging(token)
    application = build_application(config, survey_files=survey_files)
    try:
        finished = asyncio.run(serve(application))
    except InvalidToken:
        return _fail("Telegram rejected CONSULTBOT_TOKEN; check the token from @BotFather",
                     EXIT_FAILURE)
    except NetworkError as error:
        return _fail(f"cannot reach the Bot API at {config.api_url} ({type(error).__name__})",
                     EXIT_FAILURE)
    except TelegramError as error:
        return _fail(f"the Bot API refused to start the bot ({type(error).__name__})", EXIT_FAILURE)
    except StorageError as error:
        return _fail(f"cannot open the data in {config.data_dir}: {error}", EXIT_FAILURE)
    return 0 if finished else EXIT_FAILURE


class _StopSignals:
    """Counts SIGINT/SIGTERM: the first asks for an orderly stop, the second aborts it."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.abort = asyncio.Event()

    def received(self) -> None:
        if not self.stop.is_set():
            logger.info("Stop signal: finishing the updates in flight, then closing the "
                        "database (a second signal stops at once)")
            self.stop.set()
        elif not self.abort.is_set():
            logger.warning("Second stop signal: abandoning the updates still waiting and "
                           "closing the database now")
            self.abort.set()
        else:
            logger.error("Third stop signal: exiting without closing the database "
                         "(committed data is safe)")
            _exit_now()


def _exit_now() -> None:
    """Leave at once: a stuck close must not keep the process (and systemd) waiting.

    ``os._exit`` skips the interpreter's wait for the database thread; SQLite keeps every
    committed transaction through this exactly as through a crash.
    """
    logging.shutdown()
    os._exit(EXIT_FAILURE)


async def _unless(event: asyncio.Event, work: Awaitable[None]) -> bool:
    """Run ``work`` until it finishes (True) or ``event`` is set, which cancels it (False)."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait((task, waiter), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        task.result()  # re-raise what the work raised
        return True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return False


async def _stop_polling_and_updates(application: AnyApplication) -> None:
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()


async def serve(application: AnyApplication) -> bool:
    """Poll for updates until a stop signal, then stop in order; True unless work was abandoned.

    What python-telegram-bot's ``run_polling`` does, with signals counted (see the module
    docstring): storage is closed (by the application's shutdown) on every way out, the
    process never waits on a second signal, and a signal during start-up stops at once.

    Raises:
        telegram.error.TelegramError, storage.errors.StorageError: Start-up failed; what
            was opened is closed first.
    """
    loop = asyncio.get_running_loop()
    signals = _StopSignals()
    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, signals.received)
    finished = True
    try:
        if await _unless(signals.stop, application.initialize()) and not signals.stop.is_set():
            assert application.updater is not None  # build_application always makes one

            def fetch_failed(error: Exception) -> None:
                application.create_task(application.process_error(update=None, error=error))

            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES,
                                                    error_callback=fetch_failed)
            await application.start()
            await signals.stop.wait()
        finished = await _unless(signals.abort, _stop_polling_and_updates(application))
        if not finished:
            await _abandon(application)
    finally:
        try:
            if signals.abort.is_set():
                await asyncio.wait_for(application.shutdown(), ABORT_GRACE_SECONDS)
            else:
                await application.shutdown()
        except TimeoutError:
            logger.error("Closing the database took over %g s; exiting without it "
                         "(committed data is safe)", ABORT_GRACE_SECONDS)
            _exit_now()
        finally:
            for number in STOP_SIGNALS:
                loop.remove_signal_handler(number)
    return finished


async def _abandon(application: AnyApplication) -> None:
    """Leave the application not running after an aborted stop, so it can be shut down.

    ``Application.stop`` marks the application stopped before it first waits, so starting
    it and cancelling it right away does only that (its wait for the updates in flight is
    what the abort skips); scheduled jobs are stopped without waiting for them.
    """
    if application.running:
        marking = asyncio.ensure_future(application.stop())
        await asyncio.sleep(0)
        marking.cancel()
        await asyncio.gather(marking, return_exceptions=True)
    if application.job_queue is not None and application.job_queue.scheduler.running:
        await application.job_queue.stop(wait=False)
