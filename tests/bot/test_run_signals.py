"""``consultbot run`` stops on SIGTERM/SIGINT: in order on the first, at once on the second.

A real ``consultbot run`` process is started against a small fake Bot API server (HTTP on
127.0.0.1, in this test process). The fake can hold ``sendMessage`` open, which keeps an
update in flight, the situation in which a second signal used to hang the process forever
with the database never closed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BOT = {"id": 4242, "is_bot": True, "first_name": "Consultbot", "username": "consult_bot"}
USER = {"id": 777001, "is_bot": False, "first_name": "Signal", "language_code": "en"}


class FakeBotApi(ThreadingHTTPServer):
    """Answers the Bot API methods ``run`` needs; delivers queued updates once."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.updates: list[dict[str, object]] = []
        self.methods: list[str] = []
        self.hold_send_message = threading.Event()  # set: sendMessage waits until release
        self.release = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/bot"

    def called(self, method: str) -> bool:
        with self.lock:
            return method in self.methods


class _Handler(BaseHTTPRequestHandler):
    server: FakeBotApi

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with self.server.lock:
            self.server.methods.append(method)
        result: object = True
        if method == "getMe":
            result = BOT
        elif method == "getUpdates":
            with self.server.lock:
                result, self.server.updates = self.server.updates, []
            if not result:
                time.sleep(0.2)
        elif method == "sendMessage":
            if self.server.hold_send_message.is_set():
                self.server.release.wait(30)
            result = {"message_id": 1, "date": int(time.time()), "text": "…",
                      "chat": {"id": USER["id"], "type": "private"}, "from": BOT}
        body = json.dumps({"ok": True, "result": result}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the bot hung up (it was stopped)

    do_GET = do_POST


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    server = FakeBotApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def start_bot(api: FakeBotApi, tmp_path: Path) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULTBOT_")}
    env.update({"CONSULTBOT_TOKEN": "123:TEST", "CONSULTBOT_API_URL": api.url,
                "CONSULTBOT_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)})
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def start_update() -> dict[str, object]:
    return {"update_id": 1, "message": {
        "message_id": 10, "date": int(time.time()), "text": "/start",
        "chat": {"id": USER["id"], "type": "private"}, "from": USER,
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


def database_closed(tmp_path: Path) -> bool:
    """SQLite removes the write-ahead log when the last connection closes cleanly."""
    data = tmp_path / "data"
    return (data / "consultbot.sqlite3").is_file() and not (data / "consultbot.sqlite3-wal").exists()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_one_signal_stops_in_order_and_closes_the_database(api: FakeBotApi, tmp_path: Path,
                                                           stop: signal.Signals) -> None:
    bot = start_bot(api, tmp_path)
    try:
        wait_until(lambda: api.called("getUpdates"))
        bot.send_signal(stop)
        _, err = bot.communicate(timeout=30)
    finally:
        bot.kill()
    assert bot.returncode == 0, err
    assert "Traceback" not in err
    assert database_closed(tmp_path)


def test_a_second_signal_during_shutdown_exits_promptly_and_closes_the_database(
        api: FakeBotApi, tmp_path: Path) -> None:
    api.hold_send_message.set()  # the answer to /start stays in flight
    bot = start_bot(api, tmp_path)
    try:
        wait_until(lambda: api.called("getUpdates"))
        api.updates.append(start_update())
        wait_until(lambda: api.called("sendMessage"))
        bot.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert bot.poll() is None, "the first signal waits for the update in flight"
        started = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        _, err = bot.communicate(timeout=20)
        took = time.monotonic() - started
    finally:
        api.release.set()
        bot.kill()
    assert took < 4, f"the second signal took {took:.1f} s"
    assert bot.returncode == 1, err  # work was abandoned
    assert "Second stop signal" in err
    assert "Traceback" not in err
    assert database_closed(tmp_path)
    assert str(USER["id"]) not in err  # no ids in the log
