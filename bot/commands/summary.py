"""``consultbot summary SURVEY_ID``: the published, protected summary on the server.

Prints exactly what ``/summary`` shows in Telegram (the same publication layer builds it),
optionally broken down by one single-choice question, as text or, with ``--format json``,
as the documented JSON schema (``surveys.summary_json``); writes one PNG chart per question
with ``--charts DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_language import _
from bot.commands import add_config_argument, configuration, has_database, open_storage

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``summary``."""
    parser = subparsers.add_parser(
        "summary",
        help=_("print the aggregated summary of a survey"),
        description=_(
            "Print respondents, completion rate, responses per day and per-question figures, "
            "as published: groups smaller than CONSULTBOT_MIN_CELL are hidden, every count "
            "carries small consistent noise, and results cover whole days before today."
        ),
    )
    parser.add_argument("survey_id", metavar="SURVEY_ID", help=_("the survey id"))
    parser.add_argument("--by", metavar="QUESTION", default=None,
                        help=_("break every question down by this single-choice question"))
    parser.add_argument("--lang", metavar="L", default="en",
                        help=_("language and locale for labels, numbers and dates (default: en)"))
    parser.add_argument("--charts", metavar="DIR", type=Path, default=None,
                        help=_("write one PNG bar chart per question into DIR"))
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help=_("text for people, json for programs (schema in README)"))
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build and print the summary; 0 on success, 1 for an unknown survey or question."""
    config = configuration(args)
    if config is None:
        return 2
    return asyncio.run(_summary(config, args))


async def _summary(config: Config, args: argparse.Namespace) -> int:
    from bot.i18n import load_translations
    from bot.publication import SurveyNotFound, build_summary
    from surveys.aggregation import BreakdownError
    from surveys.charts import render_charts
    from surveys.summary_text import render_summary

    data_dir = config.data_dir
    if not has_database(data_dir):
        return 2
    translations = load_translations()
    language = translations.negotiate(args.lang)
    if language is None:
        print(_("No translation for '{language}': the summary is in {default}.").format(
            language=args.lang, default=translations.default_language), file=sys.stderr)
    translator = translations.translator(language or translations.default_language)
    # The installation's own key: the publication's noise is keyed by it (ARCHITECTURE.md).
    storage = await open_storage(config)
    if storage is None:
        return 2
    async with storage:
        try:
            summary = await build_summary(storage, args.survey_id, by=args.by,
                                          min_cell=config.min_cell)
        except SurveyNotFound:
            print(_("No survey with the id '{id}'.").format(id=args.survey_id), file=sys.stderr)
            return 1
        except BreakdownError as error:
            print(error.message.render(translator.gettext), file=sys.stderr)
            return 1
    if args.format == "json":
        from surveys.summary_json import summary_document

        print(json.dumps(summary_document(summary), ensure_ascii=False, indent=2))
    else:
        print(render_summary(summary, gettext=translator.gettext,
                             ngettext=translator.ngettext, locale=args.lang))
    if args.charts is not None:
        charts = await asyncio.to_thread(render_charts, summary, gettext=translator.gettext,
                                         language=args.lang)
        args.charts.mkdir(parents=True, exist_ok=True)
        for chart in charts:
            path = args.charts / f"{args.survey_id}-{chart.question_id}.png"
            path.write_bytes(chart.png)
            print(_("Chart written: {path}").format(path=path), file=sys.stderr)
    return 0
