"""``consultbot run``: run the bot with long polling until SIGINT/SIGTERM.

Everything that can be wrong with the set-up is checked before the bot talks to Telegram:
the configuration, the survey files of ``CONSULTBOT_SURVEYS`` (all problems listed at
once) and that the data directory is writable. Each problem is one clear line on stderr
and a non-zero exit, never a traceback.

Shutting down (SIGTERM from systemd or Docker, or Ctrl-C) lets python-telegram-bot finish
the updates in flight, then closes storage, which commits every pending write first; an
answer the participant saw acknowledged is therefore never lost.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

__all__ = ["EXIT_CONFIG", "EXIT_FAILURE", "add_parser", "run"]

#: Exit codes: 1 for a runtime failure, 2 for configuration problems (as argparse uses).
EXIT_FAILURE = 1
EXIT_CONFIG = 2


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``run``."""
    parser = subparsers.add_parser(
        "run",
        help="run the bot (long polling)",
        description=(
            "Run the bot with long polling. Configuration comes from CONSULTBOT_* environment "
            "variables and, optionally, a TOML file with the same keys (the environment wins). "
            "Stops cleanly on Ctrl-C or SIGTERM."
        ),
    )
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="a consultbot.toml file (keys as the environment variables)")
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
    from bot.config import ConfigError, load_config  # noqa: PLC0415
    from bot.survey_files import SurveyFilesError, read_survey_files  # noqa: PLC0415

    try:
        config = load_config(getattr(args, "config", None))
        token = config.require_token()
    except ConfigError as error:
        return _fail(str(error))
    try:
        survey_files = read_survey_files(config.surveys_dir) if config.surveys_dir else []
    except SurveyFilesError as error:
        print("consultbot: the survey files have errors; the bot was not started:", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    try:
        check_data_dir(config.data_dir)
    except OSError as error:
        return _fail(f"cannot write to the data directory {config.data_dir} "
                     f"({error.strerror or error}); set CONSULTBOT_DATA_DIR to a writable directory")

    from telegram.error import InvalidToken, NetworkError, TelegramError  # noqa: PLC0415

    from bot.application import build_application  # noqa: PLC0415
    from bot.logging_setup import setup_logging  # noqa: PLC0415
    from storage.errors import StorageError  # noqa: PLC0415

    setup_logging(token)
    application = build_application(config, survey_files=survey_files)
    try:
        application.run_polling(
            stop_signals=(signal.SIGINT, signal.SIGTERM),
            allowed_updates=["message", "callback_query"],
        )
    except InvalidToken:
        return _fail("Telegram rejected CONSULTBOT_TOKEN; check the token from @BotFather",
                     EXIT_FAILURE)
    except NetworkError as error:
        return _fail(f"cannot reach the Bot API at {config.api_url} ({type(error).__name__})",
                     EXIT_FAILURE)
    except TelegramError as error:
        return _fail(f"the Bot API refused to start the bot ({type(error).__name__})", EXIT_FAILURE)
    except StorageError as error:
        return _fail(f"cannot open the data in {config.data_dir}: {error}", EXIT_FAILURE)
    return 0
