"""A bad ``CONSULTBOT_REPORT_KEY`` stops ``consultbot run`` before it contacts Telegram.

README promises that ``run`` checks the configuration first and exits with status 2 (which
systemd does not restart) with one clear line per problem. The moderators' public key used
to be read only when the database opened, after ``getMe``: a missing file came out as
"cannot listen on 127.0.0.1:8080" with status 1, a malformed one as a traceback. A small
Bot API stand-in on 127.0.0.1 records every request, so the tests can tell that none was
made.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.cli import main
from storage.sealing import generate_key_pair


class RecordingApi(ThreadingHTTPServer):
    """Answers every request with Telegram's "Not Found" and remembers its path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.paths: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/bot"


class _Handler(BaseHTTPRequestHandler):
    server: RecordingApi

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet

    def do_POST(self) -> None:
        self.server.paths.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"ok": false, "error_code": 404, "description": "Not Found"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST


@pytest.fixture
def api() -> Iterator[RecordingApi]:
    server = RecordingApi()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run_with_report_key(monkeypatch: pytest.MonkeyPatch, api: RecordingApi, data_dir: Path,
                        report_key: Path) -> int:
    for name in list(os.environ):
        # The key file stays the temporary one the test session set (never ~/.config).
        if name.startswith("CONSULTBOT_") and name != "CONSULTBOT_KEY_FILE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("LANGUAGE", "C")  # the assertions read the English messages
    monkeypatch.setenv("CONSULTBOT_TOKEN", "123456:" + "a" * 35)
    monkeypatch.setenv("CONSULTBOT_API_URL", api.url)
    monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CONSULTBOT_REPORT_KEY", str(report_key))
    return main(["run"])


def _missing(directory: Path) -> Path:
    return directory / "keys" / "consultbot-reports.pub"


def _malformed(content: str) -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / "consultbot-reports.pub"
        path.write_text(content, encoding="ascii")
        return path

    return write


def _private(directory: Path) -> Path:
    # It would load as a public key nobody holds the private half of: every report unreadable.
    private, _public = generate_key_pair(directory / "keys")
    return private


@pytest.mark.parametrize(("make_key", "message"), [
    (_missing, "CONSULTBOT_REPORT_KEY ({key}): no such file"),
    (_malformed("not a key at all\n"), "CONSULTBOT_REPORT_KEY ({key}) is not a moderators' public key"),
    (_malformed("# a comment\nAAAA\n"),  # base64, but 3 bytes
     "CONSULTBOT_REPORT_KEY ({key}) is not a moderators' public key"),
    (_malformed("one line\nanother line\n"),
     "CONSULTBOT_REPORT_KEY ({key}) is not a moderators' public key"),
    (_private, "CONSULTBOT_REPORT_KEY ({key}) is the moderators' PRIVATE key"),
    (lambda directory: directory, "CONSULTBOT_REPORT_KEY ({key}): cannot read the file"),
], ids=["missing", "not-a-key", "too-short", "two-lines", "private-key", "a-directory"])
def test_a_bad_report_key_stops_run_before_telegram(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api: RecordingApi,
        capsys: pytest.CaptureFixture[str], make_key: Callable[[Path], Path],
        message: str) -> None:
    key = make_key(tmp_path)
    code = run_with_report_key(monkeypatch, api, tmp_path / "data", key)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message.format(key=key) in err
    assert "Traceback" not in err and "cannot listen" not in err
    assert api.paths == []  # not even getMe
    assert not (tmp_path / "data" / "consultbot.sqlite3").exists()


def test_a_good_report_key_passes_the_check(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, api: RecordingApi,
        capsys: pytest.CaptureFixture[str]) -> None:
    _private, public = generate_key_pair(tmp_path / "keys")
    code = run_with_report_key(monkeypatch, api, tmp_path / "data", public)
    err = capsys.readouterr().err
    # Past the configuration: the stand-in rejects the token, so the bot stops there.
    assert code == 1 and "Telegram rejected CONSULTBOT_TOKEN" in err, err
    assert "CONSULTBOT_REPORT_KEY" not in err
    assert any(path.endswith("/getMe") for path in api.paths)
