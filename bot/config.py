"""Operator configuration: environment variables, optionally a ``consultbot.toml`` file.

Every key of DESIGN.md §1 can come from the environment (``CONSULTBOT_TOKEN`` …) or from a
TOML file given with ``--config`` that uses the same names, either exactly
(``CONSULTBOT_TOKEN = "…"``) or in lower case without the prefix (``token = "…"``).

**The environment wins over the file.** The file is what an operator commits to their
deployment repository; the environment is how a one-off run or a secret manager overrides
it (and tokens are better kept out of files altogether).

Everything is validated here, once, so the rest of the bot can trust a :class:`Config` and
a mistake is reported before the bot touches Telegram or the database.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_DATA_DIR",
    "DEFAULT_MIN_CELL",
    "SMALLEST_MIN_CELL",
    "Config",
    "ConfigError",
    "load_config",
]

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_DATA_DIR = Path("consultbot-data")
#: Summaries hide groups smaller than this unless the operator asks for more.
DEFAULT_MIN_CELL = 5
#: Below three, a "group" of two lets each member learn the other's answer.
SMALLEST_MIN_CELL = 3

#: Names of the keys without the ``CONSULTBOT_`` prefix. Engineers adding settings add them
#: here, in :class:`Config` and in :func:`load_config`.
KEYS: tuple[str, ...] = (
    "token",
    "api_url",
    "data_dir",
    "admins",
    "surveys",
    "report_key",
    "min_cell",
    "report_categories",
    "report_channels",
    "report_retention_days",
    "report_digest_hours",
    "report_digest_times",
    "report_max_file_mb",
    "reports_per_hour",
)
_PREFIX = "CONSULTBOT_"


class ConfigError(ValueError):
    """A configuration problem, with a message an operator can act on without a traceback."""


@dataclass(frozen=True, slots=True)
class Config:
    """The validated configuration of one consultbot installation.

    Attributes:
        token: The Bot API token; empty when not set (only ``run`` needs it, see
            :meth:`require_token`).
        api_url: Bot API base URL; python-telegram-bot appends the token to it.
        data_dir: Holds the SQLite database and the secret key file.
        admins: Telegram user ids allowed to moderate from the start.
        surveys_dir: Survey files in here are loaded and published at start, if set.
        report_key: The moderators' public key file; reports are sealed to it, if set.
        min_cell: Smallest group size shown in any summary or export breakdown.
        report_categories: Category ids offered by /report (empty: the built-in list).
        report_channels: Stronger channels for high-risk cases, shown in the /report warning.
        report_retention_days: Days a closed (resolved/rejected) report is kept.
        report_digest_hours: Hours between moderators' report digests (from midnight UTC).
        report_digest_times: Fixed UTC ``HH:MM`` digest times; replace ``report_digest_hours``.
        report_max_file_mb: Largest report attachment, in MB (Telegram lets bots fetch 20).
        reports_per_hour: Most reports one person may file per hour (kept in memory).
    """

    token: str = ""
    api_url: str = DEFAULT_API_URL
    data_dir: Path = DEFAULT_DATA_DIR
    admins: frozenset[int] = frozenset()
    surveys_dir: Path | None = None
    report_key: Path | None = None
    min_cell: int = DEFAULT_MIN_CELL
    report_categories: tuple[str, ...] = ()
    report_channels: tuple[str, ...] = ()
    report_retention_days: int = 90
    report_digest_hours: float = 6.0
    report_digest_times: tuple[str, ...] = ()
    report_max_file_mb: float = 10.0
    reports_per_hour: int = 10
    session_expiry_minutes: int = 30

    @property
    def file_url(self) -> str:
        """Base URL for file downloads, derived from :attr:`api_url`.

        Telegram (and the self-hosted Bot API server) serve files under ``/file/bot<token>``
        next to ``/bot<token>``, so ``…/bot`` becomes ``…/file/bot``.
        """
        base = self.api_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("bot")] + "file/bot"
        return base + "/file/bot"

    def require_token(self) -> str:
        """The token, or a :class:`ConfigError` saying how to provide it."""
        if not self.token:
            raise ConfigError(
                "CONSULTBOT_TOKEN is not set: put the token @BotFather gave you in the "
                "environment variable CONSULTBOT_TOKEN (or in the --config file)."
            )
        return self.token

    def __repr__(self) -> str:
        # The token must never end up in a log or a traceback through a repr.
        shown = "<set>" if self.token else "<unset>"
        return (
            f"Config(token={shown}, api_url={self.api_url!r}, data_dir={str(self.data_dir)!r}, "
            f"admins={len(self.admins)} ids, surveys_dir={self.surveys_dir!s}, "
            f"report_key={self.report_key!s}, min_cell={self.min_cell})"
        )


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
            invalid. The message names the key and what would be accepted.
    """
    environ = os.environ if env is None else env
    values: dict[str, str] = {}
    if args_config_path is not None:
        values.update(_read_file(args_config_path))
    for key in KEYS:
        raw = environ.get(_PREFIX + key.upper())
        if raw is not None and raw.strip() != "":
            values[key] = raw
    return Config(
        token=values.get("token", "").strip(),
        api_url=_api_url(values.get("api_url")),
        data_dir=Path(values["data_dir"]).expanduser()
        if values.get("data_dir")
        else DEFAULT_DATA_DIR,
        admins=_admins(values.get("admins", "")),
        surveys_dir=_optional_path(values.get("surveys")),
        report_key=_optional_path(values.get("report_key")),
        min_cell=_min_cell(values.get("min_cell")),
        **_report_settings(values),
    )


def _read_file(path: Path) -> dict[str, str]:
    """Keys of a TOML file, normalised to ``KEYS`` names and string values."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration file ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not a valid TOML file: {error}") from None
    values: dict[str, str] = {}
    for name, value in document.items():
        key = name.lower().removeprefix(_PREFIX.lower())
        if key not in KEYS:
            known = ", ".join(_PREFIX + k.upper() for k in KEYS)
            raise ConfigError(f"{path}: unknown key {name!r} (known keys: {known})")
        if isinstance(value, list):
            separator = "\n" if key == "report_channels" else ","  # a channel may hold commas
            values[key] = separator.join(str(item) for item in value)
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            values[key] = str(value)
        else:
            raise ConfigError(f"{path}: {name} must be a string or a number")
    return values


def _api_url(raw: str | None) -> str:
    if not raw:
        return DEFAULT_API_URL
    url = raw.strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"CONSULTBOT_API_URL must start with http:// or https:// (got {url!r}), "
            "e.g. http://127.0.0.1:8081/bot"
        )
    return url


def _admins(raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(
                f"CONSULTBOT_ADMINS must be comma-separated numeric Telegram user ids; "
                f"{part!r} is not a number"
            ) from None
    return frozenset(ids)


def _optional_path(raw: str | None) -> Path | None:
    return Path(raw.strip()).expanduser() if raw and raw.strip() else None


def _min_cell(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_MIN_CELL
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"CONSULTBOT_MIN_CELL must be a whole number (got {raw!r})") from None
    if value < SMALLEST_MIN_CELL:
        raise ConfigError(
            f"CONSULTBOT_MIN_CELL must be at least {SMALLEST_MIN_CELL} (got {value}): smaller "
            "groups would let participants be re-identified"
        )
    return value


def _report_settings(values: Mapping[str, str]) -> dict[str, object]:
    """The report settings (issue 4), validated."""
    categories = tuple(part.strip() for part in values.get("report_categories", "").split(",")
                       if part.strip())
    for category in categories:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", category):
            raise ConfigError(
                f"CONSULTBOT_REPORT_CATEGORIES: {category!r} must be 1-32 of a-z, 0-9 and _ "
                "(e.g. labour_rights,corruption,other)")
    channels = tuple(part.strip() for part in re.split(r"[\n|]", values.get("report_channels", ""))
                     if part.strip())
    times = tuple(part.strip() for part in values.get("report_digest_times", "").split(",")
                  if part.strip())
    for time_text in times:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", time_text):
            raise ConfigError(f"CONSULTBOT_REPORT_DIGEST_TIMES: {time_text!r} is not HH:MM "
                              "(UTC, e.g. 08:00,18:00)")
    return {
        "report_categories": categories,
        "report_channels": channels,
        "report_retention_days": int(_number(values, "report_retention_days", 90, 1, 36500)),
        "report_digest_hours": _number(values, "report_digest_hours", 6.0, 0.25, 168),
        "report_digest_times": times,
        "report_max_file_mb": _number(values, "report_max_file_mb", 10.0, 0.01, 20),
        "reports_per_hour": int(_number(values, "reports_per_hour", 10, 1, 1000)),
    }


def _number(values: Mapping[str, str], key: str, default: float, low: float,
            high: float) -> float:
    raw = values.get(key, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{_PREFIX}{key.upper()} must be a number (got {raw!r})") from None
    if not low <= value <= high:
        raise ConfigError(f"{_PREFIX}{key.upper()} must be between {low:g} and {high:g} "
                          f"(got {raw!r})")
    return value
