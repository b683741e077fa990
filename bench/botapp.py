"""Building the applications the in-process benchmarks drive: consultbot's and a bare echo bot.

Both use the same offline Bot API (:class:`bench.fakeapi.BenchTelegram`) and the same
``concurrent_updates``; consultbot's is built by ``bot.application.build_application``
exactly as ``consultbot run`` builds it, with real SQLite storage in ``data_dir``.

The rate limiter (``bot.rate_limits.PriorityRateLimiter``): consultbot's application throttles outgoing messages to Telegram's
~30/s. That limit is Telegram's, not the bot's; with it, both bots would measure the
limiter. ``keep_rate_limiter=False`` (the default of the benchmarks) removes it from
consultbot's bot so the figure is the bot's own capacity; the echo bot has none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.fakeapi import BenchTelegram, OfflineRequest
from bench.survey import SURVEY_YAML, write_survey
from bot.application import CONCURRENT_UPDATES, build_application
from bot.config import Config
from bot.context import ConsultbotApplication
from bot.survey_files import SurveyFile
from surveys.loading import load_survey_bytes
from tests.fakebot import BOT_TOKEN

__all__ = ["CONCURRENT_UPDATES", "consultbot_app", "echo_app"]


def consultbot_app(telegram: BenchTelegram, data_dir: Path, *,
                   keep_rate_limiter: bool = False) -> ConsultbotApplication:
    """consultbot's Application on the fake, publishing the bench survey on initialize."""
    path = write_survey(data_dir.parent / "surveys")
    survey_file = SurveyFile(path, load_survey_bytes(SURVEY_YAML, path.name), SURVEY_YAML)
    config = Config(token=BOT_TOKEN, data_dir=data_dir,
                    key_file=data_dir.parent / f"{data_dir.name}-key" / "secret.key")
    app = build_application(config, request=OfflineRequest(telegram), survey_files=[survey_file])
    if not keep_rate_limiter:
        app.bot._rate_limiter = None
    return app


async def _echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await context.bot.send_message(update.message.chat_id, update.message.text)


async def _echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(update.callback_query.data)


def echo_app(telegram: BenchTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    """A bare python-telegram-bot application that echoes texts and answers presses."""
    request = OfflineRequest(telegram)
    app = (ApplicationBuilder().token(BOT_TOKEN).request(request).get_updates_request(request)
           .concurrent_updates(CONCURRENT_UPDATES).build())
    app.add_handler(CallbackQueryHandler(_echo_press))
    app.add_handler(MessageHandler(filters.TEXT, _echo_text))
    return app
