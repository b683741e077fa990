"""JSON logs: one object per line, fixed fields, no update payloads, no token."""

from __future__ import annotations

import json
import logging

from telegram import Chat, Message, Update, User

from bot.json_logs import JsonFormatter

TOKEN = "123456789:" + "B" * 35


def record(msg: str, *args: object, exc: BaseException | None = None,
           extra: dict[str, object] | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    made = logging.LogRecord("consultbot.test", logging.WARNING, __file__, 1, msg, args,
                             exc_info)
    for name, value in (extra or {}).items():
        setattr(made, name, value)
    return made


def an_update() -> Update:
    user = User(id=987654321, first_name="Amina", is_bot=False, username="amina_w")
    chat = Chat(id=987654321, type="private")
    message = Message(message_id=5, date=__import__("datetime").datetime(2026, 1, 1), chat=chat,
                      from_user=user, text="my manager withholds wages")
    return Update(update_id=1, message=message)


def test_a_line_is_one_json_object_with_fixed_fields() -> None:
    line = JsonFormatter().format(record("outbox: %d messages waiting", 4))
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message"}
    assert entry["message"] == "outbox: 4 messages waiting" and entry["level"] == "WARNING"


def test_an_update_given_as_an_argument_is_redacted() -> None:
    update = an_update()
    line = JsonFormatter().format(record("cannot handle %s (%r)", update, update.to_dict()))
    for secret in ("987654321", "Amina", "amina_w", "withholds wages"):
        assert secret not in line
    assert "<redacted Update>" in line and "<redacted dict>" in line


def test_extra_attributes_are_never_written() -> None:
    line = JsonFormatter().format(record("handled", extra={"update": an_update().to_dict(),
                                                           "user_id": 987654321}))
    assert "987654321" not in line and set(json.loads(line)) == {"time", "level", "logger",
                                                                  "message"}


def test_the_token_is_removed_everywhere_even_from_tracebacks() -> None:
    try:
        raise ConnectionError(f"https://api.telegram.org/bot{TOKEN}/getUpdates failed")
    except ConnectionError as error:
        line = JsonFormatter(TOKEN).format(record("poll for %s", TOKEN, exc=error))
    assert TOKEN not in line
    entry = json.loads(line)
    assert entry["error"] == "ConnectionError" and "<token>" in entry["traceback"]
