"""The telegram-test-api emulator process (tests/e2e/emulator/server.js) and its client API.

The emulator is a Node.js program; the tests install its pinned npm packages themselves
(``npm ci``) so a clean CI machine needs nothing but Node.js and npm. A missing Node.js is a
test failure, never a skip: CI must not pass without the end-to-end tests.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "DEFAULT_TIMEOUT",
    "EMULATOR_DIR",
    "Emulator",
    "EmulatorError",
    "ensure_emulator_installed",
    "terminate_with_parent",
]

EMULATOR_DIR = Path(__file__).resolve().parents[1] / "emulator"
#: Seconds any wait of the harness gives the bot before failing the test.
DEFAULT_TIMEOUT = float(os.environ.get("E2E_TIMEOUT", "20"))
#: Packages server.js requires; their presence means ``npm ci`` has run.
_REQUIRED = {"telegram-test-api": "4.2.1", "busboy": "1.6.0", "express": "4.18.3"}


def terminate_with_parent() -> None:
    """``preexec_fn`` for child processes: SIGTERM them when the test run dies (Linux).

    Without this, a killed pytest leaves a bot polling and an emulator listening on a machine
    the whole team shares.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class EmulatorError(RuntimeError):
    """The emulator could not be installed, started, or refused a client request."""


def _installed() -> bool:
    for name, version in _REQUIRED.items():
        manifest = EMULATOR_DIR / "node_modules" / name / "package.json"
        if not manifest.is_file() or json.loads(manifest.read_text())["version"] != version:
            return False
    return True


def ensure_emulator_installed() -> None:
    """Run ``npm ci`` in tests/e2e/emulator unless the pinned packages are already there.

    Raises:
        EmulatorError: Node.js or npm is missing, or ``npm ci`` failed (with npm's output).
    """
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise EmulatorError(
                f"{tool} not found: the end-to-end tests need Node.js and npm "
                "(e.g. apt-get install nodejs npm)"
            )
    version = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    if not version.startswith("v") or int(version[1:].split(".")[0]) < 18:
        raise EmulatorError(f"the end-to-end tests need Node.js 18 or newer, found {version or 'nothing'}")
    # Several test runs may share a checkout; one npm ci at a time, the others wait for it.
    lock_path = Path(tempfile.gettempdir()) / f"consultbot-e2e-npm-{os.getuid()}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():
            return
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=EMULATOR_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not _installed():
            raise EmulatorError(f"npm ci failed in {EMULATOR_DIR}:\n{result.stdout}\n{result.stderr}")


class Emulator:
    """A running emulator on 127.0.0.1 and the client routes the tests drive it with."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        #: What CONSULTBOT_API_URL must be: python-telegram-bot's base_url (token appended).
        self.bot_api_url = f"{self.url}/bot"
        self._http = httpx.Client(base_url=self.url, timeout=DEFAULT_TIMEOUT + 60)

    @classmethod
    def start(cls, log_dir: Path, timeout: float = DEFAULT_TIMEOUT) -> Emulator:
        """Install if needed and start server.js on a free port the OS picks.

        Raises:
            EmulatorError: It did not come up within ``timeout`` seconds (its log is included).
        """
        ensure_emulator_installed()
        port_file = log_dir / "emulator.port"
        log_path = log_dir / "emulator.log"
        env = {k: v for k, v in os.environ.items() if k != "DEBUG"}  # no payload debug logs
        env["E2E_EMULATOR_PORT_FILE"] = str(port_file)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                ["node", str(EMULATOR_DIR / "server.js"), "0"],
                cwd=EMULATOR_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=terminate_with_parent,  # noqa: PLW1509  # only prctl, before exec
            )
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise EmulatorError(f"emulator did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.02)
        return cls(process, int(port_file.read_text()), log_path)

    def stop(self) -> None:
        """Stop the emulator process (SIGTERM, then SIGKILL)."""
        self._http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    @staticmethod
    def new_token() -> str:
        """A fresh bot token: the emulator keeps each token's chats apart, so tests never mix."""
        bot_id = 7000000000 + secrets.randbelow(999999999)
        return f"{bot_id}:E2E{secrets.token_hex(16)}"

    def call(self, route: str, payload: dict[str, Any], timeout: float | None = None) -> Any:
        """POST a client route and return its ``result``.

        Raises:
            EmulatorError: The route answered ``ok: false``.
        """
        response = self._http.post(route, json=payload, timeout=timeout)
        body = response.json()
        if not body.get("ok"):
            raise EmulatorError(f"{route} failed: {body.get('description') or body}")
        return body["result"]

    def chat_messages(
        self, token: str, chat_id: int, after_version: int | None = None, timeout: float = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """All messages of a chat in Bot API form, oldest first, and the bot's change counter.

        With ``after_version``, waits (at most ``timeout`` seconds) until the bot has sent, edited
        or deleted something for this token since that counter value.
        """
        payload: dict[str, Any] = {"token": token, "chatId": chat_id}
        if after_version is not None:
            payload |= {"afterVersion": after_version, "timeout": timeout}
        result = self.call("/getChatMessages", payload, timeout=timeout + 30)
        return result["version"], result["messages"]

    def bot_calls(self, token: str, method: str | None = None) -> list[dict[str, Any]]:
        """Every Bot API call this token's bot made: ``{seq, method, params, time}``, in order.

        ``params`` are the form fields as sent, JSON values still encoded as strings.
        """
        calls = self.call("/getBotCalls", {"token": token})
        return [c for c in calls if method is None or c["method"] == method]

    def polling_status(self, token: str) -> dict[str, int]:
        """``{getUpdatesCalls, waiting}``: how often the bot asked for updates, and if it waits now."""
        return self.call("/pollingStatus", {"token": token})

    def file_content(self, file_id: str) -> bytes:
        """The bytes of a file the bot or a user sent."""
        response = self._http.get(f"/fileContent/{file_id}")
        if response.status_code != 200:
            raise EmulatorError(f"no file {file_id!r} in the emulator")
        return response.content

    def block_bot(self, token: str, chat_id: int, blocked: bool = True) -> None:
        """Make the bot's sends to ``chat_id`` fail with 403 "bot was blocked by the user"."""
        self.call("/blockBot", {"token": token, "chatId": chat_id, "blocked": blocked})

    def fail_next_calls(
        self,
        token: str,
        method: str,
        count: int = 1,
        error_code: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """Make the bot's next ``count`` calls of ``method`` fail (default: 429 flood control)."""
        payload: dict[str, Any] = {"token": token, "method": method, "count": count, "errorCode": error_code}
        if retry_after is not None:
            payload["retryAfter"] = retry_after
        if description is not None:
            payload["description"] = description
        self.call("/failNextCalls", payload)
