"""``consultbot backup --output FILE``: an encrypted, consistent copy of the running bot's data.

Safe while the bot runs (SQLite's online backup API). The file is encrypted to the backup
public key (``--public-key``, or ``CONSULTBOT_BACKUP_KEY``), so neither the server nor
whoever finds the file can read it; only the private key from ``consultbot backup keygen``,
kept off the server, opens it. The server secret key is never in it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_language import _
from bot.commands import add_installation_arguments, configuration, data_dir_of

if TYPE_CHECKING:
    from nacl.public import PublicKey

__all__ = ["add_parser", "backup_public_key", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``backup`` and ``backup keygen``."""
    parser = subparsers.add_parser(
        "backup",
        help=_("write an encrypted backup of the database (safe while the bot runs)"),
        description=_(
            "Copy the database consistently while the bot keeps running, encrypted to the "
            "backup public key. The secret key file is not included: back it up once, "
            "separately. Restore with 'consultbot restore'."),
    )
    parser.add_argument("--output", type=Path, metavar="FILE", default=None,
                        help=_("the backup file to write (never overwritten)"))
    parser.add_argument("--public-key", type=Path, metavar="FILE", default=None,
                        help=_("backup public key file (default: CONSULTBOT_BACKUP_KEY)"))
    add_installation_arguments(parser)
    actions = parser.add_subparsers(dest="backup_action", metavar="ACTION")
    keygen = actions.add_parser(
        "keygen",
        help=_("create the backup key pair"),
        description=_("Create the backup key pair: the public key goes to the server, the "
                      "private key (mode 0600) stays with the operator, off the server."),
    )
    keygen.add_argument("--output", required=True, type=Path, metavar="DIR",
                        help=_("directory to write the two key files into"))
    keygen.set_defaults(handler=run_keygen)
    parser.set_defaults(handler=run)


def backup_public_key(args: argparse.Namespace) -> PublicKey | None:
    """The backup public key from ``--public-key``, else the ``backup_key`` setting
    (``CONSULTBOT_BACKUP_KEY`` or the ``--config`` file).

    Returns:
        The key, or ``None`` after printing how to set it or why it cannot be read.
    """
    from storage.sealing import load_public_key  # imported here: keeps --help fast

    path = getattr(args, "public_key", None)
    if path is None:
        config = configuration(args)
        if config is None:
            return None  # configuration() said why
        path = config.backup_key
    if path is None:
        print(_("No backup public key: pass --public-key FILE or set CONSULTBOT_BACKUP_KEY "
                "(create the pair with 'consultbot backup keygen --output DIR')."),
              file=sys.stderr)
        return None
    try:
        return load_public_key(Path(path))
    except (OSError, ValueError) as error:
        print(_("Cannot read the backup public key {path}: {reason}").format(
            path=path, reason=error), file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    """Write the backup; exit 0 on success, 1 when it could not be written, 2 on usage."""
    from bot.backups import take_backup  # imported here: keeps --help fast

    if args.output is None:
        print(_("Say where to write the backup: consultbot backup --output FILE"),
              file=sys.stderr)
        return 2
    data_dir = data_dir_of(args)
    public_key = backup_public_key(args) if data_dir is not None else None
    if data_dir is None or public_key is None:
        return 2
    try:
        summary = asyncio.run(take_backup(data_dir, public_key, args.output,
                                          _show_progress if sys.stderr.isatty() else None))
    except FileExistsError:
        print(_("{path} already exists; choose a new file name.").format(path=args.output),
              file=sys.stderr)
        return 1
    except FileNotFoundError:
        print(_("No consultbot database in {dir}.").format(dir=data_dir), file=sys.stderr)
        return 1
    except OSError as error:
        print(_("The backup failed: {reason}").format(reason=error), file=sys.stderr)
        return 1
    print(_("Backup written: {path} ({size} bytes, schema version {version}, {responses} "
            "submitted responses, {reports} reports).").format(
        path=summary.path, size=summary.size, version=summary.schema_version,
        responses=summary.submitted_responses, reports=summary.reports))
    if summary.integrity != "ok":
        print(_("WARNING: the database is damaged ({detail}); keep this backup and the older "
                "ones, and run 'consultbot doctor'.").format(detail=summary.integrity),
              file=sys.stderr)
        return 1
    return 0


def _show_progress(done: int, total: int) -> None:
    percent = 100 * done // total if total else 100
    end = "\n" if done >= total else ""
    print(f"\r{percent:3d}%", end=end, file=sys.stderr, flush=True)


def run_keygen(args: argparse.Namespace) -> int:
    """Write the backup key pair; exit 1 if a key file already exists there."""
    from bot.backup_format import generate_backup_keys

    try:
        private_path, public_path = generate_backup_keys(args.output)
    except FileExistsError as error:
        print(_("{path} already exists; refusing to overwrite a key (backups would become "
                "unreadable). Choose another --output directory.").format(path=error),
              file=sys.stderr)
        return 1
    except OSError as error:
        print(_("Cannot write the keys: {reason}").format(reason=error), file=sys.stderr)
        return 1
    print(_("Private key: {path} (mode 0600). Keep it off the server, with a copy in a "
            "safe place: without it no backup can be restored.").format(path=private_path))
    print(_("Public key:  {path}. Copy it to the server and set "
            "CONSULTBOT_BACKUP_KEY={path}.").format(path=public_path))
    return 0
