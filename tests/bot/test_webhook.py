"""``consultbot run --webhook URL --listen HOST:PORT``: Telegram's requests need the secret.

A real ``consultbot run`` process registers its webhook with a fake Bot API (which records
``setWebhook``) and serves python-telegram-bot's webhook server on 127.0.0.1; the test then
plays Telegram, posting a real Update JSON with and without the secret header.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.bot.test_run_signals import database_closed, wait_until
from tests.bot.test_run_under_load import TelegramLikeApi, api, start_update

__all__ = ["api"]  # the fixture, shared with the load test

SECRET = "correct-horse_battery-staple-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_webhook_bot(api: object, tmp_path: Path, port: int,
                      secret: str | None) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULTBOT_")}
    env.update({"CONSULTBOT_TOKEN": "123:TEST", "CONSULTBOT_API_URL": api.url,  # type: ignore[attr-defined]
                "CONSULTBOT_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path)})
    if secret is not None:
        env["CONSULTBOT_WEBHOOK_SECRET"] = secret
    command = [sys.executable, "-m", "bot.cli", "run",
               "--webhook", f"http://127.0.0.1:{port}/telegram", "--listen", f"127.0.0.1:{port}"]
    return subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def post_update(port: int, update: dict[str, object], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(f"http://127.0.0.1:{port}/telegram",
                                     data=json.dumps(update).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def registered(state: TelegramLikeApi) -> dict[str, object]:
    with state.lock:
        return next(body for method, body in state.calls if method == "setWebhook")


def webhook_set(state: TelegramLikeApi) -> bool:
    with state.lock:
        return any(method == "setWebhook" for method, _ in state.calls)


def stop(bot: subprocess.Popen[str]) -> str:
    bot.send_signal(signal.SIGTERM)
    _, err = bot.communicate(timeout=30)
    return err


@pytest.mark.parametrize("configured", [SECRET, None], ids=["configured", "generated"])
def test_only_requests_with_the_secret_are_handled(api: object, tmp_path: Path,
                                                  configured: str | None) -> None:
    state: TelegramLikeApi = api.state  # type: ignore[attr-defined]
    port = free_port()
    bot = start_webhook_bot(api, tmp_path, port, configured)
    try:
        wait_until(lambda: webhook_set(state) or bot.poll() is not None)
        assert bot.poll() is None, bot.communicate()[1]
        webhook = registered(state)
        assert webhook["url"] == f"http://127.0.0.1:{port}/telegram"
        secret = str(webhook["secret_token"])
        if configured is None:
            assert len(secret) >= 32  # generated, kept in memory only
        else:
            assert secret == configured
        wait_until(lambda: _listening(port))

        assert post_update(port, start_update(1, 990_001), None) == 403
        assert post_update(port, start_update(2, 990_002), "not-" + secret) == 403
        assert post_update(port, start_update(3, 990_003), secret) == 200
        wait_until(lambda: 990_003 in state.answered)
        time.sleep(0.3)
        assert set(state.answered) == {990_003}  # the refused ones reached no handler
        err = stop(bot)
    finally:
        bot.kill()
    assert bot.returncode == 0, err
    assert secret not in err  # the secret is never logged
    assert "Traceback" not in err
    assert database_closed(tmp_path)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize(("arguments", "message"), [
    (["--webhook", "http://bot.example.org/telegram"], "must be the public https:// URL"),
    (["--webhook", "https://bot.example.org/t", "--listen", "8080"], "--listen must be HOST:PORT"),
    (["--listen", "127.0.0.1:8080"], "--listen is for webhook mode"),
])
def test_bad_webhook_arguments_are_refused_before_starting(
        tmp_path: Path, arguments: list[str], message: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULTBOT_")}
    env.update({"CONSULTBOT_TOKEN": "123:TEST", "HOME": str(tmp_path),
                "CONSULTBOT_DATA_DIR": str(tmp_path / "data")})
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run", *arguments], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert message in done.stderr


def test_the_webhook_deployment_matches_the_command_line() -> None:
    """deploy/compose.webhook.yaml's command parses, and Caddy forwards its path and port."""
    import yaml

    from bot.commands.run import parse_listen, webhook_url
    from bot.config import DEFAULT_API_URL

    deploy = Path(__file__).resolve().parents[2] / "deploy"
    compose = yaml.safe_load((deploy / "compose.webhook.yaml").read_text())
    bot = compose["services"]["bot"]
    command = [part.replace("${CONSULTBOT_DOMAIN:?set CONSULTBOT_DOMAIN}", "bot.example.org")
               for part in bot["command"]]
    assert command[:2] == ["run", "--webhook"]
    url = webhook_url(command[2], DEFAULT_API_URL)
    host, port = parse_listen(command[command.index("--listen") + 1])
    caddy = (deploy / "Caddyfile").read_text()
    path = url.split("bot.example.org", 1)[1]
    assert f"handle {path}*" in caddy
    assert f"reverse_proxy bot:{port}" in caddy
    assert host == "0.0.0.0"  # reachable by Caddy in its own container
    # The bot must reach api.telegram.org: not only on the internal (no way out) network.
    assert any(not compose["networks"].get(name, {}).get("internal") for name in bot["networks"])
