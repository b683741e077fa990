"""``consultbot run``: run the bot (long polling, or a webhook) until SIGINT/SIGTERM.

Everything that can be wrong with the set-up is checked before the bot talks to Telegram:
the configuration, the survey files of ``CONSULTBOT_SURVEYS`` (all problems listed at
once) and that the data directory is writable. Each problem is one clear line on stderr
and a non-zero exit, never a traceback.

Updates come by long polling, or with ``--webhook URL --listen HOST:PORT`` by
python-telegram-bot's built-in web server behind a reverse proxy; every webhook request must
carry the secret token (``webhook_secret``, or one generated at each start and kept in
memory). Receiving them and the orderly stop on SIGTERM or Ctrl-C are
:func:`bot.serving.serve`'s job (its module docstring says how a stop loses nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.cli_language import _
from bot.serving import Webhook, serve

if TYPE_CHECKING:
    from bot.config import Config
    from bot.health import HealthServer

__all__ = ["EXIT_CONFIG", "EXIT_FAILURE", "add_parser", "run"]

#: Exit codes: 1 for a runtime failure (or a stop that abandoned work), 2 for configuration
#: problems (as argparse uses).
EXIT_FAILURE = 1
EXIT_CONFIG = 2
#: Where the webhook server listens when ``--listen`` is not given: the reverse proxy's side.
DEFAULT_LISTEN = "127.0.0.1:8080"


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) as a host and a port.

    Raises:
        ValueError: With what is expected.
    """
    host, colon, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not colon or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(_("--listen must be HOST:PORT, e.g. {example} (got {text!r})").format(
            example=DEFAULT_LISTEN, text=text))
    return host, int(port_text)


def webhook_url(text: str, api_url: str) -> str:
    """Check the ``--webhook`` URL: HTTPS (Telegram's rule), no query or fragment.

    A self-hosted Bot API server also accepts plain HTTP, so ``http://`` is allowed when
    ``api_url`` is not Telegram's.

    Raises:
        ValueError: With what is expected.
    """
    from bot.config import DEFAULT_API_URL

    parts = urlsplit(text.strip())
    schemes = ("https",) if api_url == DEFAULT_API_URL else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(_("--webhook must be the public https:// URL the reverse proxy serves, "
                           "e.g. https://bot.example.org/telegram (got {text!r})").format(text=text))
    return text.strip()


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``run``; its ``--help`` lists every setting (from :mod:`bot.config`)."""
    from bot.config_docs import describe_settings

    parser = subparsers.add_parser(
        "run",
        help=_("run the bot (long polling, or a webhook)"),
        description=textwrap.fill(_(
            "Run the bot with long polling, or with --webhook behind a reverse proxy that "
            "terminates HTTPS. Configuration comes from CONSULTBOT_* environment "
            "variables and, optionally, a TOML file with the same keys (the environment wins). "
            "The first Ctrl-C or SIGTERM stops taking updates, finishes the few in flight, "
            "leaves the rest with Telegram (sent again after the restart) and closes the "
            "database; a second one abandons what is still running and closes it at once."),
            width=79),
        epilog=describe_settings(width=79),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=_("a consultbot.toml file (keys as the environment variables)"))
    parser.add_argument("--webhook", metavar="URL",
                        help=_("receive updates by webhook at this public https:// URL (your "
                               "reverse proxy's) instead of long polling"))
    parser.add_argument("--listen", metavar="HOST:PORT", default=None,
                        help=_("where the webhook server listens (default {listen}); the "
                               "proxy forwards the URL's path here").format(listen=DEFAULT_LISTEN))
    parser.set_defaults(handler=run)


def _fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"consultbot: {message}", file=sys.stderr)
    return code


def check_data_dir(data_dir: Path) -> None:
    """Make sure the data directory exists (created 0700) and we can write in it.

    Raises:
        OSError: With the reason, when it cannot be created or written.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise PermissionError(13, "permission denied")
    with tempfile.TemporaryFile(dir=data_dir):
        pass


def run(args: argparse.Namespace) -> int:
    """Validate everything, then poll until stopped; returns the exit code."""
    # Imported here, as every heavy import below, so ``consultbot --help`` stays fast.
    from bot.config import ConfigError
    from bot.config_loading import load_config
    from bot.survey_files import SurveyFilesError, read_survey_files

    try:
        config = load_config(getattr(args, "config", None))
        token = config.require_token()
    except ConfigError as error:
        return _fail(str(error))
    try:
        survey_files = read_survey_files(config.surveys_dir) if config.surveys_dir else []
    except SurveyFilesError as error:
        print("consultbot: " + _("the survey files have errors; the bot was not started:"),
              file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    webhook: Webhook | None = None
    try:
        if args_webhook := getattr(args, "webhook", None):
            host, port = parse_listen(getattr(args, "listen", None) or DEFAULT_LISTEN)
            webhook = Webhook(webhook_url(args_webhook, config.api_url), host, port,
                              config.webhook_secret or secrets.token_urlsafe(32))
        elif getattr(args, "listen", None):
            return _fail(_("--listen is for webhook mode: give --webhook URL too"))
    except ValueError as error:
        return _fail(str(error))
    try:
        check_data_dir(config.data_dir)
    except OSError as error:
        return _fail(_("cannot write to the data directory {dir} ({reason}); set "
                       "CONSULTBOT_DATA_DIR to a writable directory").format(
                           dir=config.data_dir, reason=error.strerror or error))

    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.application import build_application
    from bot.i18n import load_translations
    from bot.logging_setup import setup_logging
    from storage.errors import StorageError

    if config.log_format == "json":
        from bot.json_logs import setup_json_logging

        setup_json_logging(token)
    else:
        setup_logging(token)
    translations = load_translations()
    translations.compile_all()
    application = build_application(config, survey_files=survey_files,
                                    translations=translations)
    try:
        health = _start_health(application, config)
    except OSError as error:
        return _fail(_("cannot serve metrics on {address} ({reason})").format(
            address=config.metrics_listen, reason=error.strerror or error), EXIT_FAILURE)
    try:
        finished = asyncio.run(serve(application, webhook))
    except InvalidToken:
        return _fail(_("Telegram rejected CONSULTBOT_TOKEN; check the token from @BotFather"),
                     EXIT_FAILURE)
    except NetworkError as error:
        return _fail(_("cannot reach the Bot API at {url} ({reason})").format(
            url=config.api_url, reason=type(error).__name__), EXIT_FAILURE)
    except TelegramError as error:
        return _fail(_("the Bot API refused to start the bot ({reason})").format(
            reason=type(error).__name__), EXIT_FAILURE)
    except OSError as error:  # the webhook server could not listen
        return _fail(_("cannot listen on {address} ({reason})").format(
            address=getattr(args, "listen", None) or DEFAULT_LISTEN,
            reason=error.strerror or error), EXIT_FAILURE)
    except StorageError as error:
        return _fail(_("cannot open the data in {dir}: {reason}").format(
            dir=config.data_dir, reason=error), EXIT_FAILURE)
    finally:
        if health is not None:
            health.stop()
    return 0 if finished else EXIT_FAILURE


def _start_health(application: Any, config: Config) -> HealthServer | None:
    """Serve /healthz and /metrics when ``metrics_listen`` is set (off by default)."""
    if not config.metrics_listen:
        return None
    from bot.health import Metrics, instrument, serve_health
    from storage import DATABASE_FILE_NAME

    metrics = Metrics()
    metrics.watch_database(config.data_dir / DATABASE_FILE_NAME)
    instrument(application, metrics)
    application.services.metrics = metrics
    return serve_health(metrics, config.metrics_listen)


