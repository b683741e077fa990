"""``consultbot run``: run the bot (long polling, or a webhook) until SIGINT/SIGTERM.

Everything that can be wrong with the set-up is checked before the bot talks to Telegram:
the configuration, the survey files of ``CONSULTBOT_SURVEYS`` (all problems listed at
once) and that the data directory is writable. Each problem is one clear line on stderr
and a non-zero exit, never a traceback.

Updates come by long polling, or with ``--webhook URL --listen HOST:PORT`` by
python-telegram-bot's built-in web server behind a reverse proxy; every webhook request must
carry the secret token (``webhook_secret``, or one generated at each start and kept in
memory), others are refused with 403. Either way they pass through :class:`bot.update_feed.
UpdateFeed`, which takes updates from Telegram no faster than the bot handles them.

Stopping (SIGTERM from systemd or Docker, or Ctrl-C) is :func:`serve`'s job: the first
signal stops taking updates at once, lets the (at most ``concurrent_updates`` + 1) updates
in flight finish, leaves every other update with Telegram, which sends it again after the
restart (see :mod:`bot.update_feed`), then closes storage, which commits every pending write
first; an answer the participant saw acknowledged is therefore never lost, and a backlog
does not make the stop slow. A second signal abandons what is still waiting and closes storage
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
import secrets
import signal
import sys
import tempfile
import textwrap
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.config import Config
    from bot.health import HealthServer
    from bot.update_feed import UpdateFeed

    #: Whatever context types the application was built with.
    AnyApplication = Application[Any, Any, Any, Any, Any, Any]

__all__ = ["ABORT_GRACE_SECONDS", "EXIT_CONFIG", "EXIT_FAILURE", "Webhook", "add_parser", "run",
           "serve"]

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
#: Where the webhook server listens when ``--listen`` is not given: the reverse proxy's side.
DEFAULT_LISTEN = "127.0.0.1:8080"


@dataclass(frozen=True, slots=True)
class Webhook:
    """How Telegram reaches the bot in webhook mode.

    Attributes:
        url: The public HTTPS URL Telegram posts updates to (the reverse proxy's).
        host: The address the local server listens on.
        port: Its port.
        secret: The token Telegram must send in ``X-Telegram-Bot-Api-Secret-Token``.
    """

    url: str
    host: str
    port: int
    secret: str = field(default="", repr=False)  # never in a log or traceback

    @property
    def path(self) -> str:
        """The URL's path, which the local server serves (the proxy forwards it as is)."""
        return urlsplit(self.url).path.lstrip("/")


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) as a host and a port.

    Raises:
        ValueError: With what is expected.
    """
    host, colon, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"--listen must be HOST:PORT, e.g. {DEFAULT_LISTEN} (got {text!r})")
    return host, int(port_text)


def webhook_url(text: str, api_url: str) -> str:
    """Check the ``--webhook`` URL: HTTPS (Telegram's rule), no query or fragment.

    A self-hosted Bot API server also accepts plain HTTP, so ``http://`` is allowed when
    ``api_url`` is not Telegram's.

    Raises:
        ValueError: With what is expected.
    """
    from bot.config import DEFAULT_API_URL

    parts = urlsplit(text.strip())
    schemes = ("https",) if api_url == DEFAULT_API_URL else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("--webhook must be the public https:// URL the reverse proxy serves, "
                         f"e.g. https://bot.example.org/telegram (got {text!r})")
    return text.strip()


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``run``; its ``--help`` lists every setting (from :mod:`bot.config`)."""
    from bot.config_docs import describe_settings

    parser = subparsers.add_parser(
        "run",
        help="run the bot (long polling, or a webhook)",
        description=textwrap.fill(
            "Run the bot with long polling, or with --webhook behind a reverse proxy that "
            "terminates HTTPS. Configuration comes from CONSULTBOT_* environment "
            "variables and, optionally, a TOML file with the same keys (the environment wins). "
            "The first Ctrl-C or SIGTERM stops taking updates, finishes the few in flight, "
            "leaves the rest with Telegram (sent again after the restart) and closes the "
            "database; a second one abandons what is still running and closes it at once.",
            width=79),
        epilog=describe_settings(width=79),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="a consultbot.toml file (keys as the environment variables)")
    parser.add_argument("--webhook", metavar="URL",
                        help="receive updates by webhook at this public https:// URL (your "
                             "reverse proxy's) instead of long polling")
    parser.add_argument("--listen", metavar="HOST:PORT", default=None,
                        help=f"where the webhook server listens (default {DEFAULT_LISTEN}); "
                             "the proxy forwards the URL's path here")
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
    from bot.config import ConfigError
    from bot.config_loading import load_config
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
    webhook: Webhook | None = None
    try:
        if args_webhook := getattr(args, "webhook", None):
            host, port = parse_listen(getattr(args, "listen", None) or DEFAULT_LISTEN)
            webhook = Webhook(webhook_url(args_webhook, config.api_url), host, port,
                              config.webhook_secret or secrets.token_urlsafe(32))
        elif getattr(args, "listen", None):
            return _fail("--listen is for webhook mode: give --webhook URL too")
    except ValueError as error:
        return _fail(str(error))
    try:
        check_data_dir(config.data_dir)
    except OSError as error:
        return _fail(f"cannot write to the data directory {config.data_dir} "
                     f"({error.strerror or error}); set CONSULTBOT_DATA_DIR to a writable directory")

    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.application import build_application
    from bot.i18n import load_translations
    from bot.logging_setup import setup_logging
    from storage.errors import StorageError

    if config.log_format == "json":
        from bot.json_logs import setup_json_logging

        setup_json_logging(token)
    else:
        setup_logging(token)
    translations = load_translations()
    translations.compile_all()
    application = build_application(config, survey_files=survey_files,
                                    translations=translations)
    try:
        health = _start_health(application, config)
    except OSError as error:
        return _fail(f"cannot serve metrics on {config.metrics_listen} "
                     f"({error.strerror or error})", EXIT_FAILURE)
    try:
        finished = asyncio.run(serve(application, webhook))
    except InvalidToken:
        return _fail("Telegram rejected CONSULTBOT_TOKEN; check the token from @BotFather",
                     EXIT_FAILURE)
    except NetworkError as error:
        return _fail(f"cannot reach the Bot API at {config.api_url} ({type(error).__name__})",
                     EXIT_FAILURE)
    except TelegramError as error:
        return _fail(f"the Bot API refused to start the bot ({type(error).__name__})", EXIT_FAILURE)
    except OSError as error:  # the webhook server could not listen
        return _fail(f"cannot listen on {getattr(args, 'listen', None) or DEFAULT_LISTEN} "
                     f"({error.strerror or error})", EXIT_FAILURE)
    except StorageError as error:
        return _fail(f"cannot open the data in {config.data_dir}: {error}", EXIT_FAILURE)
    finally:
        if health is not None:
            health.stop()
    return 0 if finished else EXIT_FAILURE


def _start_health(application: Any, config: Config) -> HealthServer | None:
    """Serve /healthz and /metrics when ``metrics_listen`` is set (off by default)."""
    if not config.metrics_listen:
        return None
    from bot.health import Metrics, instrument, serve_health
    from storage import DATABASE_FILE_NAME

    metrics = Metrics()
    metrics.watch_database(config.data_dir / DATABASE_FILE_NAME)
    instrument(application, metrics)
    application.services.metrics = metrics
    return serve_health(metrics, config.metrics_listen)


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


async def _start_receiving(feed: UpdateFeed, application: AnyApplication,
                           webhook: Webhook | None) -> None:
    def fetch_failed(error: Exception) -> None:
        application.create_task(application.process_error(update=None, error=error))

    if webhook is None:
        await feed.updater.start_polling(allowed_updates=ALLOWED_UPDATES,
                                         error_callback=fetch_failed)
    else:
        await feed.updater.start_webhook(
            listen=webhook.host, port=webhook.port, url_path=webhook.path,
            webhook_url=webhook.url, secret_token=webhook.secret,
            allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        logger.info("Receiving updates by webhook on %s:%d", webhook.host, webhook.port)


async def _stop_in_order(application: AnyApplication, feed: UpdateFeed | None,
                         polling: bool) -> None:
    """Stop taking updates, finish those in flight, confirm them, stop jobs (module doc)."""
    jobs = application.job_queue
    if jobs is not None and jobs.scheduler.running:
        # No job starts once stopping has begun. python-telegram-bot waits for the jobs
        # running when it stops the queue, and apscheduler then cancels any job a trigger
        # started during that wait, logging its traceback: a clean stop must not.
        jobs.scheduler.pause()
    if feed is not None:
        await feed.stop_taking_updates()
        await feed.finish()
        if polling:
            await feed.confirm_handed(ALLOWED_UPDATES)
    if application.running:
        await application.stop()


async def serve(application: AnyApplication, webhook: Webhook | None = None) -> bool:
    """Receive updates until a stop signal, then stop in order; True unless work was abandoned.

    What python-telegram-bot's ``run_polling``/``run_webhook`` do, with updates taken no
    faster than they are handled and signals counted (see the module docstring): storage is
    closed (by the application's shutdown) on every way out, the process never waits on a
    second signal, and a signal during start-up stops at once.

    Args:
        application: The application, not yet initialized.
        webhook: Receive by webhook as described; long polling when ``None``.

    Raises:
        telegram.error.TelegramError, storage.errors.StorageError, OSError: Start-up failed;
            what was opened is closed first.
    """
    from bot.update_feed import UpdateFeed

    loop = asyncio.get_running_loop()
    signals = _StopSignals()
    for number in STOP_SIGNALS:
        loop.add_signal_handler(number, signals.received)
    finished = True
    feed: UpdateFeed | None = None
    try:
        if await _unless(signals.stop, application.initialize()) and not signals.stop.is_set():
            feed = UpdateFeed(application)
            await feed.start()
            await _start_receiving(feed, application, webhook)
            await application.start()
            await signals.stop.wait()
        finished = await _unless(signals.abort,
                                 _stop_in_order(application, feed, polling=webhook is None))
        if not finished:
            abandoned = feed.abandon() if feed is not None else 0
            if abandoned:
                logger.warning("%d update(s) in flight abandoned", abandoned)
            await _abandon(application)
    finally:
        try:
            if feed is not None and feed.updater.running:
                await feed.updater.stop()  # start-up failed half-way
        finally:
            await _shut_down(application, signals)
            for number in STOP_SIGNALS:
                loop.remove_signal_handler(number)
    return finished


async def _shut_down(application: AnyApplication, signals: _StopSignals) -> None:
    try:
        if signals.abort.is_set():
            await asyncio.wait_for(application.shutdown(), ABORT_GRACE_SECONDS)
        else:
            await application.shutdown()
    except TimeoutError:
        logger.error("Closing the database took over %g s; exiting without it "
                     "(committed data is safe)", ABORT_GRACE_SECONDS)
        _exit_now()


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
