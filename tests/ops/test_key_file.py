"""Where the operator commands look for the secret key file, in the documented order."""

from __future__ import annotations

from pathlib import Path

from bot.key_file import key_file_location


def test_the_search_order(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    explicit = tmp_path / "explicit.key"
    env = {"CONSULTBOT_KEY_FILE": str(tmp_path / "env.key"), "CREDENTIALS_DIRECTORY": "/run/c"}
    assert key_file_location(data_dir, explicit, env) == explicit
    assert key_file_location(data_dir, None, env) == tmp_path / "env.key"
    del env["CONSULTBOT_KEY_FILE"]
    assert key_file_location(data_dir, None, env) == Path("/run/c/consultbot-key")
    del env["CREDENTIALS_DIRECTORY"]
    assert key_file_location(data_dir, None, env).name == "secret.key"
    assert key_file_location(data_dir, None, env).parent != data_dir  # no legacy file there
    (data_dir / "secret.key").write_bytes(b"x")
    assert key_file_location(data_dir, None, env) == data_dir / "secret.key"
