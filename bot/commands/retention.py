"""``consultbot retention SURVEY_ID``: how long one survey's answers are kept after it closes.

``--days N --action aggregate|delete`` sets the survey's own policy; ``--default`` returns
it to the configured default (``survey_retention_days``, ``survey_retention_action``).
The daily job applies it (``bot.retention``). The change is recorded in the audit log.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli_language import _
from bot.commands import add_config_argument, run_with_storage

if TYPE_CHECKING:
    from storage import Storage

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``retention``."""
    parser = subparsers.add_parser(
        "retention", help=_("set how long a survey's answers are kept after it closes"),
        description=_("Set one survey's retention: after N days from closing, its answers "
                      "are reduced to the protected summary (aggregate) or erased (delete)."))
    parser.add_argument("survey_id", metavar="SURVEY_ID", help=_("the survey"))
    parser.add_argument("--days", type=int, metavar="N", help=_("days after closing (1 or more)"))
    parser.add_argument("--action", choices=("aggregate", "delete"),
                        help=_("what happens to the answers then"))
    parser.add_argument("--default", action="store_true",
                        help=_("use the configured default again"))
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """0 on success, 1 for a wrong request, 2 without a database."""
    if args.default == (args.days is not None or args.action is not None) or (
            not args.default and (args.days is None or args.action is None or args.days < 1)):
        print(_("Give --days N (1 or more) and --action, or --default."), file=sys.stderr)
        return 1
    return run_with_storage(args, lambda storage: _run(storage, args))


async def _run(storage: Storage, args: argparse.Namespace) -> int:
    from storage.audit import CLI_ACTOR
    from storage.retention import SurveyPolicy

    if not await storage.surveys.versions(args.survey_id):
        print(_("No survey with the id '{id}'.").format(id=args.survey_id), file=sys.stderr)
        return 1
    policy = None if args.default else SurveyPolicy(args.days, args.action)
    await storage.retention.set_policy(args.survey_id, policy)
    await storage.audit.append(CLI_ACTOR, "survey.retention", {
        "survey_id": args.survey_id, "days": args.days or 0,
        "action": args.action or "default"})
    if policy is None:
        print(_("{id} follows the configured retention again.").format(id=args.survey_id))
    elif policy.action == "delete":
        print(_("{id}: {days} days after closing, its answers are deleted.").format(
            id=args.survey_id, days=policy.days))
    else:
        print(_("{id}: {days} days after closing, its answers are reduced to their summary."
                ).format(id=args.survey_id, days=policy.days))
    return 0
