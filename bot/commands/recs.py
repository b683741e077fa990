"""``consultbot recs``: record recommendations and move them through their statuses.

Every action calls :mod:`bot.recommendations`, the same service the chat's ``/recs`` uses,
so the rules (which status may follow which) and the audit entries are the same; the actor
is ``cli``. Texts are given per language as ``LANG=TEXT`` (``--title en="Pay on time"
--title fr="Payer à temps"``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import sys
from typing import Any

from bot.cli_language import _
from bot.commands import add_config_argument, configuration, has_database

__all__ = ["add_parser", "run"]

_STATUSES = ("received", "under_consideration", "accepted", "partly_accepted", "rejected",
             "in_progress", "implemented")


def _localized(value: str) -> tuple[str, str]:
    language, sep, text = value.partition("=")
    if not sep or not language.strip() or not text.strip():
        raise argparse.ArgumentTypeError(_("expected LANG=TEXT, e.g. en=\"Pay wages on time\""))
    return language.strip(), text.strip()


def _day(value: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("expected a date as YYYY-MM-DD")) from None


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``recs`` with ``add``, ``list``, ``status`` and ``milestone``."""
    parser = subparsers.add_parser(
        "recs", help=_("record recommendations and their status"),
        description=_("Record what a consultation recommended and what became of it. "
                      "Every change is written to the audit log."))
    add_config_argument(parser)
    actions = parser.add_subparsers(dest="recs_action", metavar="ACTION")
    actions.required = True

    add = actions.add_parser("add", help=_("record a new recommendation"),
                             description=_("Record a recommendation, in status 'received'."))
    add.add_argument("recommendation_id", metavar="ID",
                     help=_("a short id: lowercase letters, digits, '-' and '_'"))
    add.add_argument("--survey", required=True, metavar="SURVEY_ID",
                     help=_("the survey it came from"))
    add.add_argument("--title", action="append", type=_localized, required=True,
                     metavar="LANG=TEXT", help=_("the title in one language (repeat per language)"))
    add.add_argument("--body", action="append", type=_localized, default=[],
                     metavar="LANG=TEXT", help=_("the text in one language (repeat per language)"))
    add.add_argument("--question", action="append", default=[], metavar="QUESTION",
                     help=_("a survey question whose results it came from (repeatable)"))
    add.add_argument("--scale", choices=("yes_partly_no", "one_to_five"),
                     default="yes_partly_no",
                     help=_("how followers are asked whether it was addressed"))

    listing = actions.add_parser("list", help=_("list recommendations and their status"))
    listing.add_argument("--survey", metavar="SURVEY_ID", default=None,
                         help=_("only the recommendations of this survey"))
    listing.add_argument("--format", choices=("text", "json"), default="text",
                         help=_("text for people, json for programs"))

    status = actions.add_parser(
        "status", help=_("change a recommendation's status or progress"),
        description=_("Allowed: received -> under_consideration -> accepted, partly_accepted "
                      "or rejected -> in_progress -> implemented (a rejected one may be "
                      "reconsidered)."))
    status.add_argument("recommendation_id", metavar="ID", help=_("the recommendation"))
    status.add_argument("status", nargs="?", choices=_STATUSES, default=None,
                        help=_("the new status (leave out to change only the progress)"))
    status.add_argument("--progress", type=int, metavar="PERCENT", default=None,
                        help=_("progress from 0 to 100"))

    milestone = actions.add_parser(
        "milestone", help=_("add a dated milestone, or mark one reached"),
        description=_("Add a milestone with --date and --label, or mark milestone N "
                      "reached with --reached N."))
    milestone.add_argument("recommendation_id", metavar="ID", help=_("the recommendation"))
    milestone.add_argument("--date", type=_day, metavar="YYYY-MM-DD", default=None,
                           help=_("the milestone's date"))
    milestone.add_argument("--label", action="append", type=_localized, default=[],
                           metavar="LANG=TEXT",
                           help=_("the milestone in one language (repeat per language)"))
    milestone.add_argument("--done", action="store_true",
                           help=_("the new milestone is already reached"))
    milestone.add_argument("--reached", type=int, metavar="N", default=None,
                           help=_("mark milestone number N reached"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run one action; 0 on success, 1 when the rules refuse it, 2 without a database."""
    config = configuration(args)
    if config is None or not has_database(config.data_dir):
        return 2
    return asyncio.run(_run(config, args))


async def _run(config: Any, args: argparse.Namespace) -> int:
    from bot import recommendations as recs
    from storage import Storage
    from storage.audit import CLI_ACTOR
    from surveys.model import Text

    async with await Storage.open(config.data_dir, key_file=config.key_file) as storage:
        try:
            if args.recs_action == "add":
                added = await recs.add_recommendation(
                    storage, CLI_ACTOR, recommendation_id=args.recommendation_id,
                    survey_id=args.survey, title=Text(dict(args.title)),
                    body=Text(dict(args.body)), question_ids=tuple(args.question),
                    addressed_scale=args.scale)
                print(_("Recommendation '{id}' recorded ({status}).").format(
                    id=added.recommendation_id, status=added.status))
            elif args.recs_action == "list":
                found = await recs.list_recommendations(storage, args.survey)
                _print_list(found, args.format)
            elif args.recs_action == "status":
                return await _status(storage, recs, CLI_ACTOR, args)
            else:
                return await _milestone(storage, recs, CLI_ACTOR, Text, args)
        except recs.RecommendationError as error:
            print(error.message.render(_), file=sys.stderr)
            return 1
    return 0


async def _status(storage: Any, recs: Any, actor: str, args: argparse.Namespace) -> int:
    if args.status is None and args.progress is None:
        print(_("Give a new status, --progress, or both."), file=sys.stderr)
        return 1
    if args.status is None:
        changed = await recs.set_progress(storage, actor, args.recommendation_id, args.progress)
    else:
        changed = await recs.change_status(storage, actor, args.recommendation_id, args.status,
                                           progress=args.progress)
    print(_("Recommendation '{id}': {status}, progress {progress}.").format(
        id=changed.recommendation_id, status=changed.status, progress=f"{changed.progress}%"))
    return 0


async def _milestone(storage: Any, recs: Any, actor: str, text: Any,
                     args: argparse.Namespace) -> int:
    if args.reached is not None:
        marked = await recs.mark_milestone(storage, actor, args.recommendation_id, args.reached)
        print(_("Milestone {number} reached.").format(number=marked.number))
        return 0
    if args.date is None or not args.label:
        print(_("Give --date and --label to add a milestone, or --reached N."), file=sys.stderr)
        return 1
    added = await recs.add_milestone(storage, actor, args.recommendation_id,
                                     text(dict(args.label)), args.date, reached=args.done)
    print(_("Milestone {number} added ({date}).").format(number=added.number,
                                                         date=added.due_on.isoformat()))
    return 0


def _print_list(found: list[Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps([{
            "id": r.recommendation_id, "survey_id": r.survey_id, "title": r.title.to_dict(),
            "status": r.status, "progress": r.progress, "questions": list(r.question_ids),
            "milestones": [{"number": m.number, "date": m.due_on.isoformat(),
                            "label": m.label.to_dict(), "reached": m.reached}
                           for m in r.milestones],
        } for r in found], ensure_ascii=False, indent=2))
        return
    if not found:
        print(_("No recommendations yet."))
    for rec in found:
        title = rec.title.get("en", next(iter(sorted(rec.title.languages)), "en"))
        print(f"{rec.recommendation_id}\t{rec.survey_id}\t{rec.status}\t{rec.progress}%\t{title}")
        for m in rec.milestones:
            mark = "x" if m.reached else " "
            label = m.label.get("en", next(iter(sorted(m.label.languages)), "en"))
            print(f"  [{mark}] {m.number}. {m.due_on.isoformat()} {label}")
