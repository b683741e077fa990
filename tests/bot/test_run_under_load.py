"""``consultbot run`` stops within 5 s with 300 updates waiting, and loses none of them.

A real ``consultbot run`` process polls a fake Bot API (HTTP on 127.0.0.1) that keeps
Telegram's contract for ``getUpdates``: an update is forgotten once a call's ``offset`` is
above its id, at most ``limit`` are returned. 300 participants' ``/start`` wait there; the
bot's replies go through its rate limiter (30 per second), so handling them all would take
about ten seconds. SIGTERM must end the process within five, with the database closed, and
every update either answered or still waiting at Telegram, so the next start answers it.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.test_run_signals import BOT, database_closed, start_bot, wait_until

BACKLOG = 300
FIRST_USER = 880_001


class TelegramLikeApi:
    """The state of a fake Bot API whose getUpdates honours ``offset`` and ``limit``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: list[dict[str, object]] = []  # not yet confirmed
        self.answered: list[int] = []  # chat ids of sendMessage calls
        self.calls: list[tuple[str, dict[str, object]]] = []  # every method and its parameters

    def updates(self, body: dict[str, object]) -> list[dict[str, object]]:
        offset = int(str(body.get("offset") or 0))
        limit = int(str(body.get("limit") or 100))
        with self.lock:
            self.waiting = [u for u in self.waiting if int(str(u["update_id"])) >= offset]
            return self.waiting[:limit]

    def unanswered_users(self) -> set[int]:
        with self.lock:
            return {int(u["message"]["from"]["id"]) for u in self.waiting}  # type: ignore[index]


def start_update(update_id: int, user_id: int) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Load", "language_code": "en"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": "/start",
        "chat": {"id": user_id, "type": "private"}, "from": user,
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


@pytest.fixture
def api() -> Iterator[object]:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state = TelegramLikeApi()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            method = self.path.rsplit("/", 1)[-1]
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = _form_or_json(raw, self.headers.get("Content-Type", ""))
            result: object = True
            with state.lock:
                state.calls.append((method, body))
            if method == "getMe":
                result = BOT
            elif method == "getUpdates":
                result = state.updates(body)
                if not result:
                    time.sleep(0.1)
            elif method == "sendMessage":
                chat_id = int(str(body["chat_id"]))
                with state.lock:
                    state.answered.append(chat_id)
                result = {"message_id": 1, "date": int(time.time()), "text": "…",
                          "chat": {"id": chat_id, "type": "private"}, "from": BOT}
            payload = json.dumps({"ok": True, "result": result}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = state  # type: ignore[attr-defined]  # the test reads it back
    server.url = f"http://127.0.0.1:{server.server_address[1]}/bot"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _form_or_json(raw: bytes, content_type: str) -> dict[str, object]:
    if "json" in content_type:
        return dict(json.loads(raw or b"{}"))
    from urllib.parse import parse_qsl

    return dict(parse_qsl(raw.decode()))


def test_sigterm_with_300_updates_waiting_exits_within_5_s_and_loses_none(
        api: object, tmp_path: Path) -> None:
    state: TelegramLikeApi = api.state  # type: ignore[attr-defined]
    everyone = set(range(FIRST_USER, FIRST_USER + BACKLOG))
    state.waiting = [start_update(n + 1, user) for n, user in enumerate(sorted(everyone))]
    bot = start_bot(api, tmp_path)  # type: ignore[arg-type]  # it only reads .url
    try:
        wait_until(lambda: len(state.answered) >= 20)  # the backlog is being worked through
        bot.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        _, err = bot.communicate(timeout=30)
        took = time.monotonic() - stopped
    finally:
        bot.kill()
    assert bot.returncode == 0, err
    assert took < 5, f"the stop took {took:.1f} s"
    assert "Traceback" not in err
    assert database_closed(tmp_path)
    answered = set(state.answered)
    waiting = state.unanswered_users()
    assert len(answered) < BACKLOG / 2, "the stop was not under load"
    assert answered | waiting == everyone  # answered, or still with Telegram: none lost
    assert not answered & waiting  # and nothing answered comes again

    again = start_bot(api, tmp_path)  # type: ignore[arg-type]
    try:
        wait_until(lambda: set(state.answered) == everyone, timeout=60)
        again.send_signal(signal.SIGTERM)
        _, err = again.communicate(timeout=30)
    finally:
        again.kill()
    assert again.returncode == 0, err
    assert not state.unanswered_users()
