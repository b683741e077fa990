"""The checks behind ``consultbot doctor``: each finds one kind of misconfiguration.

Every check returns :class:`Finding` objects whose message says what to do, in the words
an operator types (``chmod 600 …``), because the person reading them is a volunteer at a
terminal, not someone who can read a traceback. Checks never print secrets, ids or survey
content.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.cli_language import _
from bot.key_file import LEGACY_NAME, key_file_location, load_server_secret
from storage import DATABASE_FILE_NAME, SecretKeyError
from storage.backup import inspect, pending_migrations

__all__ = ["DoctorOptions", "Finding", "Level", "diagnose", "exit_code"]


class Level(StrEnum):
    """How bad a finding is."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report: which check, how bad, and what to do."""

    level: Level
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.value:<4} {self.check}: {self.message}"


@dataclass(frozen=True, slots=True)
class DoctorOptions:
    """What to check, and against which installation.

    Attributes:
        data_dir: The data directory.
        token: The bot token ('' when not configured).
        api_url: The Bot API base URL (the token is appended).
        key_file: ``--key-file``, overriding the usual search for the secret key file.
        online: Ask Telegram whether the token is valid (getMe).
        quick: Skip the slow checks (integrity, audit chain), for container health checks.
        min_free_mb: Free space under the data directory below which the check fails.
        healthz_url: Also fetch the running bot's ``/healthz``, if given.
        env: The environment (for the key file search); tests pass a dict.
    """

    data_dir: Path
    token: str
    api_url: str
    key_file: Path | None = None
    online: bool = False
    quick: bool = False
    min_free_mb: int = 200
    healthz_url: str | None = None
    env: Mapping[str, str] | None = None


def exit_code(findings: list[Finding], *, quick: bool = False) -> int:
    """0 when all is well, 1 when anything failed, 2 when there are warnings only.

    With ``quick`` (a container health check) warnings exit 0: Docker reads any exit code
    but 0 and 1 as an error of the check itself.
    """
    levels = {finding.level for finding in findings}
    if Level.FAIL in levels:
        return 1
    if Level.WARN in levels and not quick:
        return 2
    return 0


async def diagnose(options: DoctorOptions) -> list[Finding]:
    """Run every check that applies and return the findings in a stable order."""
    findings = [*check_data_dir(options.data_dir)]
    key_path = key_file_location(options.data_dir, options.key_file, options.env)
    findings += check_key_file(key_path, options.data_dir, explicit=options.key_file is not None
                               or bool((options.env or os.environ).get("CONSULTBOT_KEY_FILE")))
    findings += check_token(options.token, options.api_url, online=options.online)
    findings += await check_database(options.data_dir, key_path, quick=options.quick)
    findings += check_disk(options.data_dir, options.min_free_mb)
    if options.healthz_url:
        findings += check_healthz(options.healthz_url)
    return findings


def check_data_dir(data_dir: Path) -> list[Finding]:
    """The data directory and database file must be private to the bot's user."""
    name = _("data directory")
    if not data_dir.exists():
        return [Finding(Level.WARN, name, _("{dir} does not exist yet; the bot creates it "
                                            "(mode 0700) at first start").format(dir=data_dir))]
    if not data_dir.is_dir():
        return [Finding(Level.FAIL, name, _("{dir} is not a directory").format(dir=data_dir))]
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    findings = []
    if mode & 0o007:
        findings.append(Finding(Level.FAIL, name, _(
            "{dir} is accessible by every user of this machine (mode {mode:04o}); run: "
            "chmod 700 {dir}").format(dir=data_dir, mode=mode)))
    elif mode & 0o070:
        findings.append(Finding(Level.WARN, name, _(
            "{dir} is accessible by its group (mode {mode:04o}); unless that is intended, "
            "run: chmod 700 {dir}").format(dir=data_dir, mode=mode)))
    database = data_dir / DATABASE_FILE_NAME
    if database.exists() and stat.S_IMODE(database.stat().st_mode) & 0o077:
        findings.append(Finding(Level.FAIL, name, _(
            "{path} is readable by others; run: chmod 600 {path}").format(path=database)))
    return findings or [Finding(Level.OK, name, _("{dir} is private (mode {mode:04o})").format(
        dir=data_dir, mode=mode))]


def check_key_file(key_path: Path, data_dir: Path, *, explicit: bool) -> list[Finding]:
    """The secret key: present when there is data, mode 0600, outside the data directory."""
    name = _("secret key")
    database = data_dir / DATABASE_FILE_NAME
    if not key_path.exists():
        if database.exists():
            return [Finding(Level.FAIL, name, _(
                "{path} is missing but the database exists: without the key written with it, "
                "pseudonyms and server-encrypted reports cannot be read; put the key file "
                "back (it is not in the backups) or point CONSULTBOT_KEY_FILE at it").format(
                path=key_path))]
        return [Finding(Level.WARN, name, _("{path} does not exist yet; the bot creates it "
                                            "at first start").format(path=key_path))]
    findings = []
    try:
        load_server_secret(key_path)
    except SecretKeyError as error:
        findings.append(Finding(Level.FAIL, name, str(error)))
    if _inside(key_path, data_dir):
        if explicit or key_path.name != LEGACY_NAME:
            findings.append(Finding(Level.FAIL, name, _(
                "{path} is inside the data directory, so every copy or backup of the directory "
                "carries it; move it elsewhere and set CONSULTBOT_KEY_FILE").format(path=key_path)))
        else:
            findings.append(Finding(Level.WARN, name, _(
                "{path} is in the data directory (older installations kept it there); move "
                "it out, e.g. to ~/.config/consultbot/secret.key, and set "
                "CONSULTBOT_KEY_FILE").format(path=key_path)))
    return findings or [Finding(Level.OK, name, _("{path}: mode 0600, outside the data "
                                                  "directory").format(path=key_path))]


def _inside(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def check_token(token: str, api_url: str, *, online: bool) -> list[Finding]:
    """The token is set, looks like one, and (``online``) Telegram accepts it."""
    name = _("bot token")
    if not token:
        return [Finding(Level.FAIL, name, _("CONSULTBOT_TOKEN is not set: put the token "
                                            "@BotFather gave you in it"))]
    bot_id, _sep, secret_part = token.partition(":")
    if not bot_id.isdigit() or len(secret_part) < 30:
        return [Finding(Level.FAIL, name, _("CONSULTBOT_TOKEN does not look like a bot token "
                                            "(digits, a colon, then about 35 characters)"))]
    if not online:
        return [Finding(Level.OK, name, _("set and well-formed; not checked with Telegram "
                                          "(add --online to check it)"))]
    url = api_url + token + "/getMe"  # as python-telegram-bot builds it from base_url
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # the operator's own URL
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code in (401, 404):
            return [Finding(Level.FAIL, name, _("Telegram rejects the token (revoked or "
                                                "mistyped); get the current one from "
                                                "@BotFather"))]
        return [Finding(Level.FAIL, name, _("the Bot API answered HTTP {code}").format(
            code=error.code))]
    except (OSError, ValueError) as error:
        reason = str(getattr(error, "reason", error)).replace(token, "<token>")
        return [Finding(Level.FAIL, name, _("cannot reach the Bot API ({reason}); check the "
                                            "network or CONSULTBOT_API_URL").format(
            reason=reason))]
    username = answer.get("result", {}).get("username", "?") if answer.get("ok") else None
    if username is None:
        return [Finding(Level.FAIL, name, _("Telegram rejects the token (revoked or mistyped); "
                                            "get the current one from @BotFather"))]
    return [Finding(Level.OK, name, _("accepted by Telegram (bot @{username})").format(
        username=username))]


async def check_database(data_dir: Path, key_path: Path, *, quick: bool) -> list[Finding]:
    """Pending migrations, SQLite integrity and the audit chain.

    With ``quick`` (every 30 s in a container) only the schema versions are read: an
    integrity check or a count reads the whole file, too much for a health check.
    """
    database = data_dir / DATABASE_FILE_NAME
    if not database.exists():
        return [Finding(Level.WARN, _("database"), _("none in {dir} yet; it is created at "
                                                     "first start").format(dir=data_dir))]
    audit_key = None
    if not quick:
        try:
            audit_key = load_server_secret(key_path).derive_key("audit")
        except SecretKeyError:
            audit_key = None  # reported by the key check
    try:
        found = await inspect(database, audit_key, integrity="skip" if quick else "quick")
        pending = await pending_migrations(database) if not found.unknown_versions else ()
    except Exception as error:  # noqa: BLE001 - whatever SQLite says, the operator must see it
        return [Finding(Level.FAIL, _("database"), _("{path} cannot be read: {reason}").format(
            path=database, reason=error))]
    findings = []
    if found.integrity != "ok":
        findings.append(Finding(Level.FAIL, _("database"), _(
            "{path} is damaged ({detail}); stop the bot and restore the latest backup").format(
            path=database, detail=found.integrity)))
    elif not quick:
        findings.append(Finding(Level.OK, _("database"), _(
            "{responses} submitted responses, {reports} reports, integrity ok").format(
            responses=found.submitted_responses, reports=found.reports)))
    migrations = _("migrations")
    if found.unknown_versions:
        findings.append(Finding(Level.FAIL, migrations, _(
            "the database has schema version {version:04d}, newer than this consultbot "
            "({known:04d}): install the newer release again").format(
            version=max(found.unknown_versions), known=found.newest_known)))
    elif pending:
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in pending)
        findings.append(Finding(Level.WARN, migrations, _(
            "{count} pending ({names}); they run at the next start: take a backup first with "
            "'consultbot upgrade'").format(count=len(pending), names=names)))
    else:
        findings.append(Finding(Level.OK, migrations, _("schema up to date ({version:04d})"
                                                        ).format(version=found.newest_known)))
    if not quick:
        findings += _audit_findings(found.audit)
    return findings


def _audit_findings(audit: object) -> list[Finding]:
    name = _("audit log")
    if audit is None:
        return [Finding(Level.WARN, name, _("not checked: no usable secret key file"))]
    ok = getattr(audit, "ok", False)
    if ok:
        return [Finding(Level.OK, name, _("chain intact: {count} entries; last hash {hash}"
                                          ).format(count=getattr(audit, "entries", 0),
                                                   hash=getattr(audit, "last_hash", "")))]
    return [Finding(Level.FAIL, name, _(
        "chain broken after {count} entries ({reason}); run 'consultbot audit verify' and "
        "compare with your last published head").format(
        count=getattr(audit, "entries", 0), reason=getattr(audit, "reason", "")))]


def check_disk(data_dir: Path, min_free_mb: int) -> list[Finding]:
    """Enough free space where the database grows (SQLite fails writes on a full disk)."""
    name = _("disk space")
    where = data_dir if data_dir.exists() else data_dir.parent
    try:
        free_mb = shutil.disk_usage(where if where.exists() else Path.cwd()).free // 2**20
    except OSError as error:
        return [Finding(Level.WARN, name, str(error))]
    if free_mb < min_free_mb:
        return [Finding(Level.FAIL, name, _(
            "only {free} MB free under {dir} (minimum {minimum} MB): the bot cannot save "
            "answers on a full disk; free some space").format(
            free=free_mb, dir=where, minimum=min_free_mb))]
    if free_mb < 2 * min_free_mb:
        return [Finding(Level.WARN, name, _("{free} MB free under {dir}; getting low").format(
            free=free_mb, dir=where))]
    return [Finding(Level.OK, name, _("{free} MB free").format(free=free_mb))]


def check_healthz(url: str) -> list[Finding]:
    """The running bot's own health endpoint (``bot.health``) says it is alive."""
    name = _("health endpoint")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # the operator's own URL
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        return [Finding(Level.FAIL, name, _("{url} does not answer ({reason}): is the bot "
                                            "running?").format(url=url, reason=error))]
    if status != 200:
        return [Finding(Level.FAIL, name, _("{url} answered {status}: the bot is running but "
                                            "stuck; see its log").format(url=url,
                                                                          status=status))]
    return [Finding(Level.OK, name, _("{url} answers").format(url=url))]


def run_diagnosis(options: DoctorOptions) -> list[Finding]:
    """:func:`diagnose` for synchronous callers."""
    return asyncio.run(diagnose(options))
