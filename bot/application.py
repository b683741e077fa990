"""Composing the running bot: configuration + storage + catalogs + feature handlers.

This is the one place that knows every feature. Each feature package under ``handlers/``
registers its commands and declares the buttons it makes; this module then declares, in
one table (:func:`route_inputs`), the owner of every input mode: where a typed message, a
photo or document, and ``/cancel`` go for a person in that mode (ARCHITECTURE.md, "Input
routing"). The router installs one handler for each of those, so no two features compete
for the same update and registration order is not behaviour.

Start-up work that needs the event loop (opening storage, publishing surveys, setting the
command lists) runs in the application's ``initialize`` (see
``bot.context.ConsultbotApplication``), and closing storage in ``shutdown``, so that
``run_polling`` and a test's ``async with application:`` behave the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import bot.report_jobs
import handlers.moderation.recs
import handlers.moderation.reports
import handlers.moderation.surveys
import handlers.participant.data_rights
import handlers.participant.help
import handlers.participant.language
import handlers.participant.recs
import handlers.participant.results
import handlers.participant.start
import handlers.participant.updates
import handlers.reports.draft
import handlers.reports.status
import handlers.survey.commands
from bot.config import Config
from bot.context import BotContext, CommandScope, ConsultbotApplication, Services
from bot.errors import error_handler
from bot.i18n import Translations, load_translations
from bot.rate_limits import PriorityRateLimiter
from bot.sessions import InputMode, SessionStore
from bot.survey_files import SurveyFile
from bot.survey_health import warn_about_unreadable_surveys
from handlers.moderation import announce
from handlers.participant import consent
from handlers.shared.commands import command_list
from handlers.shared.router import ModeOwner, Router
from handlers.survey import answers

if TYPE_CHECKING:
    from storage import Storage

__all__ = ["CONCURRENT_UPDATES", "build_application"]

logger = logging.getLogger(__name__)

#: Updates processed at once. Small: the work is mostly waiting for the database's grouped
#: commit, and a 2-core server gains nothing from more.
CONCURRENT_UPDATES = 8
#: How often the rate limiter retries a message Telegram asked us to slow down for.
RATE_LIMIT_RETRIES = 3
#: How often expired sessions (and the drafts in them) are wiped from memory, in seconds.
SESSION_SWEEP_SECONDS = 60.0


def build_application(
    config: Config,
    storage: Storage | None = None,
    request: BaseRequest | None = None,
    *,
    survey_files: Sequence[SurveyFile] = (),
    translations: Translations | None = None,
) -> ConsultbotApplication:
    """Build the consultbot application; nothing is opened until it is initialized.

    Args:
        config: The validated configuration (the token must be set).
        storage: An already open storage (tests); by default the application opens
            ``config.data_dir`` on initialize and closes it on shutdown.
        request: A python-telegram-bot request object for every Bot API call (tests pass
            the offline fake); by default ptb's HTTP client.
        survey_files: Surveys read from ``CONSULTBOT_SURVEYS`` (validated by the caller
            before anything starts); published on initialize when new or changed.
        translations: The bot's catalogs; loaded from ``locales/`` by default.

    Returns:
        The application, with every feature's handlers registered.
    """
    services = Services(settings=config, translations=translations or load_translations(),
                        sessions=SessionStore(config.session_expiry_minutes * 60.0))
    services.report_limits.filings.limit = config.reports_per_hour
    builder = (
        ApplicationBuilder()
        .application_class(ConsultbotApplication, kwargs={"services": services})
        .token(config.require_token())
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(PriorityRateLimiter(config.send_rate, max_retries=RATE_LIMIT_RETRIES))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    assert isinstance(application, ConsultbotApplication)

    owns_storage = storage is None
    batches: list[asyncio.Task[None]] = []

    async def open_services(app: ConsultbotApplication) -> None:
        if storage is None:
            from storage import Storage

            app.services.storage = await Storage.open(
                config.data_dir, key_file=config.key_file, report_key=config.report_key)
        else:
            app.services.storage = storage
        # Subscriptions are written in shuffled batches (ARCHITECTURE.md, Privacy rules).
        identity = app.services.storage.identity
        identity.interval = float(config.identity_batch_seconds)
        batches.append(asyncio.create_task(identity.run(), name="identity-batches"))
        app.services.bot_username = app.bot.username
        await publish_survey_files(app.services, survey_files)
        await warn_about_unreadable_surveys(app.services, app.bot)
        await set_command_lists(app, config)

    async def close_services(app: ConsultbotApplication) -> None:
        for task in batches:
            task.cancel()  # run() writes what still waits before it ends
            with contextlib.suppress(asyncio.CancelledError):
                await task
        batches.clear()
        if owns_storage and app.services.has_storage:
            await app.services.storage.close()
        app.services.storage = None

    application.on_initialize.append(open_services)
    application.on_shutdown.append(close_services)

    router = Router()
    handlers.participant.start.register(application, router)
    handlers.participant.help.register(application)
    handlers.participant.language.register(application, router)  # + detection middleware
    handlers.participant.data_rights.register(application, router)
    handlers.participant.updates.register(application, router)  # + outbox delivery
    handlers.participant.results.register(application, router)
    handlers.participant.recs.register(application, router)  # + "was this addressed?"
    handlers.moderation.recs.register(application, router)  # /recs: both views
    handlers.survey.commands.register(application, router)
    handlers.reports.draft.register(application, router)
    handlers.reports.status.register(application, router)
    handlers.moderation.reports.register(application, router)
    handlers.moderation.surveys.register(application, router)
    bot.report_jobs.schedule(application)  # digest + retention (also at start-up)
    route_inputs(router)
    router.install(application)
    application.on_initialize.append(_sweep_sessions)

    application.add_error_handler(error_handler)
    return application


def route_inputs(router: Router) -> None:
    """Who owns each input mode: its typed messages, its files and its ``/cancel``."""
    survey_file_or_refusal = handlers.moderation.surveys.file_outside_a_dialog
    pause_survey = handlers.survey.commands.cancel_command
    router.own_mode(InputMode.IDLE, ModeOwner(
        text=answers.answer_text, file=survey_file_or_refusal, cancel=pause_survey))
    router.own_mode(InputMode.CONSENT, ModeOwner(
        text=consent.text_before_consent, file=survey_file_or_refusal, cancel=pause_survey))
    router.own_mode(InputMode.SURVEY_ANSWER, ModeOwner(
        text=answers.answer_text, file=survey_file_or_refusal, cancel=pause_survey))
    draft = handlers.reports.draft
    router.own_mode(InputMode.REPORT_DRAFT, ModeOwner(
        text=draft.on_message, file=draft.on_message, cancel=draft.on_cancel))
    status = handlers.reports.status
    router.own_mode(InputMode.REPORT_STATUS, ModeOwner(
        text=status.on_message, file=status.on_message, cancel=status.on_cancel))
    router.own_mode(InputMode.ANNOUNCEMENT_DRAFT, ModeOwner(
        text=announce.on_text, file=survey_file_or_refusal, cancel=announce.on_cancel))
    recs = handlers.moderation.recs
    router.own_mode(InputMode.RECOMMENDATION_INPUT, ModeOwner(
        text=recs.on_text, file=survey_file_or_refusal, cancel=recs.on_cancel))
    replies = handlers.moderation.reports
    router.own_mode(InputMode.MODERATOR_REPLY, ModeOwner(
        text=replies.on_reply_text, file=survey_file_or_refusal, cancel=replies.on_cancel))


async def _sweep_sessions(application: ConsultbotApplication) -> None:
    """Wipe expired sessions from a job, so a draft left alone leaves memory on time."""

    async def sweep(_context: object) -> None:
        services = application.services
        services.sessions.sweep()
        services.fresh_codes.sweep(services.settings.moderator_2fa_fresh_minutes * 60.0)
        services.report_limits.sweep()  # limiters are per-user state too

    if application.job_queue is not None:
        application.job_queue.run_repeating(sweep, interval=SESSION_SWEEP_SECONDS,
                                            first=SESSION_SWEEP_SECONDS, name="session-sweep")


async def publish_survey_files(services: Services, survey_files: Sequence[SurveyFile]) -> None:
    """Publish each survey file whose definition differs from the latest version.

    Storage compares definitions (not just bytes), so re-saving a spreadsheet without
    changes creates no new version, a restart does not reopen a survey a moderator closed,
    and any change to a question does publish a new version.
    """
    for survey_file in survey_files:
        record = await services.storage.surveys.publish_definition(
            survey_file.survey, survey_file.source, survey_file.path.name
        )
        logger.info("Survey file %s: version %d is %s", survey_file.path.name,
                    record.version, record.status)


async def set_command_lists(application: ConsultbotApplication, config: Config) -> None:
    """Register the command menus with Telegram, in every catalog language.

    Participants see their commands in all private chats; each configured admin also sees
    the moderator commands in their own chat. A failure only costs a menu, not the bot
    (e.g. an admin who never opened a chat with the bot cannot get one yet).
    """
    services = application.services
    bot = application.bot
    for language in services.translations.languages:
        translator = services.translations.translator(language)
        language_code = None if language == services.translations.default_language else language
        participant = [BotCommand(name, text) for name, text in
                       command_list(services, translator, CommandScope.PARTICIPANT)]
        moderator = [BotCommand(name, text) for name, text in
                     command_list(services, translator, CommandScope.MODERATOR)]
        try:
            await bot.set_my_commands(participant, scope=BotCommandScopeAllPrivateChats(),
                                      language_code=language_code)
        except TelegramError as error:
            logger.warning("Could not set the participants' command menu (%s)",
                           type(error).__name__)
        if not moderator:
            continue
        for admin in sorted(config.admins):
            try:
                await bot.set_my_commands(participant + moderator,
                                          scope=BotCommandScopeChat(chat_id=admin),
                                          language_code=language_code)
            except TelegramError as error:
                logger.warning("Could not set an admin's command menu (%s)", type(error).__name__)
