"""``consultbot keygen --output DIR``: create the moderators' key pair for sealed reports.

Run it on a moderator's own computer, not on the server: the private key opens every
sealed report and must never be where the database is. Only the public key file goes to
the server, named by ``CONSULTBOT_REPORT_KEY``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli_language import _

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``keygen``."""
    parser = subparsers.add_parser(
        "keygen",
        help=_("create the moderators' key pair for sealed reports"),
        description=_(
            "Create a key pair for sealed reports: a private key file (mode 0600) that stays "
            "on the moderators' computer, and a public key file for the server's "
            "CONSULTBOT_REPORT_KEY. Existing key files are never overwritten."
        ),
    )
    parser.add_argument("--output", required=True, type=Path, metavar="DIR",
                        help=_("directory to write the two key files into"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the key pair; exit 1 if a key file already exists there."""
    from storage.sealing import generate_key_pair  # late: keeps `consultbot --help` fast

    try:
        private_path, public_path = generate_key_pair(args.output)
    except FileExistsError as error:
        print(_("{path} already exists; refusing to overwrite a key (sealed reports would "
                "become unreadable). Choose another --output directory.").format(path=error),
              file=sys.stderr)
        return 1
    except OSError as error:
        print(_("Cannot write the keys: {reason}").format(reason=error), file=sys.stderr)
        return 1
    print(_("Private key: {path} (mode 0600). Keep it on the moderators' computer, back it "
            "up safely, never copy it to the server: whoever holds it can read every sealed "
            "report; if it is lost, so are they.").format(path=private_path))
    print(_("Public key:  {path}. Copy it to the server and set "
            "CONSULTBOT_REPORT_KEY={path} (then restart the bot).").format(path=public_path))
    print(_("Read sealed reports with: consultbot reports --key {path}").format(
        path=private_path))
    return 0
