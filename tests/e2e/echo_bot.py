"""A tiny python-telegram-bot 22 bot that proves the e2e harness and guards the emulator's
compatibility layer (tests/e2e/test_harness.py): commands, text, inline buttons and edits,
files both ways, media groups, deletions, setMyCommands.

Configured like ``consultbot run``: CONSULTBOT_TOKEN, CONSULTBOT_API_URL, CONSULTBOT_DATA_DIR,
CONSULTBOT_ADMINS. Run: ``python tests/e2e/echo_bot.py``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import sys
from pathlib import Path

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

DATA_DIR = Path(os.environ.get("CONSULTBOT_DATA_DIR", "echo-data"))
KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Ping", callback_data="ping")], [InlineKeyboardButton("Close", callback_data="close")]]
)


def tiny_png(shade: int) -> bytes:
    """A 2x3 PNG made with Pillow (a project dependency), so sent photos have real sizes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 3), (shade, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def fingerprint(data: bytes) -> str:
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    argument = " ".join(context.args or [])
    text = f"Hello! argument={argument}" if argument else "Hello!"
    await update.effective_message.reply_text(text, reply_markup=KEYBOARD)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query.data == "ping":
        presses = context.chat_data["pings"] = context.chat_data.get("pings", 0) + 1
        await query.answer("pong")
        await query.edit_message_text(f"Pong #{presses}", reply_markup=KEYBOARD)
    elif query.data == "close":
        await query.answer()
        await query.edit_message_text("Closed.")  # no reply_markup: the keyboard goes away
    else:
        await query.answer("Unknown button", show_alert=True)


async def delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    doomed = await update.effective_message.reply_text("This will vanish")
    await doomed.delete()
    await update.effective_message.reply_text("Deleted.")


async def album(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    media = [InputMediaPhoto(tiny_png(10), caption="first"), InputMediaPhoto(tiny_png(200))]
    await update.effective_message.reply_media_group(media)


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    largest = update.effective_message.photo[-1]
    data = bytes(await (await largest.get_file()).download_as_bytearray())
    (DATA_DIR / "last_photo.bin").write_bytes(data)
    await update.effective_message.reply_text(f"photo {largest.width}x{largest.height}: {fingerprint(data)}")
    await update.effective_message.reply_photo(data, caption="your photo back")


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    doc = update.effective_message.document
    path = await (await doc.get_file()).download_to_drive(DATA_DIR / "last_document.bin")
    data = path.read_bytes()
    await update.effective_message.reply_text(f"document {doc.file_name} ({doc.mime_type}): {fingerprint(data)}")
    await update.effective_message.reply_document(data, filename=f"echo-{doc.file_name}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Only the exception's class and text: never the update (it carries who sent it).
    print(f"handler error: {type(context.error).__name__}: {context.error}", file=sys.stderr, flush=True)


async def post_init(application: Application) -> None:
    commands = [BotCommand("start", "greet"), BotCommand("delete", "delete a message"), BotCommand("album", "album")]
    await application.bot.set_my_commands(commands)
    await application.bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(), language_code="en")
    for admin in filter(None, os.environ.get("CONSULTBOT_ADMINS", "").split(",")):
        await application.bot.set_my_commands(commands[:1], scope=BotCommandScopeChat(int(admin)))


def main() -> int:
    token = os.environ.get("CONSULTBOT_TOKEN")
    if not token:
        print("echo bot: CONSULTBOT_TOKEN is not set", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    api_url = os.environ["CONSULTBOT_API_URL"]
    # Bot API servers serve files under /file/bot<token>/ next to /bot<token>/.
    file_url = api_url[: -len("/bot")] + "/file/bot" if api_url.endswith("/bot") else api_url
    application = (
        Application.builder().token(token).base_url(api_url).base_file_url(file_url).post_init(post_init).build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("delete", delete))
    application.add_handler(CommandHandler("album", album))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(filters.PHOTO, photo))
    application.add_handler(MessageHandler(filters.Document.ALL, document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_error_handler(on_error)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
