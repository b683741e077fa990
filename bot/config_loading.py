"""Reading the configuration table from the environment and a TOML file, and validating it.

Split from :mod:`bot.config`, which declares the settings: that module says what can be
configured, this one where values come from and in which order they win (the environment
over the file, an empty value as if unset), and turns every mistake into a
:class:`~bot.config.ConfigError` naming the variable. Nothing here names a setting: it
walks :data:`~bot.config.SETTINGS`, so a new setting needs no change here.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.cli_language import _
from bot.config import KEYS, PREFIX, SETTINGS, Config, ConfigError, Setting
from bot.config_values import yes_no

__all__ = ["load_config"]

_BY_KEY: dict[str, Setting] = {entry.key: entry for entry in SETTINGS}


def load_config(
    args_config_path: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Read the configuration from the environment and an optional TOML file.

    Args:
        args_config_path: The ``--config`` file, if the operator gave one.
        env: The environment; :data:`os.environ` when ``None`` (tests pass a dict).

    Returns:
        The validated configuration.

    Raises:
        ConfigError: The file is missing or not TOML, a key is unknown, or a value is
            invalid. The message names the variable and what would be accepted.
    """
    environ = os.environ if env is None else env
    raw: dict[str, tuple[str, str]] = {}  # key -> (text, where it came from)
    if args_config_path is not None:
        for key, value in _read_file(args_config_path).items():
            raw[key] = (value, _("key {key!r} in {path}").format(key=key, path=args_config_path))
    for entry in SETTINGS:
        from_env = environ.get(entry.env_var)
        if from_env is not None and from_env.strip():  # an empty variable does not override
            raw[entry.key] = (from_env, "environment")
    values: dict[str, Any] = {}
    for entry in SETTINGS:
        if entry.key in raw and raw[entry.key][0].strip():  # empty: as if not set
            value, source = raw[entry.key]
            try:
                values[entry.attribute] = entry.parse(value.strip())
            except ValueError as error:
                where = "" if source == "environment" else f" [{source}]"
                raise ConfigError(f"{entry.env_var} {error}{where}") from None
        elif entry.default_from_env is not None:
            values[entry.attribute] = entry.default_from_env(environ)
    config = Config(**values)
    for entry in SETTINGS:
        if entry.check is not None:
            entry.check(config)
    return config


def _read_file(path: Path) -> dict[str, str]:
    """Keys of a TOML file, normalised to :data:`KEYS` names and text values."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(_("{path}: configuration file not found").format(path=path)) from None
    except OSError as error:
        raise ConfigError(_("{path}: cannot read the configuration file ({reason})").format(
            path=path, reason=error.strerror)) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(_("{path}: not a valid TOML file: {reason}").format(
            path=path, reason=error)) from None
    values: dict[str, str] = {}
    for name, value in document.items():
        entry = _BY_KEY.get(name.lower().removeprefix(PREFIX.lower()))
        if entry is None:
            known = ", ".join(KEYS)
            raise ConfigError(_("{path}: unknown key {name!r} (known keys: {known})").format(
                path=path, name=name, known=known))
        if isinstance(value, bool):  # TOML's true/false (a bool is also an int: test first)
            values[entry.key] = "true" if value else "false"
        elif isinstance(value, list) and all(_is_scalar(item) for item in value):
            values[entry.key] = entry.list_separator.join(str(item) for item in value)
        elif isinstance(value, bool) and entry.parse is yes_no:  # a switch: TOML true/false
            values[entry.key] = "true" if value else "false"
        elif _is_scalar(value):
            values[entry.key] = str(value)
        else:
            raise ConfigError(_("{path}: {name} must be a string, a number, true/false or a "
                                "list of them").format(path=path, name=name))
    return values


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)
