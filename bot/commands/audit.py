"""``consultbot audit verify``: check the moderators' hash-chained audit log.

Exit 0 when every link holds (the count and last hash are printed, to compare with a copy
noted elsewhere: the chain cannot show entries cut off its end), 1 with the first broken
entry when something was changed, 2 when the data directory cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import gettext
import sys
from pathlib import Path

from bot.commands.reports import data_dir_of

__all__ = ["add_parser", "run"]

_ = gettext.gettext


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``audit`` with its ``verify`` action."""
    parser = subparsers.add_parser(
        "audit",
        help=_("check the moderators' audit log"),
        description=_("Work with the append-only, hash-chained log of moderator actions."),
    )
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION")
    actions.required = True
    verify = actions.add_parser(
        "verify",
        help=_("check that no audit entry was changed, inserted or removed"),
        description=_("Walk the audit chain. Exit 0 if intact, 1 (showing the first broken "
                      "entry) if it was tampered with."),
    )
    for target in (parser, verify):
        target.add_argument("--config", type=Path, metavar="FILE", default=argparse.SUPPRESS,
                            help=_("configuration file (consultbot.toml)"))
        target.add_argument("--data-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS,
                            help=_("data directory (default: CONSULTBOT_DATA_DIR)"))
    verify.set_defaults(handler=run)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Verify the chain of the configured data directory."""
    data_dir = data_dir_of(args)
    if data_dir is None:
        return 2
    return asyncio.run(_verify(data_dir))


async def _verify(data_dir: Path) -> int:
    # Storage (and aiosqlite) load only when a command runs, so `consultbot --help` stays fast.
    from storage import DATABASE_FILE_NAME, SecretKeyError, ServerSecret
    from storage.audit import AuditLog
    from storage.database import Database
    from storage.secret import KEY_FILE_NAME

    if not (data_dir / DATABASE_FILE_NAME).is_file() or not (data_dir / KEY_FILE_NAME).is_file():
        print(_("No consultbot database and secret key in {dir}.").format(dir=data_dir),
              file=sys.stderr)
        return 2
    try:
        secret = ServerSecret.load_or_create(data_dir)
    except SecretKeyError as error:
        print(str(error), file=sys.stderr)
        return 2
    async with await Database.open(data_dir / DATABASE_FILE_NAME) as db:
        result = await AuditLog(db, secret.derive_key("audit")).verify()
    if result.ok:
        print(_("Audit log intact: {count} entries; last hash {hash}").format(
            count=result.entries, hash=result.last_hash))
        return 0
    entry = result.first_broken
    assert entry is not None
    print(_("Audit log BROKEN at entry {seq} ({at}, {actor}, {action}): {reason}").format(
        seq=entry.seq, at=entry.at, actor=entry.actor, action=entry.action, reason=result.reason))
    print(_("{count} entries before it are intact.").format(count=result.entries))
    return 1
