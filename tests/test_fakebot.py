"""The offline Bot API fake must behave like Telegram where the handlers rely on it."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Forbidden
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakebot import BOT_TOKEN, ChatUser, FakeTelegram, OfflineRequest, TelegramApiError


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    await update.effective_message.reply_text("Agree?", reply_markup=keyboard)


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("noted")
    await query.edit_message_text(f"You said {query.data}")


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    file = await message.document.get_file()
    content = bytes(await file.download_as_bytearray())
    await message.reply_document(content[::-1], filename="reversed.bin")


def _application(telegram: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        Application.builder()
        .token(BOT_TOKEN)
        .request(OfflineRequest(telegram))
        .get_updates_request(OfflineRequest(telegram))
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_pressed))
    app.add_handler(MessageHandler(filters.Document.ALL, _document))
    return app


async def test_command_button_and_edit_round_trip() -> None:
    telegram = FakeTelegram()
    app = _application(telegram)
    async with app:
        user = ChatUser(app, telegram, user_id=4242)
        calls = await user.command("/start")
        assert [c.method for c in calls] == ["sendMessage"]
        assert user.last_message().button_labels() == ["Yes"]

        calls = await user.press("Yes")
        assert user.answered_callbacks(calls) == [{"callback_query_id": "1", "text": "noted"}]
        assert user.last_message().text == "You said yes"
        assert user.last_message().button_labels() == []


async def test_documents_are_downloadable_and_uploads_recorded() -> None:
    telegram = FakeTelegram()
    app = _application(telegram)
    async with app:
        user = ChatUser(app, telegram, user_id=4243)
        calls = await user.send_document(b"abc", "data.bin")
        sent = [c for c in calls if c.method == "sendDocument"]
        assert len(sent) == 1
        assert sent[0].files["document"][1] == b"cba"
        assert user.last_message().document == ("reversed.bin", b"cba", "application/octet-stream")


async def test_injected_errors_reach_the_bot_as_telegram_errors() -> None:
    telegram = FakeTelegram()
    app = _application(telegram)
    async with app:
        telegram.blocked_chats.add(99)
        with pytest.raises(Forbidden):
            await app.bot.send_message(99, "hello")
        telegram.fail_next("sendMessage", TelegramApiError(400, "Bad Request: chat not found"))
        with pytest.raises(Exception, match=r"(?i)chat not found"):
            await app.bot.send_message(100, "hello")
        await app.bot.send_message(100, "hello")
        assert telegram.chat_messages(100)[-1].text == "hello"


def test_network_access_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
