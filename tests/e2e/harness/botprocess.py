"""A real bot process (``consultbot run`` or the echo bot) pointed at the emulator.

Its stdout and stderr go to one log file that survives restarts, because the privacy tests scan
the logs for identities as they scan the data directory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.e2e.harness.emulator import DEFAULT_TIMEOUT, Emulator, terminate_with_parent

__all__ = ["CONSULTBOT_RUN", "BotProcess"]

#: ``consultbot run`` as a subprocess of this interpreter (works in any venv, even uninstalled scripts).
CONSULTBOT_RUN: tuple[str, ...] = (sys.executable, "-m", "bot.cli", "run")


class BotProcess:
    """A bot subprocess with the consultbot environment, startable, stoppable and restartable."""

    def __init__(
        self,
        emulator: Emulator,
        token: str,
        data_dir: Path,
        log_path: Path,
        command: Sequence[str] = CONSULTBOT_RUN,
        surveys: Path | None = None,
        admins: Sequence[int] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Prepare (not start) the process.

        Args:
            emulator: The emulator the bot talks to.
            token: The bot token (CONSULTBOT_TOKEN); None-like values are the test's business.
            data_dir: CONSULTBOT_DATA_DIR, kept across restarts.
            log_path: Where stdout and stderr go (appended on each start).
            command: The program; ``consultbot run`` by default.
            surveys: CONSULTBOT_SURVEYS, if any.
            admins: CONSULTBOT_ADMINS.
            env: Extra or overriding variables; a value of "" removes the variable.
        """
        self.emulator = emulator
        self.token = token
        self.data_dir = data_dir
        self.log_path = log_path
        self.command = list(command)
        self.env = self._environment(surveys, admins, env or {})
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def _environment(self, surveys: Path | None, admins: Sequence[int], extra: Mapping[str, str]) -> dict[str, str]:
        # Nothing CONSULTBOT_* leaks in from the developer's shell.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTBOT_")}
        env |= {
            "PYTHONUNBUFFERED": "1",
            "CONSULTBOT_TOKEN": self.token,
            "CONSULTBOT_API_URL": self.emulator.bot_api_url,
            "CONSULTBOT_DATA_DIR": str(self.data_dir),
            # The key lives outside the data directory, as in production (kept across restarts).
            "CONSULTBOT_KEY_FILE": str(self.data_dir.parent / f"{self.data_dir.name}-key" / "secret.key"),
        }
        if surveys is not None:
            env["CONSULTBOT_SURVEYS"] = str(surveys)
        if admins:
            env["CONSULTBOT_ADMINS"] = ",".join(str(a) for a in admins)
        env |= extra
        return {k: v for k, v in env.items() if v != ""}

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def start(self, wait: bool = True, timeout: float = DEFAULT_TIMEOUT) -> BotProcess:
        """Start the process; with ``wait``, return once it long-polls the emulator."""
        assert not self.running, "the bot is already running"
        baseline = self.emulator.polling_status(self.token)["getUpdatesCalls"]
        self.starts += 1
        # The data directory is the bot's to create (it makes it private, mode 0700).
        with self.log_path.open("ab") as log:
            log.write(f"--- e2e harness: start #{self.starts} ---\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=self.data_dir.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=terminate_with_parent,  # noqa: PLW1509  # only prctl, before exec
            )
        if wait:
            self.wait_until_polling(baseline, timeout)
        return self

    def wait_until_polling(self, baseline: int = 0, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Wait until the bot has asked the emulator for updates more than ``baseline`` times.

        Raises:
            AssertionError: The process exited or did not poll in time (its log is included).
        """
        deadline = time.monotonic() + timeout
        while self.emulator.polling_status(self.token)["getUpdatesCalls"] <= baseline:
            if not self.running:
                raise AssertionError(f"the bot exited with {self.returncode} before polling:\n{self.log_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not poll within {timeout}s:\n{self.log_text()}")
            time.sleep(0.05)

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Wait for the process to exit on its own (e.g. a start-up error) and return its code."""
        assert self.process is not None, "the bot was never started"
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the bot did not exit within {timeout}s:\n{self.log_text()}") from None

    def stop(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """Send SIGTERM and wait for the exit, as a service manager would.

        Returns:
            The exit code (already-exited processes just report theirs).

        Raises:
            AssertionError: It ignored SIGTERM for ``timeout`` seconds (then it is killed).
        """
        assert self.process is not None, "the bot was never started"
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"the bot ignored SIGTERM for {timeout}s:\n{self.log_text()}") from None
        return self.process.returncode

    def restart(self, timeout: float = DEFAULT_TIMEOUT) -> BotProcess:
        """Stop (SIGTERM) and start again with the same data directory, waiting until it polls.

        Raises:
            AssertionError: The stop was not clean (non-zero exit code).
        """
        code = self.stop(timeout)
        assert code == 0, f"the bot exited with {code} on SIGTERM:\n{self.log_text()}"
        return self.start(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL: a crash, nothing flushed."""
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait()

    def wait_for_log(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        """Wait until the log contains ``text`` (e.g. a retry the bot logs); returns the log.

        Raises:
            AssertionError: Not logged within ``timeout`` seconds (the log is included).
        """
        deadline = time.monotonic() + timeout
        while text not in (log := self.log_text()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the bot's log after {timeout}s:\n{log}")
            time.sleep(0.05)
        return log

    def log_text(self) -> str:
        """Everything the bot printed so far, all starts."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
