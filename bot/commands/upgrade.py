"""``consultbot upgrade``: back up, then apply the new release's migrations, with the bot stopped.

The bot applies pending migrations itself when it starts; running this first, after
installing a new release and before starting it, makes sure an encrypted backup of the
database as the previous release left it exists (``bot.backups.backup_before_migrations``),
and shows that the migrations succeed while someone is watching.
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
    """Register ``upgrade``."""
    parser = subparsers.add_parser(
        "upgrade",
        help=_("back up the database, then apply pending migrations (bot stopped)"),
        description=_(
            "Run after installing a new release, with the bot stopped: if the new release has "
            "migrations the database has not applied, an encrypted backup is written first, "
            "then the migrations are applied."),
    )
    parser.add_argument("--backup-dir", type=Path, metavar="DIR", default=None,
                        help=_("where the pre-upgrade backup goes (default: the data "
                               "directory's parent)"))
    parser.add_argument("--public-key", type=Path, metavar="FILE", default=None,
                        help=_("backup public key file (default: CONSULTBOT_BACKUP_KEY)"))
    add_installation_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 when the schema is current afterwards, 1 when refused or failed, 2 on usage."""
    from bot.backups import backup_before_migrations  # imported here: keeps --help fast
    from bot.commands.backup import backup_public_key
    from storage import DATABASE_FILE_NAME, Database, MigrationError, SchemaTooNew
    from storage.backup import database_in_use

    data_dir = data_dir_of(args)
    if data_dir is None:
        return 2
    database = data_dir / DATABASE_FILE_NAME
    if not database.is_file():
        print(_("No consultbot database in {dir}: nothing to upgrade.").format(dir=data_dir))
        return 0
    if database_in_use(database):
        print(_("{path} is open in another process: stop the bot first.").format(
            path=database), file=sys.stderr)
        return 1
    public_key = backup_public_key(args)
    if public_key is None:
        return 2
    backup_dir = args.backup_dir or data_dir.resolve().parent

    async def upgrade() -> int:
        print(_("Writing a backup before the migrations, into {dir}…").format(dir=backup_dir),
              file=sys.stderr)
        summary = await backup_before_migrations(data_dir, public_key, backup_dir)
        if summary is None:
            print(_("The database is up to date; no backup was needed."))
            return 0
        print(_("Backup written: {path} (schema version {version}).").format(
            path=summary.path, version=summary.schema_version))
        print(_("Applying the migrations…"), file=sys.stderr)
        try:
            async with await Database.open(database):
                pass
        except (MigrationError, SchemaTooNew) as error:
            print(_("The migration failed and was rolled back: {reason}").format(
                reason=error), file=sys.stderr)
            return 1
        print(_("Migrations applied. Start the new release now; if it misbehaves, reinstall "
                "the previous release and run: consultbot restore {path} --key "
                "PRIVATE_KEY").format(path=summary.path))
        return 0

    return asyncio.run(upgrade())
