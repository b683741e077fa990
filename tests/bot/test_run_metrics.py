"""``consultbot run`` with ``CONSULTBOT_METRICS_LISTEN`` serves /healthz and /metrics.

A real process against the fake Bot API of the signal tests: a /start is handled, the
metrics count it, and nothing in the scrape names the person who sent it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.bot.test_run_signals import USER, FakeBotApi, api, start_update, wait_until

__all__ = ["api"]  # the fixture, shared with the signal tests


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def test_run_serves_health_and_metrics_without_identities(api: FakeBotApi, tmp_path: Path) -> None:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULTBOT_")}
    env.update({"CONSULTBOT_TOKEN": "123:TEST", "CONSULTBOT_API_URL": api.url,
                "CONSULTBOT_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path),
                "CONSULTBOT_METRICS_LISTEN": f"127.0.0.1:{port}",
                "CONSULTBOT_LOG_FORMAT": "json"})
    api.updates.append(start_update())
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: api.called("sendMessage"))
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: "consultbot_updates_handled_total 1.0" in _get(f"{base}/metrics")[1])
        status, _body = _get(f"{base}/healthz")
        assert status == 200
        scrape = _get(f"{base}/metrics")[1]
        assert "consultbot_database_bytes" in scrape
        assert str(USER["id"]) not in scrape and str(USER["first_name"]) not in scrape
        bot.send_signal(signal.SIGTERM)
        _, err = bot.communicate(timeout=30)
    finally:
        bot.kill()
    assert bot.returncode == 0, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(isinstance(json.loads(line), dict) for line in lines)  # JSON logs
    assert str(USER["id"]) not in err
