"""``consultbot restore FILE --key PRIVATE_KEY``: put a backup back, after checking it.

The backup is decrypted next to the database and checked there (SQLite integrity, schema
version not newer than this release, audit chain with the installation's key file); only
then does one atomic rename replace the database, and the old one is kept aside. Without a
usable key file the restore is refused before anything is read: the audit chain is the
tamper evidence, and a database restored without its key would be unusable anyway
(pseudonyms and server-encrypted reports depend on it). A
database still open in another process (the bot running) is not replaced unless
``--force`` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli_language import _
from bot.commands import add_installation_arguments, data_dir_of

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``restore``."""
    parser = subparsers.add_parser(
        "restore",
        help=_("restore the database from an encrypted backup, after checking it"),
        description=_(
            "Decrypt a backup, check its integrity, schema version and audit chain, then "
            "replace the database atomically (the previous one is kept aside). Stop the bot "
            "first."),
    )
    parser.add_argument("backup", type=Path, metavar="FILE", help=_("the backup file"))
    parser.add_argument("--key", required=True, type=Path, metavar="PRIVATE_KEY",
                        help=_("the backup private key file"))
    parser.add_argument("--force", action="store_true",
                        help=_("replace the database even if a process still has it open"))
    add_installation_arguments(parser, key_file=True)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Restore; exit 0 when replaced, 1 when refused (nothing changed), 2 on usage."""
    from bot.backup_format import BackupError  # imported here: keeps --help fast
    from bot.backups import restore_backup
    from bot.key_file import key_file_location, load_server_secret
    from storage import SecretKeyError
    from storage.sealing import load_private_key

    data_dir = data_dir_of(args)
    if data_dir is None:
        return 2
    try:
        private_key = load_private_key(args.key)
    except (OSError, ValueError) as error:
        print(_("Cannot read the backup private key {path}: {reason}").format(
            path=args.key, reason=error), file=sys.stderr)
        return 2
    key_path = key_file_location(data_dir, args.key_file)
    try:
        audit_key = load_server_secret(key_path).derive_key("audit")
    except SecretKeyError as error:
        # Never restored unverified: an unchecked audit chain is no tamper evidence, and
        # without the key it was written with the bot cannot use the data anyway.
        print(_("Restore refused, nothing was replaced: the backup's audit chain must be "
                "checked with this installation's secret key file, the one the bot used when "
                "the backup was taken (backups never hold it), and {path} cannot be used "
                "({reason}). Pass that key file with --key-file FILE, or set "
                "CONSULTBOT_KEY_FILE to it.").format(path=key_path, reason=error),
              file=sys.stderr)
        return 1
    if not args.backup.is_file():
        print(_("{path}: no such file").format(path=args.backup), file=sys.stderr)
        return 2
    print(_("Decrypting {path} and checking the database and its audit chain…").format(
        path=args.backup), file=sys.stderr)
    try:
        summary = asyncio.run(restore_backup(args.backup, private_key, data_dir, audit_key,
                                             force=args.force))
    except BackupError as error:
        print(_("Restore refused, nothing was replaced: {reason}").format(reason=error),
              file=sys.stderr)
        return 1
    found = summary.inspection
    print(_("Restored the backup of {created}: {responses} submitted responses, {reports} "
            "reports, schema version {version}.").format(
        created=summary.created, responses=found.submitted_responses, reports=found.reports,
        version=max(found.schema_versions)))
    if found.audit is not None:
        print(_("Audit chain intact: {count} entries; last hash {hash}").format(
            count=found.audit.entries, hash=found.audit.last_hash))
    if summary.previous is not None:
        print(_("The previous database was kept as {path}.").format(path=summary.previous))
    return 0
