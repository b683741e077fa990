"""Configuration: environment, TOML file, precedence, validation messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_API_URL, Config, ConfigError
from bot.config_loading import load_config
from storage.sealing import generate_key_pair


def test_defaults_without_anything() -> None:
    config = load_config(None, env={})
    assert config.token == ""
    assert config.api_url == DEFAULT_API_URL
    assert config.data_dir == Path("consultbot-data")
    assert config.admins == frozenset()
    assert config.surveys_dir is None
    assert config.report_key is None
    assert config.min_cell == 5


def test_every_variable_is_read(tmp_path: Path) -> None:
    _private, public_key = generate_key_pair(tmp_path)  # the report key is read when checked
    config = load_config(None, env={
        "CONSULTBOT_TOKEN": "123:abc",
        "CONSULTBOT_API_URL": "http://127.0.0.1:8081/bot",
        "CONSULTBOT_DATA_DIR": "/srv/consultbot",
        "CONSULTBOT_ADMINS": " 11, 22 ,33,",
        "CONSULTBOT_SURVEYS": "/srv/surveys",
        "CONSULTBOT_REPORT_KEY": str(public_key),
        "CONSULTBOT_MIN_CELL": "7",
    })
    assert config.token == "123:abc"
    assert config.api_url == "http://127.0.0.1:8081/bot"
    assert config.file_url == "http://127.0.0.1:8081/file/bot"
    assert config.data_dir == Path("/srv/consultbot")
    assert config.admins == frozenset({11, 22, 33})
    assert config.surveys_dir == Path("/srv/surveys")
    assert config.report_key == public_key
    assert config.min_cell == 7


def test_file_url_for_telegram_and_other_bases() -> None:
    assert Config().file_url == "https://api.telegram.org/file/bot"
    assert Config(api_url="http://localhost:9000/api").file_url == "http://localhost:9000/api/file/bot"


@pytest.mark.parametrize("value", ["2", "0", "-5"])
def test_min_cell_is_never_below_three(value: str) -> None:
    with pytest.raises(ConfigError, match="at least 3"):
        load_config(None, env={"CONSULTBOT_MIN_CELL": value})


def test_min_cell_three_is_allowed() -> None:
    assert load_config(None, env={"CONSULTBOT_MIN_CELL": "3"}).min_cell == 3


def test_min_cell_must_be_a_number() -> None:
    with pytest.raises(ConfigError, match="CONSULTBOT_MIN_CELL must be a whole number"):
        load_config(None, env={"CONSULTBOT_MIN_CELL": "five"})


def test_admins_must_be_numeric_ids() -> None:
    with pytest.raises(ConfigError, match="'@alice' is not a number"):
        load_config(None, env={"CONSULTBOT_ADMINS": "12,@alice"})


def test_api_url_needs_a_scheme() -> None:
    with pytest.raises(ConfigError, match="must start with http"):
        load_config(None, env={"CONSULTBOT_API_URL": "127.0.0.1:8081/bot"})


def test_missing_token_is_explained() -> None:
    with pytest.raises(ConfigError, match="CONSULTBOT_TOKEN is not set"):
        load_config(None, env={}).require_token()


def test_toml_file_with_both_key_styles(tmp_path: Path) -> None:
    path = tmp_path / "consultbot.toml"
    path.write_text(
        'token = "from-file"\n'
        'CONSULTBOT_DATA_DIR = "/data"\n'
        "admins = [1, 2]\n"
        "min_cell = 10\n",
        encoding="utf-8",
    )
    config = load_config(path, env={})
    assert config.token == "from-file"
    assert config.data_dir == Path("/data")
    assert config.admins == frozenset({1, 2})
    assert config.min_cell == 10


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "consultbot.toml"
    path.write_text('token = "from-file"\nmin_cell = 10\n', encoding="utf-8")
    config = load_config(path, env={"CONSULTBOT_TOKEN": "from-env", "CONSULTBOT_MIN_CELL": ""})
    assert config.token == "from-env"
    assert config.min_cell == 10  # an empty variable does not override


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "consultbot.toml"
    path.write_text('tokn = "typo"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key 'tokn'"):
        load_config(path, env={})


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("token = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid TOML file"):
        load_config(broken, env={})


def test_repr_never_shows_the_token() -> None:
    config = Config(token="123456:SECRET")
    assert "SECRET" not in repr(config)
    assert "SECRET" not in str(config)
