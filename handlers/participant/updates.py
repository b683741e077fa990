"""The feedback loop for participants: opt in to updates, read them, and their delivery.

After submitting, a participant is offered updates about that survey (:func:`offer_updates`,
called by the survey flow). Pressing the button stores (survey id, chat id): the only place a
participant's raw id is kept, never linked to their response. ``/updates`` lists what the
followed surveys announced and lets them unsubscribe; ``/forget`` erases the subscriptions.

Delivery (:class:`OutboxSender`) drains the persistent outbox at about 25 messages per second
overall (Telegram allows ~30; participants' own conversations need the rest) and at most one
message per second per chat. A message is claimed in the database before it is sent and
marked sent right after, so a restart never sends twice; ``RetryAfter`` pauses sending for as
long as Telegram asks; a subscriber who blocked the bot is dropped with their subscriptions.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any
from weakref import WeakKeyDictionary

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import (
    BotContext,
    ConsultbotApplication,
    Services,
    Translator,
    services_of,
)
from handlers.shared.buttons import pack, pressed_button, refuse_button, survey_ref, unpack
from handlers.shared.commands import add_command
from handlers.shared.localized import isolate
from handlers.shared.render import send_long
from storage.outbox import OutboxItem
from surveys.messages import N_

__all__ = ["OutboxSender", "deliver_soon", "offer_updates", "register"]

logger = logging.getLogger(__name__)

#: Seconds between two outbox messages: ~25 per second, under Telegram's ~30 overall.
GLOBAL_INTERVAL = 1 / 25
#: Telegram allows about one message per second to the same chat.
PER_CHAT_INTERVAL = 1.0
#: Network failures are retried this many times, with growing pauses, then given up.
MAX_ATTEMPTS = 5
#: How often the job looks at the outbox.
POLL_SECONDS = 2.0


async def _title(services: Services, survey_id: str, language: str) -> str:
    versions = await services.storage.surveys.versions(survey_id)
    if not versions:
        return survey_id
    survey = max(versions, key=lambda record: record.version).survey
    return survey.title.get(language, survey.default_language)


async def offer_updates(context: BotContext, chat_id: int, user_id: int, survey_id: str,
                        translator: Translator | None = None) -> None:
    """Ask a participant who just submitted whether they want updates (stores nothing yet).

    ``translator``: the reader's, when an update is at hand (it knows their Telegram
    language, which a bare user id does not).
    """
    services = context.services
    translator = translator or await _translator_for(services, user_id)
    _ = translator.gettext
    if await services.storage.subscriptions.is_subscribed(survey_id, chat_id):
        return
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
        _("Get updates"), callback_data=pack(services, user_id, "up", "s", survey_ref(survey_id)))]])
    try:
        await context.bot.send_message(
            chat_id,
            _("Would you like to hear what happens with the results of “{title}”? The organisers "
              "may send a few updates. Your chat is then kept on a list of people to inform, "
              "separate from your answers.").format(
                title=await _title(services, survey_id, translator.language)),
            reply_markup=keyboard)
    except TelegramError as error:
        logger.info("Could not offer updates (%s)", type(error).__name__)


async def _translator_for(services: Services, user_id: int) -> Translator:
    """Bot text for someone we only know by id (no update at hand): their stored choice."""
    # wished_languages reads the preference stored under the user's pseudonym; a bare User
    # carries no Telegram language_code, so this falls back to the default language.
    wishes = await services.wished_languages(User(id=user_id, first_name="", is_bot=False))
    # Without a /language choice, the language they read when they subscribed (their
    # Telegram language then) is the best we know: no update is at hand to ask Telegram.
    subscribed_in = await services.storage.subscriptions.language_of(user_id)
    if subscribed_in:
        wishes = (*wishes, subscribed_in)
    return services.translations.translator(services.bot_language(wishes))


async def _survey_by_ref(services: Services, ref: str) -> str | None:
    for record in await services.storage.surveys.list_all():
        if survey_ref(record.survey_id) == ref:
            return record.survey_id
    return None


async def on_button(update: Update, context: BotContext) -> None:
    """Subscribe ("s") or unsubscribe ("u") the chat of the person who pressed."""
    pressed = await pressed_button(update, context, 3, fits=lambda fields: fields[1] in ("s", "u"))
    if pressed is None:
        return
    query, fields = pressed
    tr = await context.translator(update)
    _ = tr.gettext
    user_id = query.from_user.id
    survey_id = await _survey_by_ref(context.services, fields[2])
    if survey_id is None:
        await refuse_button(query, tr)
        return
    subscriptions = context.services.storage.subscriptions
    title = await _title(context.services, survey_id, tr.language)
    # In a private chat the chat id is the user id; updates only ever go to private chats.
    if fields[1] == "s":
        await subscriptions.subscribe(survey_id, user_id, tr.language)
        text = _("You will get updates about “{title}”. /updates shows them and lets you stop.")
    else:
        await subscriptions.unsubscribe(survey_id, user_id)
        text = _("You will no longer get updates about “{title}”.")
    await query.answer()
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError:
        pass
    await context.bot.send_message(user_id, text.format(title=title))


async def list_updates(update: Update, context: BotContext) -> None:
    """/updates: past updates of the surveys this chat follows, with "Stop" buttons."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    storage = context.services.storage
    followed = await storage.subscriptions.surveys_of(chat.id)
    if not followed:
        await context.bot.send_message(chat.id, _(
            "You do not follow any survey. After you submit a survey, you can ask for updates "
            "about it."))
        return
    announcements = await storage.outbox.announcements(followed)
    lines: list[str] = []
    buttons = []
    for survey_id in followed:
        title = await _title(context.services, survey_id, tr.language)
        lines.append(_("Updates about “{title}”:").format(title=title))
        own = [a for a in announcements if a.survey_id == survey_id][:5]
        lines.extend(f"{a.created_on.isoformat()}: {a.body}" for a in own)
        if not own:
            lines.append(_("No update yet."))
        lines.append("")
        buttons.append([InlineKeyboardButton(
            _("Stop updates about “{title}”").format(title=title)[:60],
            callback_data=pack(context.services, user.id, "up", "u", survey_ref(survey_id)))])
    await send_long(context.bot, chat.id, ["\n".join(lines).strip()],
                    InlineKeyboardMarkup(buttons))


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
        self._last_by_chat: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def deliver_due(self, bot: Bot, limit: int = 100) -> int:
        """Send the messages that are due now; returns how many were sent."""
        if self._lock.locked():
            return 0  # another run is draining the queue already
        async with self._lock:
            return await self._deliver(bot, limit)

    async def _deliver(self, bot: Bot, limit: int) -> int:
        storage = self._services.storage
        now = self._clock()
        if now < self._paused_until:
            return 0
        sent = 0
        for item in await storage.outbox.due(now, limit):
            now = self._clock()
            last = self._last_by_chat.get(item.chat_id)
            if last is not None and now - last < PER_CHAT_INTERVAL:
                await storage.outbox.retry_at(item, last + PER_CHAT_INTERVAL)
                continue
            wait = self._last_send + GLOBAL_INTERVAL - now
            if wait > 0:
                await self._sleep(wait)
            if not await storage.outbox.claim(item):
                continue
            outcome = await self._send(bot, item)
            if outcome == "retry_after":
                break
            if outcome == "sent":
                sent += 1
        self._prune()
        return sent

    async def _send(self, bot: Bot, item: OutboxItem) -> str:
        storage = self._services.storage
        try:
            await bot.send_message(item.chat_id, await self._text(item))
        except RetryAfter as error:
            delay = _retry_seconds(error)
            self._paused_until = self._clock() + delay
            await storage.outbox.retry_at(item, self._clock() + delay)
            logger.info("Telegram asked to slow down for %.0f s", delay)
            return "retry_after"
        except Forbidden:
            # The person blocked the bot or deleted their account: stop writing to them.
            await storage.subscriptions.forget_chat(item.chat_id)
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
        now = self._clock()
        self._last_send = now
        self._last_by_chat[item.chat_id] = now
        return "sent"

    async def _text(self, item: OutboxItem) -> str:
        services = self._services
        # Updates go to private chats only, where the chat id is the user id.
        translator = await _translator_for(services, item.chat_id)
        _ = translator.gettext
        title = await _title(services, item.survey_id, translator.language)
        return "\n\n".join((
            _("Update about “{title}”:").format(title=title),
            item.body,
            _("You get this because you asked for updates. /updates lets you stop."),
        ))

    def _prune(self) -> None:
        horizon = self._clock() - PER_CHAT_INTERVAL
        self._last_by_chat = {c: t for c, t in self._last_by_chat.items() if t > horizon}


def _retry_seconds(error: RetryAfter) -> float:
    # PTB 22 warns that retry_after becomes a timedelta; accept both, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, _dt.timedelta) else float(value)


_SENDERS: WeakKeyDictionary[Application[Any, Any, Any, Any, Any, Any], OutboxSender] = (
    WeakKeyDictionary()
)


def sender_of(application: Application[Any, Any, Any, Any, Any, Any]) -> OutboxSender:
    """The application's outbox sender (created on first use)."""
    sender = _SENDERS.get(application)
    if sender is None:
        sender = OutboxSender(services_of(application))
        _SENDERS[application] = sender
    return sender


async def _delivery_job(context: BotContext) -> None:
    try:
        await sender_of(context.application).deliver_due(context.bot)
    except TelegramError as error:
        logger.warning("Outbox delivery failed (%s)", type(error).__name__)


def deliver_soon(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Look at the outbox now rather than at the next poll (after an announcement)."""
    if application.job_queue is not None and application.running:
        application.job_queue.run_once(_delivery_job, 0)


async def _start_delivery(application: ConsultbotApplication) -> None:
    interrupted = await application.services.storage.outbox.abandon_interrupted()
    if interrupted:
        logger.warning("%d update(s) interrupted by a stop were not resent", interrupted)
    if application.job_queue is not None:
        application.job_queue.run_repeating(_delivery_job, interval=POLL_SECONDS, first=1.0,
                                            name="outbox")


#: Handler group of the opt-in offer: after the survey flow (group 0) handled "Submit".
AFTER_SUBMIT_GROUP = 1


async def after_submit(update: Update, context: BotContext) -> None:
    """After the survey's "Submit" button (``r|<ref>|<version>|submit``), offer updates.

    Runs in a later handler group than the survey flow, so the thank-you is already sent and
    the submission committed; the offer is made only when the response really is submitted
    now and only once per survey and user while the bot runs (a double tap offers nothing).
    """
    query = update.callback_query
    if query is None:
        return
    user_id = query.from_user.id
    fields = unpack(context.services, user_id, query.data)
    if fields is None or len(fields) != 4 or fields[3] != "submit":
        return
    survey_id = await _survey_by_ref(context.services, fields[1])
    if survey_id is None:
        return
    offered = _OFFERED.setdefault(context.application, set())
    if (survey_id, user_id) in offered:
        return
    storage = context.services.storage
    response = await storage.responses.get(survey_id,
                                           storage.secret.respondent_key(survey_id, user_id))
    if response is None or response.submitted_on is None:
        return
    offered.add((survey_id, user_id))
    await offer_updates(context, user_id, user_id, survey_id, await context.translator(update))


#: (survey id, user id) pairs already offered updates, in memory only.
_OFFERED: WeakKeyDictionary[Application[Any, Any, Any, Any, Any, Any], set[tuple[str, int]]] = (
    WeakKeyDictionary()
)


def register(application: ConsultbotApplication) -> None:
    """/updates, the opt-in buttons, the /forget eraser and the delivery job."""
    add_command(application, "updates", N_("Updates about surveys you follow"))
    application.add_handler(CommandHandler("updates", list_updates,
                                           filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(on_button, pattern=r"^up\|"))
    application.add_handler(CallbackQueryHandler(after_submit, pattern=r"^r\|"),
                            group=AFTER_SUBMIT_GROUP)
    services = services_of(application)

    async def erase(user_id: int) -> None:
        await services.storage.subscriptions.forget_chat(user_id)

    async def describe(user_id: int, tr: Translator) -> list[str]:
        # A subscription holds the raw chat id (DESIGN.md §3 allows it), so /mydata must
        # show it: it is data about this person like any other.
        return [
            tr.gettext("You receive updates about “{title}” (/updates to stop them).").format(
                title=isolate(await _title(services, survey_id, tr.language), tr.language))
            for survey_id in await services.storage.subscriptions.surveys_of(user_id)
        ]

    services.erasers.append(erase)
    services.describers.append(describe)
    application.on_initialize.append(_start_delivery)
