"""Receiving updates until a stop signal, then stopping in order, so nothing is lost.

Split from :mod:`bot.commands.run`, which checks the set-up and the command line: this
module is what happens once the bot runs. Updates come by long polling, or by
python-telegram-bot's built-in web server behind a reverse proxy (:class:`Webhook`); every
webhook request must carry the secret token, others are refused with 403. Either way they
pass through :class:`bot.update_feed.UpdateFeed`, which takes updates from Telegram no faster
than the bot handles them.

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

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.update_feed import UpdateFeed

    #: Whatever context types the application was built with.
    AnyApplication = Application[Any, Any, Any, Any, Any, Any]

__all__ = ["ABORT_GRACE_SECONDS", "ALLOWED_UPDATES", "STOP_SIGNALS", "Webhook", "serve"]

# The logger's name from before this module was split from the command, so operators'
# log filters keep matching the stop messages.
logger = logging.getLogger("bot.commands.run")

#: After a second stop signal, closing storage may take this long before the process exits
#: anyway.
ABORT_GRACE_SECONDS = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: The only update types any handler uses; Telegram then sends nothing else.
ALLOWED_UPDATES = ["message", "callback_query"]
#: The exit status of a process that leaves without closing storage: ``run``'s
#: ``EXIT_FAILURE`` (a stop that abandoned work).
_EXIT_ABANDONED = 1


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
    os._exit(_EXIT_ABANDONED)


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
