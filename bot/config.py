"""Operator configuration: one table of settings, read from the environment and a TOML file.

Each setting is declared once, as a field of :class:`Config` made with :func:`setting`: its
type (the annotation), default, validation, help text, environment variable
(``CONSULTBOT_<NAME>``) and TOML key (the same name exactly, or in lower case without the
prefix). :data:`SETTINGS`, :data:`KEYS`, the loader (:func:`bot.config_loading.load_config`),
``consultbot run --help`` and README's configuration table (:mod:`bot.config_docs`, ``python
scripts/config_table.py``) are all derived from those fields, so adding a setting is adding
one field (see ARCHITECTURE.md, "Configuration").

**The environment wins over the file.** The file is what an operator commits to their
deployment repository; the environment is how a one-off run or a secret manager overrides
it (and tokens are better kept out of files altogether).

Everything is validated by what is declared here, once, when it is loaded, so the rest of
the bot can trust a :class:`Config` and a mistake is reported, naming the variable, before
the bot touches Telegram or the database.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.cli_language import _
from bot.config_checks import ConfigError, key_file_outside_data_dir, report_key_loads
from bot.config_values import (
    api_url,
    clock_times,
    listen_address,
    number,
    one_of,
    optional_path,
    path,
    report_categories,
    secret_token,
    text,
    text_entries,
    user_ids,
    whole_number,
    yes_no,
)
from surveys.messages import N_

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_DATA_DIR",
    "DEFAULT_MIN_CELL",
    "KEYS",
    "SETTINGS",
    "SMALLEST_MIN_CELL",
    "Config",
    "ConfigError",
    "Setting",
    "default_key_file",
]

T = TypeVar("T")

PREFIX = "CONSULTBOT_"
DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_DATA_DIR = Path("consultbot-data")
#: Summaries hide groups smaller than this unless the operator asks for more.
DEFAULT_MIN_CELL = 5
#: Below three, a "group" of two lets each member learn the other's answer.
SMALLEST_MIN_CELL = 3
#: The key's file name inside a systemd credentials directory (``LoadCredential=consultbot-key:…``).
CREDENTIAL_NAME = "consultbot-key"


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the configuration table: everything the loader, ``--help`` and README need.

    Attributes:
        attribute: The :class:`Config` attribute holding the value.
        key: The TOML key, and the environment variable without ``CONSULTBOT_`` in upper case.
        parse: Turns the text of the variable into the value; raises :class:`ValueError`
            saying what is accepted (the loader prefixes the variable's name).
        help: What the setting means, for README and ``--help`` (Markdown code spans allowed).
        shown_default: The default as README and ``--help`` show it.
        default_from_env: Computes the default from the environment, for defaults that depend
            on it (the key file under systemd); ``None`` for a fixed default.
        check: Validates the value against the other settings once all are read.
        secret: Never shown in a repr or log (the token).
        list_separator: How the items of a TOML list are joined before :attr:`parse` sees them.
    """

    attribute: str
    key: str
    parse: Callable[[str], Any]
    help: str
    shown_default: str
    default_from_env: Callable[[Mapping[str, str]], Any] | None = None
    check: Callable[[Config], None] | None = None
    secret: bool = False
    list_separator: str = ","

    @property
    def env_var(self) -> str:
        """The environment variable, e.g. ``CONSULTBOT_MIN_CELL``."""
        return PREFIX + self.key.upper()


_SETTING = "consultbot.setting"


def setting(
    *,
    default: T,
    parse: Callable[[str], T],
    help: str,
    shown_default: str | None = None,
    key: str | None = None,
    default_from_env: Callable[[Mapping[str, str]], T] | None = None,
    check: Callable[[Config], None] | None = None,
    secret: bool = False,
    list_separator: str = ",",
) -> T:
    """Declare one field of :class:`Config` as a setting; see :class:`Setting` for the arguments.

    ``default`` is the value when nothing is configured (``default_from_env``, when given,
    computes it instead, from :data:`os.environ` for a :class:`Config` built directly).
    ``key`` is needed only when the TOML key differs from the attribute name. Returns a
    :func:`dataclasses.field`, typed as the value so mypy checks default, parser and
    annotation agree.
    """
    metadata = {_SETTING: Setting(
        attribute="", key=key or "", parse=parse, help=help,
        shown_default=f"`{default}`" if shown_default is None else shown_default,
        default_from_env=default_from_env, check=check, secret=secret,
        list_separator=list_separator)}
    if default_from_env is not None:
        factory = default_from_env
        return dataclasses.field(default_factory=lambda: factory(os.environ), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def default_key_file(env: Mapping[str, str]) -> Path:
    """Where the secret key file is when ``CONSULTBOT_KEY_FILE`` is not set.

    Under systemd (``LoadCredential=`` sets ``CREDENTIALS_DIRECTORY``) the credential named
    ``consultbot-key``; otherwise in the operator's configuration directory, which is never
    inside the data directory, so copying or backing up the data directory leaves it behind.
    """
    credentials = env.get("CREDENTIALS_DIRECTORY", "").strip()
    if credentials:
        return Path(credentials) / CREDENTIAL_NAME
    home = env.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".config" / "consultbot" / "secret.key"


@dataclass(frozen=True, slots=True)
class Config:
    """The validated configuration of one consultbot installation: the configuration table.

    Each field is one setting; its help text is in :func:`setting`'s ``help``. Fields are in
    the order README and ``--help`` list them.
    """

    token: str = setting(
        default="", parse=text, secret=True, shown_default="required by `run`",
        help="bot token from @BotFather (better in the environment than in a file)")
    api_url: str = setting(
        default=DEFAULT_API_URL, parse=api_url,
        help="Bot API base URL (python-telegram-bot's `base_url`, the token is appended), "
             "e.g. `http://127.0.0.1:8081/bot` for a self-hosted Bot API server or an "
             "emulator; file downloads use the same URL with `/bot` replaced by `/file/bot`")
    data_dir: Path = setting(
        default=DEFAULT_DATA_DIR, parse=path, shown_default="`./consultbot-data`",
        help="directory with the SQLite database, created mode 0700 (never the key file)")
    key_file: Path = setting(
        default=Path("~/.config/consultbot/secret.key"), parse=path,
        default_from_env=default_key_file, check=key_file_outside_data_dir,
        shown_default="`$CREDENTIALS_DIRECTORY/consultbot-key` under systemd, "
                      "else `~/.config/consultbot/secret.key`",
        help="the secret key file (pseudonyms, server-side encryption); refused inside the "
             "data directory, so a copy or backup of the data directory never holds it")
    admins: frozenset[int] = setting(
        default=frozenset(), parse=user_ids, shown_default="none",
        help="comma-separated Telegram user ids of admins")
    surveys_dir: Path | None = setting(
        default=None, parse=optional_path, key="surveys", shown_default="none",
        help="directory whose `.yaml`/`.yml`/`.xlsx` survey files are validated and "
             "published at start")
    report_key: Path | None = setting(
        default=None, parse=optional_path, check=report_key_loads,
        shown_default="unset: reports encrypted with the server key",
        help="moderators' public key file: reports are then sealed to it (see *Sealed mode*)")
    backup_key: Path | None = setting(
        default=None, parse=optional_path, shown_default="unset",
        help="the backup public key file `consultbot backup` and `upgrade` encrypt to, when "
             "`--public-key` is not given (see *Backups*)")
    min_cell: int = setting(
        default=DEFAULT_MIN_CELL, parse=whole_number(
            SMALLEST_MIN_CELL, None,
            below=N_("smaller groups would let participants be re-identified")),
        help=f"smallest group size shown in any summary or export breakdown; values below "
             f"{SMALLEST_MIN_CELL} are refused")
    session_expiry_minutes: int = setting(
        default=30, parse=whole_number(
            1, 24 * 60, above=N_("what a conversation left alone holds should not stay in "
                                 "memory for days")),
        help="minutes an untouched conversation state (a report draft, a /status session) "
             "stays in memory before it is cleared, with what it held (1 to 1440)")
    identity_batch_seconds: int = setting(
        default=60, parse=whole_number(
            1, 3600, above=N_("subscriptions would wait in memory for more than an hour")),
        help="seconds between the shuffled batches in which new update subscriptions and "
             "moderator changes are written, after which the tables holding chat ids are "
             "rewritten in random order (1 to 3600)")
    report_categories: tuple[str, ...] = setting(
        default=(), parse=report_categories,
        shown_default="the built-in list: `labour_rights,freedom_of_expression,"
                      "safety_of_defenders,discrimination,corruption,other`",
        help="comma-separated topic ids offered by /report (1-32 of `a-z0-9_` each)")
    report_channels: tuple[str, ...] = setting(
        default=(), parse=text_entries, list_separator="\n", shown_default="none",
        help="stronger channels for high-risk cases, shown in the /report warning; separate "
             "entries with `|` or new lines (a TOML list works too)")
    report_digest_hours: float = setting(
        default=6.0, parse=number(0.25, 168), shown_default="`6`",
        help="hours between moderators' report digests, counted from midnight UTC "
             "(0.25 to 168)")
    report_digest_times: tuple[str, ...] = setting(
        default=(), parse=clock_times, shown_default="unset",
        help="fixed UTC digest times instead, e.g. `08:00,18:00`")
    report_retention_days: int = setting(
        default=90, parse=whole_number(1, 36500),
        help="days a closed (resolved or rejected) report is kept")
    report_max_file_mb: float = setting(
        default=10.0, parse=number(0.01, 20), shown_default="`10`",
        help="largest report attachment in MB (Telegram lets bots download up to 20)")
    reports_per_hour: int = setting(
        default=10, parse=whole_number(1, 1000),
        help="reports one person may file per hour (counted in memory)")
    report_open_max_days: int = setting(
        default=365, parse=whole_number(30, 36500),
        help="days after which a report that was never closed is erased; its handlers are "
             "warned two weeks before")
    draft_expiry_days: int = setting(
        default=90, parse=whole_number(1, 36500),
        help="days an unfinished survey answer nobody touched is kept while its survey stays "
             "open; then it is erased and the person starts again")
    survey_retention_days: int = setting(
        default=365, parse=whole_number(1, 36500),
        help="days after a survey closed until its answers are erased or reduced to their "
             "summary (`consultbot retention` sets it per survey)")
    survey_retention_action: str = setting(
        default="aggregate", parse=one_of("aggregate", "delete"),
        help="what happens to a closed survey's answers then: `aggregate` keeps only the "
             "protected summary, `delete` erases everything")
    audit_retention_days: int = setting(
        default=1095, parse=whole_number(30, 36500),
        help="days an audit log entry is kept (older ones are erased from the start of "
             "the chain, which still verifies)")
    moderator_2fa_required: bool = setting(
        default=True, parse=yes_no, shown_default="`true`",
        help="every moderator must set up a second factor (/2fa) before opening reports or "
             "changing moderators; `false` asks it only of those who set it up")
    moderator_2fa_fresh_minutes: int = setting(
        default=15, parse=whole_number(1, 240),
        help="minutes a second-factor code stays valid for opening reports and moderator "
             "changes (1 to 240)")
    send_rate: float = setting(
        default=30.0, parse=number(0.5, 1000), shown_default="`30`",
        help="messages per second the bot sends in all (Telegram allows about 30 for free); "
             "participants' replies go first, announcements get what is left (0.5 to 1000; "
             "above 30 only for a self-hosted Bot API server or a test emulator)")
    allow_paid_broadcast: bool = setting(
        default=False, parse=yes_no, shown_default="`false`",
        help="send announcements with Telegram's paid broadcasts (up to 1,000 messages per "
             "second, charged in Telegram Stars to the bot's balance), so a large announcement "
             "neither waits for nor slows participants' replies")
    webhook_secret: str = setting(
        default="", parse=secret_token, secret=True,
        shown_default="unset: a new random one at each start",
        help="secret Telegram sends with every webhook request (`run --webhook`); requests "
             "without it are refused. Set it only when several instances share one URL")
    metrics_listen: str = setting(
        default="", parse=listen_address, shown_default="off",
        help="`HOST:PORT` where the bot serves `/healthz` and Prometheus `/metrics` (no "
             "identifiers or survey content in any label); keep it on loopback")
    log_format: str = setting(
        default="text", parse=one_of("text", "json"), shown_default="`text`",
        help="`text` for people, `json` for log collectors (one JSON object per line, "
             "same rule: no payloads, text, names or ids)")

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
            raise ConfigError(_(
                "CONSULTBOT_TOKEN is not set: put the token @BotFather gave you in the "
                "environment variable CONSULTBOT_TOKEN (or in the --config file)."))
        return self.token

    def __repr__(self) -> str:
        # The token must never end up in a log or a traceback through a repr.
        shown = []
        for entry in SETTINGS:
            value = getattr(self, entry.attribute)
            if entry.secret:
                shown.append(f"{entry.attribute}={'<set>' if value else '<unset>'}")
            else:
                shown.append(f"{entry.attribute}={value!r}")
        return f"Config({', '.join(shown)})"


def _table() -> Iterator[Setting]:
    for found in dataclasses.fields(Config):
        declared: Setting = found.metadata[_SETTING]
        yield dataclasses.replace(declared, attribute=found.name,
                                  key=declared.key or found.name)


#: The configuration table, in :class:`Config`'s order.
SETTINGS: tuple[Setting, ...] = tuple(_table())
#: The TOML keys (the environment variables without ``CONSULTBOT_``, in lower case).
KEYS: tuple[str, ...] = tuple(entry.key for entry in SETTINGS)
