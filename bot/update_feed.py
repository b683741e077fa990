"""Taking updates from Telegram no faster than the bot handles them, so a stop loses none.

python-telegram-bot's ``Updater`` (long polling or webhook) puts every update it receives in
a queue, and its ``Application`` turns everything in that queue into a task at once: with a
backlog, hundreds of updates are "in flight" and acknowledged to Telegram, and stopping
means either handling them all (SIGTERM took 11 s with 300 queued, over Docker's 10 s grace)
or dropping updates Telegram will never send again.

:class:`UpdateFeed` sits between the two. The updater's queue holds one update; the feed
hands updates to the application only when one of its ``concurrent_updates`` slots is free.
So the updater cannot run ahead: it asks Telegram for the next batch (long polling) or
answers ``200 OK`` (webhook) only after the previous updates were handed over. When the bot
stops, the feed stops handing over at once, the updates in flight finish, and everything
Telegram sent that was not handed over is left unconfirmed:

* long polling — one last ``getUpdates`` confirms exactly the updates handed over (their ids
  are consecutive from the first); Telegram keeps the rest and sends them again after the
  restart;
* webhook — a request whose update was not handed over gets no ``200 OK`` (the connection is
  closed), so Telegram sends it again later.

Nothing is written to disk for this (a queued update may be a whistleblower's words); the
one update the queue itself holds is handed over and handled with those in flight. In
webhook mode a request waits for a free slot before its ``200 OK``; Telegram keeps up to
``max_connections`` (40) requests open meanwhile, so a burst waits with Telegram, not here.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Updater

if TYPE_CHECKING:
    from telegram.ext import Application

    AnyApplication = Application[Any, Any, Any, Any, Any, Any]

__all__ = ["UpdateFeed"]

logger = logging.getLogger(__name__)


class UpdateFeed:
    """Hands the updater's updates to the application one free slot at a time (module doc).

    Args:
        application: The initialized application; its ``concurrent_updates`` is the number
            of slots.
    """

    def __init__(self, application: AnyApplication) -> None:
        self._application = application
        self._queue: asyncio.Queue[object] = asyncio.Queue(maxsize=1)
        #: An updater of our own on the bounded queue (the application's own feeds its
        #: unbounded queue). It shares the application's bot and connection pools.
        self.updater = Updater(bot=application.bot, update_queue=self._queue)
        self._slots = asyncio.Semaphore(application.update_processor.max_concurrent_updates)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._hand_over_task: asyncio.Task[None] | None = None
        #: Highest update id handed to the application; everything up to it may be confirmed.
        self.last_handed: int | None = None
        self.handed = 0

    async def start(self) -> None:
        """Start handing over updates (start the updater itself afterwards)."""
        await self.updater.initialize()
        self._hand_over_task = asyncio.create_task(self._hand_over(), name="update feed")

    async def _hand_over(self) -> None:
        # A slot is taken *before* an update is taken from the queue, so the updater is held
        # exactly while every slot is busy; the update's task releases it.
        while True:
            await self._slots.acquire()
            try:
                update = await self._queue.get()
            except BaseException:
                self._slots.release()
                raise
            self._queue.task_done()
            self._start(update)

    def _start(self, update: object) -> None:
        if isinstance(update, Update):
            self.last_handed = update.update_id
        self.handed += 1
        task = asyncio.create_task(self._process(update), name="update")
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _process(self, update: object) -> None:
        application = self._application
        try:
            await application.update_processor.process_update(
                update, application.process_update(update))
        except Exception as error:  # noqa: BLE001  # as ptb's own fetcher does: to the error handler
            await application.process_error(update=update, error=error)
        finally:
            self._slots.release()

    @property
    def in_flight(self) -> int:
        """Updates handed over and not finished."""
        return len(self._in_flight)

    async def stop_taking_updates(self) -> None:
        """Stop handing over, stop the updater, then hand over the one update it queued.

        Returns once Telegram can no longer give us updates; the updates in flight are still
        running (:meth:`finish`).
        """
        if self._hand_over_task is not None:
            self._hand_over_task.cancel()
            await asyncio.gather(self._hand_over_task, return_exceptions=True)
            self._hand_over_task = None
        if self.updater.running:
            await self.updater.stop()
        while not self._queue.empty():  # acknowledged already (webhook): handle, never drop
            update = self._queue.get_nowait()
            await self._slots.acquire()
            self._start(update)

    async def finish(self) -> None:
        """Wait for the updates in flight."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def abandon(self) -> int:
        """Cancel the updates in flight (a second stop signal); returns how many."""
        for task in self._in_flight:
            task.cancel()
        return len(self._in_flight)

    async def confirm_handed(self, allowed_updates: list[str]) -> None:
        """Long polling: tell Telegram the handed-over updates are done, and only those.

        Telegram forgets every update below the ``offset`` of a ``getUpdates`` call; this one
        call with ``offset`` just after the last handed update keeps the rest for the next
        start. If it fails, the handed updates come again at the next start (the conversation
        code treats a repeated answer as a repeat, not as the next answer).
        """
        if self.last_handed is None:
            return
        try:
            await self._application.bot.get_updates(
                offset=self.last_handed + 1, limit=1, timeout=_dt.timedelta(0),
                allowed_updates=allowed_updates)
        except TelegramError as error:
            logger.warning("Could not confirm the last updates to Telegram (%s); they will "
                           "be sent again after the restart", type(error).__name__)

