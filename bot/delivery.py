"""Delivering announcements from the persistent outbox within Telegram's limits.

Each message is written in its reader's language at delivery
(:func:`bot.recommendation_updates.update_text`): a moderator's update in the reader's
translation, or a recommendation's new status.

Outbox messages are sent in the rate limiter's broadcast lane (:mod:`bot.rate_limits`): they
get only the sending slots participants' own conversations leave free, so an announcement
to 50,000 subscribers never holds up someone's next question. With ``allow_paid_broadcast``
they are sent as Telegram's paid broadcasts instead (up to 1,000 per second, not counted
against the free 30). Without that limiter (a bot built without it) the sender paces itself
at ``send_rate``. Each chat gets at most one message per second. A message is claimed in the
database before it is sent and marked sent right after, so a restart never sends twice;
``RetryAfter`` pauses sending for as long as Telegram asks and the message is retried from
the database; a subscriber who blocked the bot is dropped with their subscriptions.
"""

from __future__ import annotations

import asyncio
import logging
import time
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot

from bot.context import ConsultbotApplication, Services, Translator, services_of
from bot.rate_limits import Lane, PriorityRateLimiter, retry_seconds
from bot.recommendation_updates import recipient_wishes, update_text
from storage.outbox import OutboxItem

__all__ = [
    "OutboxSender",
    "deliver_soon",
    "sender_of",
    "start_delivery",
    "survey_title",
    "translator_for",
]

logger = logging.getLogger(__name__)

#: Telegram allows about one message per second to the same chat.
PER_CHAT_INTERVAL = 1.0
#: Network failures are retried this many times, with growing pauses, then given up.
MAX_ATTEMPTS = 5
#: How often the job looks at the outbox.
POLL_SECONDS = 2.0


async def survey_title(services: Services, survey_id: str, language: str) -> str:
    """The survey's newest title in ``language`` (its id when it has no version)."""
    versions = await services.storage.surveys.versions(survey_id)
    if not versions:
        return survey_id
    survey = max(versions, key=lambda record: record.version).survey
    return survey.title.get(language, survey.default_language)


async def translator_for(services: Services, user_id: int) -> Translator:
    """Bot text for someone we only know by id (no update at hand): their stored choice.

    Without a /language choice, the language they read when they subscribed or followed
    (their Telegram language then) is the best we know: no update is at hand to ask
    Telegram (:func:`bot.recommendation_updates.recipient_wishes`).
    """
    wishes = await recipient_wishes(services, user_id)
    return services.translations.translator(services.bot_language(wishes))


class OutboxSender:
    """Delivers queued announcements within Telegram's limits (see module doc).

    Args:
        services: The application's services (storage, catalogs).
        clock: Wall-clock seconds, for ``next_attempt_at`` in the database.
        sleep: Awaitable sleep, replaceable in tests.
    """

    def __init__(self, services: Services, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._services = services
        self._clock = clock
        self._sleep = sleep
        self._last_send = 0.0
        self._interval = 1.0 / services.settings.send_rate
        self._paid = services.settings.allow_paid_broadcast
        self._last_by_chat: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def deliver_due(self, bot: Bot, limit: int = 100,
                          keep_going: Callable[[], bool] = lambda: True) -> int:
        """Send the messages that are due now; returns how many were sent.

        ``keep_going`` is asked before each message: the bot stopping ends the run at once
        (what is left stays in the outbox), so an announcement never delays a shutdown.
        """
        if self._lock.locked():
            return 0  # another run is draining the queue already
        async with self._lock:
            sent, handled = await self._deliver(bot, limit, keep_going)
            if handled:
                # Sent rows are deleted; their chat ids must not linger in the WAL either.
                await self._services.storage.outbox.forget_delivered()
        if self._services.metrics is not None:
            self._services.metrics.set_outbox_backlog(
                await self._services.storage.outbox.pending_count())
        return sent

    async def _deliver(self, bot: Bot, limit: int,
                       keep_going: Callable[[], bool]) -> tuple[int, int]:
        """Returns how many messages were sent, and how many were tried."""
        storage = self._services.storage
        now = self._clock()
        if now < self._paused_until:
            return 0, 0
        sent = handled = 0
        for item in await storage.outbox.due(now, limit):
            if not keep_going():
                break
            now = self._clock()
            last = self._last_by_chat.get(item.chat_id)
            if last is not None and now - last < PER_CHAT_INTERVAL:
                await storage.outbox.retry_at(item, last + PER_CHAT_INTERVAL)
                continue
            wait = self._last_send + self._interval - now
            if wait > 0 and not _limited_by_lanes(bot):
                await self._sleep(wait)
            if not await storage.outbox.claim(item):
                continue
            handled += 1
            outcome = await self._send(bot, item)
            if outcome == "retry_after":
                break
            if outcome == "sent":
                sent += 1
        self._prune()
        return sent, handled

    async def _send(self, bot: Bot, item: OutboxItem) -> str:
        storage = self._services.storage
        try:
            text, markup = await self._text(item)
            if _limited_by_lanes(bot):
                await bot.send_message(item.chat_id, text, allow_paid_broadcast=self._paid or None,
                                       rate_limit_args=Lane.BROADCAST, reply_markup=markup)
            elif self._paid:  # another limiter (or none): it must not see our lane argument
                await bot.send_message(item.chat_id, text, allow_paid_broadcast=True,
                                       reply_markup=markup)
            elif markup is not None:
                await bot.send_message(item.chat_id, text, reply_markup=markup)
            else:
                await bot.send_message(item.chat_id, text)
        except RetryAfter as error:
            delay = retry_seconds(error)
            self._paused_until = self._clock() + delay
            await storage.outbox.retry_at(item, self._clock() + delay)
            logger.info("Telegram asked to slow down for %.0f s", delay)
            return "retry_after"
        except Forbidden:
            # The person blocked the bot or deleted their account: stop writing to them.
            await storage.subscriptions.forget_chat(item.chat_id)
            await storage.follows.forget_chat(item.chat_id)
            return "dropped"
        except BadRequest as error:
            logger.info("An update could not be delivered (%s)", type(error).__name__)
            await storage.outbox.mark_failed(item)
            return "failed"
        except NetworkError as error:
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await storage.outbox.mark_failed(item)
                return "failed"
            await storage.outbox.retry_at(item, self._clock() + 5 * 2 ** item.attempts)
            logger.info("Delivery postponed (%s)", type(error).__name__)
            return "postponed"
        # Recorded right after Telegram accepted it, before anything else can fail.
        await storage.outbox.mark_sent(item)
        if self._services.metrics is not None:
            self._services.metrics.message_sent()
        now = self._clock()
        self._last_send = now
        self._last_by_chat[item.chat_id] = now
        return "sent"

    async def _text(self, item: OutboxItem) -> tuple[str, Any]:
        """The message in its reader's language, and the buttons under it (or ``None``)."""
        services = self._services
        # Updates go to private chats only, where the chat id is the user id.
        wishes = await recipient_wishes(services, item.chat_id)
        translator = services.translations.translator(services.bot_language(wishes))
        title = await survey_title(services, item.survey_id, translator.language)
        text = await update_text(services, item, translator, wishes, title)
        keyboard = services.update_keyboard
        markup = await keyboard(item, translator) if keyboard is not None else None
        return text, markup

    def _prune(self) -> None:
        horizon = self._clock() - PER_CHAT_INTERVAL
        self._last_by_chat = {c: t for c, t in self._last_by_chat.items() if t > horizon}


def _limited_by_lanes(bot: Bot) -> typing.TypeGuard[ExtBot[Any]]:
    """Whether the bot's own limiter paces outbox messages (then the sender does not)."""
    return isinstance(bot, ExtBot) and isinstance(bot.rate_limiter, PriorityRateLimiter)


def sender_of(application: Application[Any, Any, Any, Any, Any, Any]) -> OutboxSender:
    """The application's outbox sender (one per application, made with its services)."""
    services = services_of(application)
    if services.outbox_sender is None:
        services.outbox_sender = OutboxSender(services)
    return services.outbox_sender


async def _delivery_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    try:
        application = context.application
        await sender_of(application).deliver_due(context.bot,
                                                 keep_going=lambda: application.running)
    except TelegramError as error:
        logger.warning("Outbox delivery failed (%s)", type(error).__name__)


def deliver_soon(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Look at the outbox now rather than at the next poll (after an announcement)."""
    if application.job_queue is not None and application.running:
        application.job_queue.run_once(_delivery_job, 0)


async def start_delivery(application: ConsultbotApplication) -> None:
    interrupted = await application.services.storage.outbox.abandon_interrupted()
    if interrupted:
        logger.warning("%d update(s) interrupted by a stop were not resent", interrupted)
    if application.job_queue is not None:
        application.job_queue.run_repeating(_delivery_job, interval=POLL_SECONDS, first=1.0,
                                            name="outbox")
