"""``consultbot reports --key PRIVATE_KEY_FILE``: read sealed reports on a moderator's machine.

With ``CONSULTBOT_REPORT_KEY`` set, the server stores reports sealed to the moderators'
public key and cannot read them, nor the moderators' replies (sealed to the reporter and
the moderators) and internal notes. A moderator copies the data directory (or at least
``consultbot.sqlite3``) to their own computer and runs this with the private key from
``consultbot keygen``: reports, follow-ups, replies and notes are decrypted here and
printed, and files are written to ``--files-to`` if given. Parts encrypted with the server
key (reports filed in server mode) show only where the secret key file is present too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.cli_language import _, ngettext
from bot.commands import add_installation_arguments, data_dir_of, has_database, server_secret

__all__ = ["add_parser", "run"]

_STATUSES = ("new", "in_review", "forwarded", "resolved", "rejected")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``reports``."""
    parser = subparsers.add_parser(
        "reports",
        help=_("decrypt and list sealed reports (moderators)"),
        description=_(
            "Decrypt and list reports with the moderators' private key. Run it on your own "
            "computer with a copy of the data directory; never put the private key on the server."
        ),
    )
    parser.add_argument("--key", required=True, type=Path, metavar="PRIVATE_KEY_FILE",
                        help=_("the private key file written by 'consultbot keygen'"))
    parser.add_argument("--status", action="append", choices=_STATUSES, default=None,
                        help=_("only reports with this status (repeatable; default: all)"))
    parser.add_argument("--files-to", type=Path, metavar="DIR", default=None,
                        help=_("write attached files into this directory"))
    add_installation_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """List every (selected) report with everything the keys here can open."""
    from storage.sealing import load_private_key  # late: keeps `consultbot --help` fast

    data_dir = data_dir_of(args)
    if data_dir is None:
        return 2
    try:
        private_key = load_private_key(args.key)
    except (OSError, ValueError) as error:
        print(_("Cannot read the private key {path}: {reason}").format(path=args.key,
                                                                       reason=error),
              file=sys.stderr)
        return 2
    secret = server_secret(args, data_dir) if has_database(data_dir) else None
    return asyncio.run(_list(data_dir, private_key, args.status, args.files_to, secret))


async def _list(data_dir: Path, private_key: Any, statuses: list[str] | None,
                files_to: Path | None, secret: Any) -> int:
    # Storage (and aiosqlite) load only when a command runs, so `consultbot --help` stays fast.
    from storage import DATABASE_FILE_NAME
    from storage.audit import CLI_ACTOR, AuditLog
    from storage.database import Database
    from storage.reports import ReportRepository, ReportStatus
    from storage.sealing import ReportCipher
    from storage.secret import AUDIT_PURPOSE, RECEIPTS_PURPOSE, REPORTS_PURPOSE

    if not has_database(data_dir):
        return 2
    database = data_dir / DATABASE_FILE_NAME
    # Without the server's key (a moderator's laptop), sealed reports still open with the
    # moderators' private key; only server-encrypted ones and the audit entry need it.
    server_key = secret.derive_key(REPORTS_PURPOSE) if secret else None
    receipt_key = secret.derive_key(RECEIPTS_PURPOSE) if secret else b"\0" * 32
    cipher = ReportCipher(server_key=server_key, private_key=private_key)
    wanted = [ReportStatus(s) for s in statuses] if statuses else None
    async with await Database.open(database) as db:
        repository = ReportRepository(db, cipher, receipt_key)
        shown = 0
        unreadable = 0
        offset = 0
        while True:
            page = await repository.list_reports(wanted, limit=100, offset=offset)
            if not page:
                break
            offset += len(page)
            for summary in page:
                report = await repository.get(summary.report_id)
                unreadable += _print_report(report, files_to)
                shown += 1
        if secret is not None:
            await AuditLog(db, secret.derive_key(AUDIT_PURPOSE)).append(
                CLI_ACTOR, "reports.decrypt", {"reports": shown})
    print(ngettext("{count} report.", "{count} reports.", shown).format(count=shown))
    if unreadable:
        print(ngettext(
            "{count} part could not be decrypted with this key (sealed to another key, "
            "or server-encrypted and the secret key file is not here).",
            "{count} parts could not be decrypted with this key (sealed to another key, "
            "or server-encrypted and the secret key file is not here).", unreadable).format(
                count=unreadable), file=sys.stderr)
    return 0


def _print_report(report: Any, files_to: Path | None) -> int:
    """Print one report; return how many of its parts could not be opened."""
    s = report.summary
    unreadable = 0
    print("=" * 72)
    print(_("Report {id} | {category} | {status} | filed {filed} | updated {updated}{sealed}")
          .format(id=s.report_id, category=s.category, status=s.status.value,
                  filed=s.filed_on, updated=s.updated_on,
                  sealed=_(" | sealed") if s.sealed else ""))
    print()
    if report.body is None:
        print(_("[cannot decrypt the description with this key]"))
        unreadable += 1
    else:
        # Late: langdetect takes a second to load, needed only once a description is shown.
        from surveys.tally import UNDETERMINED, detect_language

        detected = detect_language(report.body)
        if detected != UNDETERMINED:
            print(_("Language of the description: {language}").format(language=detected))
            print()
        print(report.body)
    for item in (*report.items, *report.notes):
        label = {"followup": _("follow-up from the reporter"), "file": _("file"),
                 "reply": _("moderator reply"),
                 "note": _("moderators' internal note")}.get(item.kind, item.kind)
        print()
        print(f"--- {label}, {item.added_on}")
        if not item.readable:
            print(_("[cannot decrypt this part here]"))
            unreadable += 1
        elif item.attachment is not None:
            attachment = item.attachment
            where = ""
            if files_to is not None:
                files_to.mkdir(parents=True, exist_ok=True)
                target = files_to / f"{s.report_id}-{item.seq}-{attachment.name}"
                target.write_bytes(attachment.data)
                where = " -> " + str(target)
            print(f"{attachment.name} ({attachment.mime}, {len(attachment.data)} bytes){where}")
        else:
            print(item.text)
    return unreadable
