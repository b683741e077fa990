"""The configuration table: one declaration per setting, and the two settings added with it."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from bot.config import KEYS, SETTINGS, Config, ConfigError, Setting
from bot.config_loading import load_config
from storage.sealing import generate_key_pair


def test_every_config_field_is_one_setting_with_variable_and_key() -> None:
    fields = [field.name for field in dataclasses.fields(Config)]
    assert [entry.attribute for entry in SETTINGS] == fields
    assert tuple(entry.key for entry in SETTINGS) == KEYS
    assert len(set(KEYS)) == len(KEYS)
    for entry in SETTINGS:
        assert entry.env_var == "CONSULTBOT_" + entry.key.upper()
        assert entry.help and entry.shown_default
    assert {e.attribute: e.key for e in SETTINGS}["surveys_dir"] == "surveys"


def test_a_directly_built_config_has_the_loaders_defaults(tmp_path: Path) -> None:
    # Config() is what tests and benchmarks build; it must agree with load_config(env={}).
    env = {"HOME": str(tmp_path)}
    loaded = load_config(env=env)
    assert dataclasses.replace(Config(), key_file=loaded.key_file) == loaded


@pytest.mark.parametrize("entry", SETTINGS, ids=lambda entry: entry.key)
def test_every_setting_is_read_from_environment_and_file(entry: Setting, tmp_path: Path) -> None:
    """Each setting accepts its default's text from both sources, under both key spellings."""
    samples = {"token": "1:x", "admins": "5", "surveys": "/s",
               "key_file": str(tmp_path / "keys" / "secret.key"),
               "report_categories": "wages", "report_channels": "Hotline",
               "report_digest_times": "08:00", "report_digest_hours": "2",
               "report_max_file_mb": "3", "api_url": "http://localhost/bot",
               "data_dir": str(tmp_path / "data"), "moderator_2fa_required": "false",
               "survey_retention_action": "delete", "report_open_max_days": "70",
               "audit_retention_days": "70",
               "allow_paid_broadcast": "true", "metrics_listen": "127.0.0.1:9090",
               "log_format": "json"}
    if entry.key == "report_key":  # checked by reading it: a real public key file
        samples["report_key"] = str(generate_key_pair(tmp_path / "report-keys")[1])
    value = samples.get(entry.key, "7")
    from_env = load_config(env={entry.env_var: value, "HOME": str(tmp_path)})
    toml = tmp_path / "c.toml"
    toml.write_text(f"{entry.env_var} = {value!r}\n", encoding="utf-8")
    from_file = load_config(toml, env={"HOME": str(tmp_path)})
    assert getattr(from_env, entry.attribute) == getattr(from_file, entry.attribute)
    assert getattr(from_env, entry.attribute) != getattr(load_config(env={"HOME": str(tmp_path)}),
                                                          entry.attribute)


# --- session_expiry_minutes ----------------------------------------------------------------

def test_session_expiry_defaults_to_thirty_minutes() -> None:
    assert load_config(env={}).session_expiry_minutes == 30
    assert Config().session_expiry_minutes == 30


def test_session_expiry_from_environment_and_file(tmp_path: Path) -> None:
    assert load_config(env={"CONSULTBOT_SESSION_EXPIRY_MINUTES": "5"}).session_expiry_minutes == 5
    toml = tmp_path / "c.toml"
    toml.write_text("session_expiry_minutes = 12\n", encoding="utf-8")
    assert load_config(toml, env={}).session_expiry_minutes == 12


@pytest.mark.parametrize(("value", "message"), [
    ("0", r"CONSULTBOT_SESSION_EXPIRY_MINUTES must be at least 1 \(got 0\)$"),
    ("-3", "CONSULTBOT_SESSION_EXPIRY_MINUTES must be at least 1"),
    ("1441", "CONSULTBOT_SESSION_EXPIRY_MINUTES must be at most 1440"),
    ("2.5", "CONSULTBOT_SESSION_EXPIRY_MINUTES must be a whole number"),
    ("soon", "CONSULTBOT_SESSION_EXPIRY_MINUTES must be a whole number"),
])
def test_session_expiry_is_validated(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(env={"CONSULTBOT_SESSION_EXPIRY_MINUTES": value})


# --- key_file --------------------------------------------------------------------------------

def test_key_file_default_outside_systemd_is_in_the_users_config_dir(tmp_path: Path) -> None:
    config = load_config(env={"HOME": str(tmp_path)})
    assert config.key_file == tmp_path / ".config" / "consultbot" / "secret.key"


def test_key_file_default_under_systemd_is_the_credential(tmp_path: Path) -> None:
    config = load_config(env={"CREDENTIALS_DIRECTORY": str(tmp_path / "creds"),
                              "HOME": str(tmp_path)})
    assert config.key_file == tmp_path / "creds" / "consultbot-key"


def test_key_file_variable_wins_over_the_credential(tmp_path: Path) -> None:
    config = load_config(env={"CREDENTIALS_DIRECTORY": str(tmp_path / "creds"),
                              "CONSULTBOT_KEY_FILE": str(tmp_path / "k" / "my.key")})
    assert config.key_file == tmp_path / "k" / "my.key"


def test_key_file_expands_the_home_directory(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config(env={"CONSULTBOT_KEY_FILE": "~/keys/consultbot.key"})
    assert config.key_file == tmp_path / "keys" / "consultbot.key"


def test_key_file_inside_the_data_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with pytest.raises(ConfigError, match=r"CONSULTBOT_KEY_FILE .* is inside the data directory"):
        load_config(env={"CONSULTBOT_DATA_DIR": str(data),
                         "CONSULTBOT_KEY_FILE": str(data / "secret.key")})
    with pytest.raises(ConfigError, match="inside the data directory"):  # through ".."
        load_config(env={"CONSULTBOT_DATA_DIR": str(data),
                         "CONSULTBOT_KEY_FILE": str(tmp_path / "elsewhere" / ".." / "data" / "k")})
    with pytest.raises(ConfigError, match="inside the data directory"):  # the directory itself
        load_config(env={"CONSULTBOT_DATA_DIR": str(data), "CONSULTBOT_KEY_FILE": str(data)})


def test_key_file_inside_the_data_dir_through_symlinks_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_bytes(b"k" * 32)
    # A link elsewhere that points at the key in the data directory …
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "secret.key").symlink_to(data / "secret.key")
    with pytest.raises(ConfigError, match="inside the data directory"):
        load_config(env={"CONSULTBOT_DATA_DIR": str(data),
                         "CONSULTBOT_KEY_FILE": str(tmp_path / "etc" / "secret.key")})
    # … and a data directory reached through a link (the key path names the real directory).
    (tmp_path / "data-link").symlink_to(data)
    with pytest.raises(ConfigError, match="inside the data directory"):
        load_config(env={"CONSULTBOT_DATA_DIR": str(tmp_path / "data-link"),
                         "CONSULTBOT_KEY_FILE": str(data / "nested" / "secret.key")})


def test_key_file_hard_linked_into_the_data_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "old").mkdir(parents=True)
    key = tmp_path / "secret.key"
    key.write_bytes(b"k" * 32)
    os.link(key, data / "old" / "secret.key")  # "moved" with ln instead of mv
    with pytest.raises(ConfigError, match="inside the data directory"):
        load_config(env={"CONSULTBOT_DATA_DIR": str(data), "CONSULTBOT_KEY_FILE": str(key)})


def test_key_file_beside_the_data_dir_is_accepted(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "consultbot.sqlite3").write_bytes(b"")
    key = tmp_path / "data-key" / "secret.key"  # a sibling whose name starts the same
    key.parent.mkdir()
    key.write_bytes(b"k" * 32)
    config = load_config(env={"CONSULTBOT_DATA_DIR": str(data), "CONSULTBOT_KEY_FILE": str(key)})
    assert config.key_file == key


def test_key_file_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    with pytest.raises(ConfigError, match=r"CONSULTBOT_KEY_FILE .* is a directory"):
        load_config(env={"CONSULTBOT_KEY_FILE": str(tmp_path / "keys"),
                         "CONSULTBOT_DATA_DIR": str(tmp_path / "data")})


def test_key_file_refused_also_when_set_in_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text(f'data_dir = "{tmp_path}"\nkey_file = "{tmp_path / "k"}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="CONSULTBOT_KEY_FILE"):
        load_config(toml, env={})


# --- the file and the messages ---------------------------------------------------------------

def test_toml_floats_and_lists_are_accepted(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('report_digest_hours = 0.5\nreport_channels = ["A, B", "C"]\n',
                    encoding="utf-8")
    config = load_config(toml, env={})
    assert config.report_digest_hours == 0.5
    assert config.report_channels == ("A, B", "C")


def test_toml_booleans_only_for_yes_no_settings_and_tables_are_refused(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("allow_paid_broadcast = true\n", encoding="utf-8")
    assert load_config(toml, env={}).allow_paid_broadcast is True
    toml.write_text("min_cell = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="CONSULTBOT_MIN_CELL must be a whole number"):
        load_config(toml, env={})
    toml.write_text("[min_cell]\nvalue = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="min_cell must be a string, a number"):
        load_config(toml, env={})


def test_switches_take_toml_booleans_and_words(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("moderator_2fa_required = false\n", encoding="utf-8")
    assert load_config(toml, env={}).moderator_2fa_required is False
    assert load_config(env={"CONSULTBOT_MODERATOR_2FA_REQUIRED": "no"}).moderator_2fa_required \
        is False
    assert Config().moderator_2fa_required is True
    with pytest.raises(ConfigError, match="CONSULTBOT_MODERATOR_2FA_REQUIRED must be true or false"):
        load_config(env={"CONSULTBOT_MODERATOR_2FA_REQUIRED": "maybe"})


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("No", False), ("1", True),
                                            ("off", False)])
def test_allow_paid_broadcast_reads_yes_and_no(raw: str, value: bool) -> None:
    assert load_config(env={"CONSULTBOT_ALLOW_PAID_BROADCAST": raw}).allow_paid_broadcast is value


def test_yes_no_and_webhook_secret_refuse_what_they_cannot_mean() -> None:
    with pytest.raises(ConfigError, match="CONSULTBOT_ALLOW_PAID_BROADCAST must be true or false"):
        load_config(env={"CONSULTBOT_ALLOW_PAID_BROADCAST": "maybe"})
    with pytest.raises(ConfigError, match="CONSULTBOT_WEBHOOK_SECRET must be 1-256 characters"):
        load_config(env={"CONSULTBOT_WEBHOOK_SECRET": "has spaces"})
    with pytest.raises(ConfigError, match="CONSULTBOT_SEND_RATE must be between"):
        load_config(env={"CONSULTBOT_SEND_RATE": "0"})


def test_a_bad_value_from_the_file_names_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text("reports_per_hour = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"CONSULTBOT_REPORTS_PER_HOUR must be at least 1 "
                                          r"\(got 0\) \[key 'reports_per_hour' in .*c.toml\]"):
        load_config(toml, env={})


@pytest.mark.parametrize("value", ["0", "-1", str(2**63), "1e3"])
def test_admins_must_be_telegram_user_ids(value: str) -> None:
    with pytest.raises(ConfigError, match="CONSULTBOT_ADMINS"):
        load_config(env={"CONSULTBOT_ADMINS": value})


def test_numbers_refuse_nan_and_infinity() -> None:
    for value in ("nan", "inf", "1e400"):
        with pytest.raises(ConfigError, match="CONSULTBOT_REPORT_DIGEST_HOURS must be between"):
            load_config(env={"CONSULTBOT_REPORT_DIGEST_HOURS": value})


def test_repr_lists_every_setting_but_hides_the_token() -> None:
    shown = repr(Config(token="123456:SECRET", session_expiry_minutes=7))
    assert "SECRET" not in shown and "token=<set>" in shown
    assert all(f"{entry.attribute}=" in shown for entry in SETTINGS)


def test_metrics_listen_and_log_format_are_checked() -> None:
    assert Config().metrics_listen == "" and Config().log_format == "text"
    loaded = load_config(env={"CONSULTBOT_METRICS_LISTEN": "127.0.0.1:9090",
                              "CONSULTBOT_LOG_FORMAT": "JSON"})
    assert (loaded.metrics_listen, loaded.log_format) == ("127.0.0.1:9090", "json")
    with pytest.raises(ConfigError, match="CONSULTBOT_METRICS_LISTEN must be HOST:PORT"):
        load_config(env={"CONSULTBOT_METRICS_LISTEN": "9090"})
    with pytest.raises(ConfigError, match="CONSULTBOT_LOG_FORMAT"):
        load_config(env={"CONSULTBOT_LOG_FORMAT": "xml"})
