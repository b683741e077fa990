"""The harness and the emulator's python-telegram-bot 22 compatibility layer, proven with a real
ptb bot process (tests/e2e/echo_bot.py). If these fail, every other end-to-end test is suspect."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.harness import BotProcess, Emulator, TelegramUser, find_bytes, find_leaks

ECHO_BOT = (sys.executable, str(Path(__file__).with_name("echo_bot.py")))


@pytest.fixture
def echo_bot(start_bot: Callable[..., BotProcess], user: TelegramUser) -> BotProcess:
    return start_bot(command=ECHO_BOT, admins=[user])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def test_command_with_argument_and_text(echo_bot: BotProcess, user: TelegramUser) -> None:
    user.send_command("/start", "survey-42")
    greeting = user.wait_for_bot()
    assert greeting.text == "Hello! argument=survey-42"
    assert greeting.button_labels == ["Ping", "Close"]
    assert greeting.raw["date"] < 10**10  # seconds, as Telegram sends them

    user.send_text("hello there")
    assert user.wait_for_bot().text == "echo: hello there"
    assert user.last_bot_message().text == "echo: hello there"


def test_button_press_edits_the_message_and_answers_the_query(echo_bot: BotProcess, user: TelegramUser) -> None:
    user.send_command("/start")
    first = user.wait_for_bot(contains="Hello")

    query_id = user.press("Ping")
    edited = user.wait_for_bot(contains="Pong #1")
    assert edited.message_id == first.message_id and edited.edited
    assert user.wait_for_callback_answer(query_id)["text"] == "pong"

    user.press("Ping")
    assert [m.text for m in user.unseen_bot_messages()] in ([], ["Pong #2"])  # the bot may be quick
    assert user.wait_for_bot().text == "Pong #2"
    assert user.unseen_bot_messages() == []

    user.press("Close")
    closed = user.wait_for_bot(contains="Closed.")
    assert closed.buttons == ()  # an edit without reply_markup removes the keyboard, as in Telegram
    with pytest.raises(AssertionError, match="no button 'Ping'"):
        user.press("Ping")


def test_forged_callback_data_reaches_the_bot(echo_bot: BotProcess, user: TelegramUser) -> None:
    user.send_command("/start")
    message = user.wait_for_bot()
    user.send_callback("forged:" + "x" * 40, message.message_id)
    answer = user.wait_for_callback_answer()
    assert answer["text"] == "Unknown button" and answer["show_alert"] == "true"


def test_user_photo_is_downloaded_by_the_bot_and_sent_back(
    echo_bot: BotProcess, user: TelegramUser, tmp_path: Path
) -> None:
    from PIL import Image

    picture = tmp_path / "picture.png"
    Image.new("RGB", (7, 5), (1, 2, 3)).save(picture)
    user.send_photo(picture)
    report = user.wait_for_bot(contains="photo")
    assert report.text == f"photo 7x5: {picture.stat().st_size} bytes, sha256 {sha(picture.read_bytes())}"
    assert (echo_bot.data_dir / "last_photo.bin").read_bytes() == picture.read_bytes()

    back = user.wait_for_bot(contains="your photo back")
    assert back.photo is not None and back.photo[-1]["width"] == 7
    assert user.download(back) == picture.read_bytes()


def test_user_document_is_downloaded_by_the_bot_and_sent_back(
    echo_bot: BotProcess, user: TelegramUser, tmp_path: Path
) -> None:
    survey = tmp_path / "survey.yaml"
    survey.write_text("title: Test\nquestions: []\n", encoding="utf-8")
    user.send_document(survey)
    report = user.wait_for_bot(contains="document")
    expected = f"document survey.yaml (application/x-yaml): {survey.stat().st_size} bytes"
    assert report.text.startswith(expected)
    back = user.wait_for_bot(predicate=lambda m: m.document is not None)
    assert back.document is not None and back.document["file_name"] == "echo-survey.yaml"
    assert user.download(back) == survey.read_bytes()


def test_media_group_and_deleted_messages(echo_bot: BotProcess, user: TelegramUser) -> None:
    user.send_command("/album")
    first = user.wait_for_bot()
    second = user.wait_for_bot()
    assert first.media_group_id is not None and first.media_group_id == second.media_group_id
    assert first.text == "first" and (first.photo or [{}])[-1]["width"] == 2
    assert user.download(first) != user.download(second)

    user.send_command("/delete")
    user.wait_for_bot(contains="Deleted.")
    assert [m.text for m in user.deleted_bot_messages()] == ["This will vanish"]


def test_set_my_commands_is_recorded_per_scope(echo_bot: BotProcess, user: TelegramUser, emulator: Emulator) -> None:
    scopes = [json.loads(c["params"].get("scope", "null")) for c in emulator.bot_calls(user.token, "setMyCommands")]
    assert scopes == [None, {"type": "all_private_chats"}, {"type": "chat", "chat_id": user.user_id}]


def test_updates_sent_while_the_bot_is_down_arrive_after_a_restart(echo_bot: BotProcess, user: TelegramUser) -> None:
    assert echo_bot.stop() == 0  # SIGTERM: python-telegram-bot shuts down cleanly
    user.send_text("are you there?")
    echo_bot.start()
    assert user.wait_for_bot().text == "echo: are you there?"
    echo_bot.restart()
    user.send_text("still here")
    assert user.wait_for_bot().text == "echo: still here"
    assert "Traceback" not in echo_bot.log_text()


def test_injected_failures_reach_the_bot_as_telegram_errors(
    echo_bot: BotProcess, user: TelegramUser, emulator: Emulator
) -> None:
    emulator.fail_next_calls(user.token, "sendMessage", retry_after=7)
    user.send_text("one")
    echo_bot.wait_for_log("handler error: RetryAfter")
    user.send_text("two")  # only the next call failed
    assert user.wait_for_bot().text == "echo: two"

    user.block_bot()
    user.send_text("three")
    assert "Forbidden: bot was blocked by the user" in echo_bot.wait_for_log("Forbidden")
    user.block_bot(False)
    user.send_text("four")
    assert user.wait_for_bot().text == "echo: four"


def test_users_see_only_their_own_chat(
    echo_bot: BotProcess, make_user: Callable[..., TelegramUser], user: TelegramUser
) -> None:
    other = make_user()
    assert other.user_id != user.user_id and other.identity.first_name != user.identity.first_name
    user.send_text("mine")
    other.send_text("theirs")
    assert other.wait_for_bot().text == "echo: theirs"
    assert user.wait_for_bot().text == "echo: mine"
    assert [m.text for m in other.bot_messages()] == ["echo: theirs"]
    assert other.unseen_bot_messages() == [] and user.unseen_bot_messages() == []


def test_leak_scan_finds_ids_in_sqlite_text_logs_and_zips(user: TelegramUser, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    database = sqlite3.connect(clean / "clean.db")
    database.execute("CREATE TABLE t (n INTEGER, s TEXT)")
    database.execute("INSERT INTO t VALUES (?, ?)", (user.user_id + 1, "someone else"))
    database.commit()
    database.close()
    assert find_leaks([clean], [user]) == []

    dirty = tmp_path / "dirty"
    dirty.mkdir()
    database = sqlite3.connect(dirty / "dirty.db")
    database.execute("CREATE TABLE t (n INTEGER)")
    database.execute("INSERT INTO t VALUES (?)", (user.user_id,))
    database.commit()
    database.close()
    (dirty / "bot.log").write_text(f"INFO update from {user.identity.username.upper()}\n")
    (dirty / "raw.bin").write_bytes(b"\x01" + user.user_id.to_bytes(8, "little") + b"\x02")
    with zipfile.ZipFile(dirty / "export.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sheet.xml", f"<c>{user.user_id}</c>" + "padding " * 100)
    found = {(Path(leak.path.split("!")[0]).name, leak.what.split("'s ")[1]) for leak in find_leaks([dirty], [user])}
    assert found == {
        ("dirty.db", "user id as 6-byte big-endian integer"),
        ("bot.log", "username"),
        ("raw.bin", "user id as 6-byte little-endian integer"),
        ("export.xlsx", "user id as decimal text"),
    }
    assert find_bytes([dirty / "raw.bin"], {"marker": b"\x02"})[0].offset == 9


def test_echo_bot_run_leaves_no_identity_in_its_data_or_log(
    echo_bot: BotProcess, user: TelegramUser, tmp_path: Path
) -> None:
    user.send_command("/start")
    user.wait_for_bot()
    (tmp_path / "upload.txt").write_bytes(io.BytesIO(b"evidence").getvalue())
    user.send_document(tmp_path / "upload.txt")
    user.wait_for_bot(contains="document")
    assert echo_bot.stop() == 0
    assert find_leaks([echo_bot.data_dir, echo_bot.log_path], [user]) == []
