"""``consultbot invites``: one-use anonymous invite codes for an invite-only survey.

``consultbot invites SURVEY_ID --count N --output FILE`` makes N codes, switches the survey
to ``invite`` mode, and writes the codes once: a CSV of codes and deep links, or a
printable QR sheet (``.png``, or ``.pdf`` with 20 per page). The database keeps only keyed
hashes of the codes, so this file is the only copy: hand it out and then delete it.
``--list`` shows the batches (how many codes are spent, never which), ``--revoke BATCH``
voids a batch's unspent codes, and ``--open`` makes the survey open to anyone again.
Every change is recorded in the audit log (counts only).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_language import _
from bot.commands import add_config_argument, run_with_storage

if TYPE_CHECKING:
    from storage import Storage

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``invites``."""
    parser = subparsers.add_parser(
        "invites", help=_("make one-use invite codes for a survey"),
        description=_("Make, list or revoke one-use invite codes. A survey with codes starts "
                      "only for people who bring one (/start CODE or its link)."))
    parser.add_argument("survey_id", metavar="SURVEY_ID", help=_("the survey"))
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--count", type=int, metavar="N", help=_("how many codes to make"))
    action.add_argument("--list", action="store_true", help=_("show the batches of codes"))
    action.add_argument("--revoke", metavar="BATCH", help=_("void the unspent codes of a batch"))
    action.add_argument("--open", action="store_true",
                        help=_("open the survey to anyone again (codes are no longer needed)"))
    parser.add_argument("--output", type=Path, metavar="FILE",
                        help=_("where to write the codes: .csv, .png or .pdf"))
    parser.add_argument("--bot", metavar="USERNAME",
                        help=_("the bot's username, to write t.me links"))
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """0 on success, 1 for a wrong request, 2 without a database."""
    if args.count is not None and (args.output is None or not 1 <= args.count <= 100_000):
        print(_("--count needs a number from 1 to 100000 and --output FILE."), file=sys.stderr)
        return 1
    if args.output is not None and args.output.suffix.lower() not in (".csv", ".png", ".pdf"):
        print(_("--output must end in .csv, .png or .pdf."), file=sys.stderr)
        return 1
    return run_with_storage(args, lambda storage: _run(storage, args))


async def _run(storage: Storage, args: argparse.Namespace) -> int:
    from bot.invitations import write_invites
    from storage.audit import CLI_ACTOR
    from storage.invites import SurveyAccess

    survey_id = args.survey_id
    if not await storage.surveys.versions(survey_id):
        print(_("No survey with the id '{id}'.").format(id=survey_id), file=sys.stderr)
        return 1
    if args.list:
        mode = await storage.invites.mode(survey_id)
        print(_("{id} is {mode}.").format(id=survey_id, mode=mode))
        for batch in await storage.invites.batches(survey_id):
            state = _("revoked") if batch.revoked else _("valid")
            print(_("batch {batch} of {day}: {spent} of {total} codes spent, {state}").format(
                batch=batch.batch_id, day=batch.created_on.isoformat(), spent=batch.spent,
                total=batch.total, state=state))
        return 0
    if args.open:
        await storage.invites.set_mode(survey_id, SurveyAccess.OPEN)
        await storage.audit.append(CLI_ACTOR, "survey.access",
                                   {"survey_id": survey_id, "mode": SurveyAccess.OPEN})
        print(_("{id} is open to anyone.").format(id=survey_id))
        return 0
    if args.revoke is not None:
        batches = {b.batch_id for b in await storage.invites.batches(survey_id)}
        if args.revoke not in batches:
            print(_("No batch {batch} for {id}.").format(batch=args.revoke, id=survey_id),
                  file=sys.stderr)
            return 1
        voided = await storage.invites.revoke(args.revoke)
        await storage.audit.append(CLI_ACTOR, "invites.revoke",
                                   {"survey_id": survey_id, "batch": args.revoke,
                                    "voided": voided})
        print(_("Batch {batch} revoked: {count} unspent codes are void.").format(
            batch=args.revoke, count=voided))
        return 0
    batch = await storage.invites.create_batch(survey_id, args.count)
    await storage.invites.set_mode(survey_id, SurveyAccess.INVITE)
    await storage.audit.append(CLI_ACTOR, "invites.create",
                               {"survey_id": survey_id, "batch": batch.batch_id,
                                "count": batch.total})
    try:
        await asyncio.to_thread(write_invites, args.output, batch.codes, args.bot)
    except OSError as error:
        print(_("Could not write {file}: {reason}. Revoke batch {batch}.").format(
            file=args.output, reason=error, batch=batch.batch_id), file=sys.stderr)
        return 1
    print(_("{count} codes (batch {batch}) written to {file}; {id} now needs a code. This file "
            "is the only copy of the codes.").format(count=batch.total, batch=batch.batch_id,
                                                      file=args.output, id=survey_id))
    return 0
