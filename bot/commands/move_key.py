"""``consultbot move-key``: move an older installation's key out of the data directory.

Older releases kept the pseudonym key (``secret.key``) beside the database, so every copy or
backup of the data directory carried the one secret that ties chat ids to pseudonyms. The
bot keeps working with such a key (and warns at every start); this command moves it to the
configured ``CONSULTBOT_KEY_FILE`` safely (ARCHITECTURE.md, "Privacy rules").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli_language import _
from bot.commands import configuration

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``move-key``."""
    parser = subparsers.add_parser(
        "move-key",
        help=_("move an older installation's secret key out of the data directory"),
        description=_(
            "Move the secret key file that older releases kept inside the data directory to "
            "CONSULTBOT_KEY_FILE (outside it). Stop the bot first. The key is copied with "
            "mode 0600, read back and compared before the old file is erased; if the "
            "destination already holds a different key, nothing is touched."
        ),
    )
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help=_("a consultbot.toml file (the environment wins over it)"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Move the key; exit 1 with the reason when it cannot be moved safely."""
    from storage import SecretKeyError, move_legacy_key  # late: keeps `consultbot --help` fast

    config = configuration(args)
    if config is None:
        return 2
    try:
        moved_to = move_legacy_key(config.data_dir, config.key_file)
    except SecretKeyError as error:
        print(_("The key was not moved: {reason}").format(reason=error), file=sys.stderr)
        return 1
    print(_("The secret key is now in {path} (mode 0600) and no longer in the data "
            "directory. Back it up apart from the data directory.").format(path=moved_to))
    return 0
