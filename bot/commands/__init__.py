"""The ``consultbot`` subcommands, one module each, and the checks they share.

Every command that works on the data directory loads the configuration the same way and
refuses a directory without a database rather than creating an empty one, so the wording
of those refusals lives here once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_language import _

if TYPE_CHECKING:
    from bot.config import Config
    from storage import ServerSecret, Storage

__all__ = [
    "add_installation_arguments",
    "configuration",
    "data_dir_of",
    "has_database",
    "open_storage",
    "run_with_storage",
    "server_secret",
]


def configuration(args: argparse.Namespace) -> Config | None:
    """The configuration (``--config`` file and environment), or ``None`` after printing why not.

    Imported when called, so ``consultbot --help`` stays quick.
    """
    from bot.config import ConfigError
    from bot.config_loading import load_config

    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as error:
        print(str(error), file=sys.stderr)
        return None


def add_config_argument(parser: argparse.ArgumentParser, default: object = None) -> None:
    """``--config FILE``, the same option with the same help in every command that reads it.

    Args:
        parser: The command's (or subcommand's) parser.
        default: ``argparse.SUPPRESS`` where a subcommand must not overwrite the value its
            parent command parsed.
    """
    parser.add_argument("--config", type=Path, metavar="FILE", default=default,
                        help=_("configuration file (consultbot.toml)"))


def add_installation_arguments(parser: argparse.ArgumentParser, *, key_file: bool = False) -> None:
    """The options of the operator commands that name an installation on this server.

    ``--config`` and ``--data-dir`` (read by :func:`data_dir_of`), and with ``key_file`` also
    ``--key-file`` (the server secret key, when it is not where the configuration says).
    """
    if key_file:
        parser.add_argument("--key-file", type=Path, metavar="FILE", default=None,
                            help=_("the server secret key file (default: CONSULTBOT_KEY_FILE)"))
    add_config_argument(parser)
    parser.add_argument("--data-dir", type=Path, metavar="DIR", default=None,
                        help=_("data directory (default: CONSULTBOT_DATA_DIR)"))


def data_dir_of(args: argparse.Namespace, config: Config | None = None) -> Path | None:
    """The data directory from ``--data-dir``, else the configuration; prints why if unusable.

    Args:
        args: The parsed command line.
        config: The configuration, when the command loaded it already (otherwise it is
            loaded only if ``--data-dir`` is not given).
    """
    data_dir = getattr(args, "data_dir", None)
    if data_dir is not None:
        return Path(data_dir)
    config = config or configuration(args)
    return None if config is None else config.data_dir


def has_database(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a consultbot database; prints why not when it does not.

    Commands read an existing installation: opening a missing database would quietly
    create an empty one and report "no survey" instead of the wrong directory.
    """
    from storage import DATABASE_FILE_NAME

    if (data_dir / DATABASE_FILE_NAME).is_file():
        return True
    print(_("No consultbot database in {dir}.").format(dir=data_dir), file=sys.stderr)
    return False


def server_secret(args: argparse.Namespace, data_dir: Path) -> ServerSecret | None:
    """The installation's secret key, read (never created) from the configured key file.

    The key lives outside the data directory (``CONSULTBOT_KEY_FILE``; ARCHITECTURE.md,
    "Privacy rules"); an older installation's key still inside it is read with a warning.
    A command that reads data must never mint a new key (on a moderator's laptop a new key
    would silently make every pseudonym different), hence ``create=False``. Prints why and
    returns ``None`` when there is no usable key.
    """
    from storage import SecretKeyError, ServerSecret

    config = configuration(args)
    key_file = config.key_file if config is not None else None
    try:
        return ServerSecret.load(key_file, data_dir, create=False)
    except SecretKeyError as error:
        print(str(error), file=sys.stderr)
        return None


async def open_storage(config: Config) -> Storage | None:
    """The installation's storage, opened with its own key; ``None`` after printing why not.

    Only ``consultbot run`` creates the key, at first start. Any other command works on data
    written with an existing key: a key it created would match none of the stored
    pseudonyms, so a missing key file is refused, and nothing is left behind.
    """
    from storage import MissingKeyFile, SecretKeyError, Storage

    try:
        return await Storage.open(config.data_dir, key_file=config.key_file, create_key=False)
    except MissingKeyFile as error:
        print(_("No key file at {path}. This command never creates one: a new key would not "
                "match the data. Point CONSULTBOT_KEY_FILE at the key file the bot uses (it "
                "is not in backups of the data directory; put it back from where you keep "
                "it).").format(path=error.path), file=sys.stderr)
    except SecretKeyError as error:
        print(str(error), file=sys.stderr)
    return None


def run_with_storage(args: argparse.Namespace,
                     work: Callable[[Storage], Awaitable[int]]) -> int:
    """Run ``work`` on the configured installation's storage; its result is the exit code.

    The preamble every data command shares: load the configuration, refuse a directory
    without a database or without its key file (exit 2), and open storage with the
    configured key file, so no command can hash or derive with another key than the bot's.
    """
    config = configuration(args)
    if config is None or not has_database(config.data_dir):
        return 2

    async def run() -> int:
        storage = await open_storage(config)
        if storage is None:
            return 2
        async with storage:
            return await work(storage)

    return asyncio.run(run())
