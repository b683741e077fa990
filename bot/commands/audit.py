"""``consultbot audit verify|list|export|head``: the moderators' hash-chained audit log.

* ``verify``: exit 0 when every link holds (the count and last hash are printed, to
  compare with a copy noted elsewhere: the chain cannot show entries cut off its end), 1
  with the first broken entry when something was changed.
* ``list [--since DAY]``: the entries as lines (who as moderator pseudonym, what, when).
* ``export --output FILE [--since DAY]``: every entry as JSON Lines, each written only after
  its link was checked; exit 1 (with what was written so far kept) at a broken link.
* ``head``: the number of entries and the last hash, to publish (e.g. on the results page)
  so that entries later cut off the end become detectable by outsiders.

Exit 2 when the data directory cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli_language import _
from bot.commands import add_config_argument, data_dir_of, has_database, server_secret

if TYPE_CHECKING:
    from storage import ServerSecret
    from storage.audit import AuditLog, AuditVerification

__all__ = ["add_parser", "run"]


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
    listing = actions.add_parser(
        "list", help=_("show the audit entries"),
        description=_("Print every audit entry: when, which moderator (pseudonym), what."))
    export = actions.add_parser(
        "export", help=_("write every audit entry to a file, checking the chain"),
        description=_("Write the audit log as JSON Lines, checking each link before it is "
                      "written. Exit 1 at a broken link."))
    export.add_argument("--output", type=Path, metavar="FILE", required=True,
                        help=_("the file to write (JSON Lines)"))
    for target in (listing, export):
        target.add_argument("--since", type=_day, metavar="YYYY-MM-DD", default=None,
                            help=_("only entries from this UTC day on"))
    head = actions.add_parser(
        "head", help=_("print the number of entries and the last hash, to publish"),
        description=_("Print the count and head hash of the audit log. Published elsewhere, "
                      "they let anyone detect entries later cut off the end."))
    for target in (parser, verify, listing, export, head):
        add_config_argument(target, argparse.SUPPRESS)
        target.add_argument("--data-dir", type=Path, metavar="DIR", default=argparse.SUPPRESS,
                            help=_("data directory (default: CONSULTBOT_DATA_DIR)"))
    for target in (parser, verify, listing, export, head):
        target.set_defaults(handler=run)


def _day(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a day as YYYY-MM-DD: {text}").format(
            text=text)) from None


def run(args: argparse.Namespace) -> int:
    """Run the chosen action on the configured data directory."""
    data_dir = data_dir_of(args)
    if data_dir is None:
        return 2
    if not has_database(data_dir):
        return 2
    # The chain is keyed by the installation's key (CONSULTBOT_KEY_FILE, outside the data
    # directory; an older installation's key inside it is still read, never created).
    secret = server_secret(args, data_dir)
    if secret is None:
        return 2
    return asyncio.run(_run(data_dir, args, secret))


async def _run(data_dir: Path, args: argparse.Namespace, secret: ServerSecret) -> int:
    # Storage (and aiosqlite) load only when a command runs, so `consultbot --help` stays fast.
    from storage import DATABASE_FILE_NAME
    from storage.audit import AuditLog
    from storage.database import Database
    from storage.secret import AUDIT_PURPOSE

    action = getattr(args, "audit_action", "verify")
    async with await Database.open(data_dir / DATABASE_FILE_NAME) as db:
        log = AuditLog(db, secret.derive_key(AUDIT_PURPOSE))
        if action == "head":
            count, last_hash = await log.head()
            print(_("{count} entries; head hash {hash}").format(count=count, hash=last_hash))
            return 0
        if action in ("list", "export"):
            return await _write(log, action, args)
        return _report(await log.verify())


async def _write(log: AuditLog, action: str, args: argparse.Namespace) -> int:
    """List or export the entries from ``--since`` on, checking every link as it goes."""
    from storage.audit import AuditChainBroken

    since = args.since.isoformat() if args.since is not None else ""
    written = 0
    output: TextIO = sys.stdout
    if action == "export":
        output = args.output.open("w", encoding="utf-8", newline="\n")
    try:
        async for entry in log.checked():
            if entry.at[:10] < since:
                continue
            if action == "export":
                output.write(json.dumps(
                    {"seq": entry.seq, "at": entry.at, "actor": entry.actor,
                     "action": entry.action, "details": dict(entry.details),
                     "prev_hash": entry.prev_hash, "hash": entry.hash},
                    ensure_ascii=False, sort_keys=True) + "\n")
            else:
                details = json.dumps(dict(entry.details), ensure_ascii=False, sort_keys=True)
                output.write(f"{entry.seq}\t{entry.at}\t{entry.actor}\t{entry.action}\t"
                             f"{details}\n")
            written += 1
    except AuditChainBroken as broken:
        print(_("Audit log BROKEN at entry {seq}: {reason}").format(
            seq=broken.entry.seq, reason=broken.reason), file=sys.stderr)
        return 1
    finally:
        if action == "export":
            output.close()
    if action == "export":
        print(_("{count} entries written to {file}; the chain is intact.").format(
            count=written, file=args.output), file=sys.stderr)
    return 0


def _report(result: AuditVerification) -> int:
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
