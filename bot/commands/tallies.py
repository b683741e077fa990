"""``consultbot tallies check|rebuild``: the counters summaries are computed from.

Every submission and erasure updates per-day counters in its own transaction
(``storage.tallies``), and summaries add those up instead of reading every response.
``check [SURVEY_ID]`` recounts the responses and lists every counter that differs (exit 1
when any does, or when a survey still awaits its first rebuild); ``rebuild SURVEY_ID|--all``
recounts them in one write transaction. Nothing here prints an answer: a difference names a
day, a group and a value, as a published summary can.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli_language import _
from bot.commands import add_config_argument, run_with_storage

if TYPE_CHECKING:
    from storage import Storage
    from storage.tallies import TallyCheck

__all__ = ["add_parser", "run"]

#: Differences printed per survey; the count of the rest follows.
SHOWN_DIFFERENCES = 20


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tallies`` with its ``check`` and ``rebuild`` actions."""
    parser = subparsers.add_parser(
        "tallies", help=_("check or rebuild the counters summaries are computed from"),
        description=_("Summaries add up counters that every submission and erasure keeps up "
                      "to date. 'check' compares them with a recount of the responses; "
                      "'rebuild' recounts them."))
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    check = actions.add_parser("check", help=_("compare the counters with a recount"))
    check.add_argument("survey_id", metavar="SURVEY_ID", nargs="?", default=None,
                       help=_("the survey (default: every survey)"))
    rebuild = actions.add_parser("rebuild", help=_("recount the counters from the responses"))
    rebuild.add_argument("survey_id", metavar="SURVEY_ID", nargs="?", default=None,
                         help=_("the survey id"))
    rebuild.add_argument("--all", action="store_true", help=_("every survey"))
    for action in (check, rebuild):
        add_config_argument(action)
        action.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """0 when exact (check) or rebuilt; 1 for differences or an unknown survey; 2 on usage."""
    if args.action == "rebuild" and (args.survey_id is None) == (not args.all):
        print(_("Give a SURVEY_ID or --all."), file=sys.stderr)
        return 2
    return run_with_storage(args, lambda storage: _run(storage, args))


async def _run(storage: Storage, args: argparse.Namespace) -> int:
    known = await storage.tallies.survey_ids()
    if args.survey_id is not None and args.survey_id not in known:
        print(_("No survey with the id '{id}'.").format(id=args.survey_id), file=sys.stderr)
        return 1
    survey_ids = [args.survey_id] if args.survey_id is not None else known
    if args.action == "rebuild":
        for number, survey_id in enumerate(survey_ids, 1):
            print(_("{id}: recounting ({number} of {total})…").format(
                id=survey_id, number=number, total=len(survey_ids)), file=sys.stderr)
            counted = await storage.tallies.rebuild(survey_id)
            print(_("{id}: recounted from {responses} responses.").format(
                id=survey_id, responses=counted))
        return 0
    failed = False
    for survey_id in survey_ids:
        checked = await storage.tallies.check(survey_id)
        failed |= not checked.exact
        _report(checked)
    return 1 if failed else 0


def _report(checked: TallyCheck) -> None:
    survey_id = checked.survey_id
    if checked.awaiting_rebuild:
        print(_("{id}: awaiting a recount; the next summary does it, or run: "
                "consultbot tallies rebuild {id}").format(id=survey_id), file=sys.stderr)
        return
    if checked.exact:
        print(_("{id}: exact ({responses} responses, {counters} counters).").format(
            id=survey_id, responses=checked.responses, counters=checked.counters))
        return
    differences = checked.differences
    print(_("{id}: {count} counters differ from a recount of {responses} responses "
            "(respondents, key sum):").format(id=survey_id, count=len(differences),
                                             responses=checked.responses), file=sys.stderr)
    for difference in differences[:SHOWN_DIFFERENCES]:
        print(_("  breakdown '{by}' day {day} version {version} group {group} question "
                "'{question}' value {value}: stored {stored}, recounted {recounted}").format(
            by=difference.by_question, day=difference.day, version=difference.version,
            group=difference.group, question=difference.question_id, value=difference.value,
            stored=difference.stored, recounted=difference.recounted), file=sys.stderr)
    if len(differences) > SHOWN_DIFFERENCES:
        print(_("  … and {count} more").format(count=len(differences) - SHOWN_DIFFERENCES),
              file=sys.stderr)
    print(_("Fix it with: consultbot tallies rebuild {id}").format(id=survey_id),
          file=sys.stderr)
