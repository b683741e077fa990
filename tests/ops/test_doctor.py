"""``consultbot doctor``: one test per misconfiguration it promises to catch."""

from __future__ import annotations

import asyncio
import http.server
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import DATABASE_FILE_NAME, Storage
from storage.audit import CLI_ACTOR
from tests.ops.conftest import CliResult, cli

TOKEN = "123456789:" + "A" * 35


class Installation:
    """A healthy installation: private data directory, key outside it, a token."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.data_dir = root / "data"
        self.key_file = root / "keys" / "consultbot-key"
        asyncio.run(self._seed())
        self.key_file.parent.mkdir()
        os.replace(self.data_dir / "secret.key", self.key_file)
        monkeypatch.setenv("CONSULTBOT_DATA_DIR", str(self.data_dir))
        monkeypatch.setenv("CONSULTBOT_KEY_FILE", str(self.key_file))
        monkeypatch.setenv("CONSULTBOT_TOKEN", TOKEN)
        self.data_dir.chmod(0o700)

    async def _seed(self) -> None:
        async with await Storage.open(self.data_dir) as storage:
            await storage.audit.append(CLI_ACTOR, "export", {"format": "csv"})
            await storage.audit.append(CLI_ACTOR, "export", {"format": "json"})

    @property
    def database(self) -> Path:
        return self.data_dir / DATABASE_FILE_NAME


@pytest.fixture
def installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Installation:
    return Installation(tmp_path, monkeypatch)


def doctor(*extra: str) -> CliResult:
    return cli(["doctor", *extra])


def line(result: CliResult, check: str) -> str:
    found = [text for text in result.out.splitlines() if f" {check}:" in text]
    assert found, result.out
    return " | ".join(found)


def test_a_healthy_installation_is_all_ok(installation: Installation) -> None:
    result = doctor()
    assert result.code == 0, result.out
    assert all(text.startswith("OK ") for text in result.out.splitlines()), result.out
    assert "chain intact: 2 entries" in line(result, "audit log")
    assert TOKEN not in result.out


def test_an_invalid_configuration(installation: Installation,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULTBOT_MIN_CELL", "1")
    result = doctor()
    assert result.code == 1
    assert line(result, "configuration").startswith("FAIL") and "MIN_CELL" in result.out


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("not a key\n", "is not a moderators' public key"),
])
def test_a_bad_report_key(installation: Installation, monkeypatch: pytest.MonkeyPatch,
                          tmp_path: Path, content: str | None, message: str) -> None:
    report_key = tmp_path / "consultbot-reports.pub"
    if content is not None:
        report_key.write_text(content, encoding="ascii")
    monkeypatch.setenv("CONSULTBOT_REPORT_KEY", str(report_key))
    result = doctor()
    assert result.code == 1
    found = line(result, "configuration")
    assert found.startswith("FAIL") and f"CONSULTBOT_REPORT_KEY ({report_key})" in found
    assert message in found


def test_a_world_readable_data_directory(installation: Installation) -> None:
    installation.data_dir.chmod(0o755)
    result = doctor()
    assert result.code == 1
    assert line(result, "data directory").startswith("FAIL") and "chmod 700" in result.out


def test_a_group_readable_data_directory_is_a_warning(installation: Installation) -> None:
    installation.data_dir.chmod(0o750)
    result = doctor()
    assert result.code == 2
    assert line(result, "data directory").startswith("WARN")


def test_warnings_do_not_fail_the_quick_health_check(installation: Installation) -> None:
    installation.data_dir.chmod(0o750)
    result = doctor("--quick")
    assert result.code == 0 and "WARN" in result.out
    assert " audit log:" not in result.out  # the slow check is skipped


def test_a_database_readable_by_others(installation: Installation) -> None:
    installation.database.chmod(0o644)
    result = doctor()
    assert result.code == 1 and "chmod 600" in line(result, "data directory")


def test_a_key_file_readable_by_others(installation: Installation) -> None:
    installation.key_file.chmod(0o644)
    result = doctor()
    assert result.code == 1
    assert line(result, "secret key").startswith("FAIL") and "chmod 600" in result.out


def test_a_key_file_configured_inside_the_data_directory(
        installation: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    inside = installation.data_dir / "consultbot-key"
    os.replace(installation.key_file, inside)
    monkeypatch.setenv("CONSULTBOT_KEY_FILE", str(inside))
    result = doctor()
    assert result.code == 1
    # The configuration itself refuses it, before any file is looked at.
    assert "FAIL" in line(result, "configuration") and "inside the data directory" in result.out


def test_the_legacy_key_location_is_a_warning_with_directions(
        installation: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    os.replace(installation.key_file, installation.data_dir / "secret.key")
    monkeypatch.delenv("CONSULTBOT_KEY_FILE")
    result = doctor()
    assert result.code == 2, result.out
    assert line(result, "secret key").startswith("WARN") and "CONSULTBOT_KEY_FILE" in result.out


def test_a_missing_key_next_to_an_existing_database(installation: Installation) -> None:
    installation.key_file.unlink()
    result = doctor()
    assert result.code == 1 and "missing but the database exists" in line(result, "secret key")


def test_a_missing_token(installation: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSULTBOT_TOKEN")
    result = doctor()
    assert result.code == 1 and line(result, "bot token").startswith("FAIL")


def test_a_malformed_token(installation: Installation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULTBOT_TOKEN", "not-a-token")
    result = doctor()
    assert result.code == 1 and "does not look like a bot token" in line(result, "bot token")


def test_offline_the_token_is_not_checked_and_says_so(installation: Installation) -> None:
    assert "add --online" in line(doctor(), "bot token")


class FakeBotApi(http.server.BaseHTTPRequestHandler):
    accept = True

    def do_GET(self) -> None:  # http.server's method name
        if self.accept and self.path == f"/bot{TOKEN}/getMe":
            body, status = b'{"ok":true,"result":{"id":123456789,"username":"consult_bot"}}', 200
        else:
            body, status = b'{"ok":false,"error_code":401,"description":"Unauthorized"}', 401
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def bot_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeBotApi]]:
    handler = type("Api", (FakeBotApi,), {"accept": True})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CONSULTBOT_API_URL", f"http://127.0.0.1:{server.server_port}/bot")
    try:
        yield handler
    finally:
        server.shutdown()
        server.server_close()


def test_online_a_valid_token_is_accepted(installation: Installation,
                                          bot_api: type[FakeBotApi]) -> None:
    result = doctor("--online")
    assert result.code == 0, result.out
    assert "accepted by Telegram (bot @consult_bot)" in line(result, "bot token")


def test_online_a_revoked_token_fails(installation: Installation,
                                      bot_api: type[FakeBotApi]) -> None:
    bot_api.accept = False
    result = doctor("--online")
    assert result.code == 1 and "rejects the token" in line(result, "bot token")
    assert TOKEN not in result.out


def test_online_an_unreachable_bot_api_fails(installation: Installation,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULTBOT_API_URL", "http://127.0.0.1:9/bot")
    result = doctor("--online")
    assert result.code == 1 and "cannot reach the Bot API" in line(result, "bot token")
    assert TOKEN not in result.out


def test_pending_migrations_are_a_warning_pointing_to_upgrade(installation: Installation) -> None:
    with sqlite3.connect(installation.database) as connection:
        connection.execute("DELETE FROM schema_migrations WHERE version = 5")
    connection.close()
    result = doctor()
    assert result.code == 2
    assert "1 pending (0005_" in line(result, "migrations") and "consultbot upgrade" in result.out


def test_a_database_from_a_newer_release(installation: Installation) -> None:
    with sqlite3.connect(installation.database) as connection:
        connection.execute("INSERT INTO schema_migrations VALUES (9999, 'future', '2030-01-01')")
    connection.close()
    result = doctor()
    assert result.code == 1 and "newer than this consultbot" in line(result, "migrations")


def test_too_little_free_disk(installation: Installation) -> None:
    result = doctor("--min-free-mb", str(2**40))
    assert result.code == 1 and "cannot save answers on a full disk" in line(result, "disk space")


def test_a_damaged_database(installation: Installation) -> None:
    data = bytearray(installation.database.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # every b-tree page header but the first
        for offset in range(start + 1, start + 12):
            data[offset] ^= 0xFF
    installation.database.write_bytes(bytes(data))
    result = doctor()
    assert result.code == 1 and "FAIL" in line(result, "database")


def test_a_broken_audit_chain(installation: Installation) -> None:
    with sqlite3.connect(installation.database) as connection:
        triggers = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")]
        for trigger in triggers:
            connection.execute(f"DROP TRIGGER {trigger}")
        connection.execute("UPDATE audit_log SET details = '{\"format\":\"xlsx\"}' WHERE seq = 1")
    connection.close()
    result = doctor()
    assert result.code == 1 and "chain broken after 0 entries" in line(result, "audit log")


def test_a_silent_health_endpoint(installation: Installation) -> None:
    result = doctor("--healthz", "http://127.0.0.1:9/healthz")
    assert result.code == 1 and "does not answer" in line(result, "health endpoint")
