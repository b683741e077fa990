"""``consultbot export SURVEY_ID --format csv|xlsx|json --output FILE``: responses for analysis.

One row per submitted response with a random per-export respondent number (never the
pseudonym), formula-like text neutralised, streamed with bounded memory. Progress goes to
stderr for long exports, and the export is recorded in the audit log with its row count and
SHA-256, like an export from Telegram.
"""

from __future__ import annotations

import argparse
import asyncio
import gettext
import sys
from pathlib import Path

from bot.commands import configuration, has_database

__all__ = ["add_parser", "run"]

_ = gettext.gettext

_FORMATS = ("csv", "xlsx", "json")


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``export``."""
    parser = subparsers.add_parser(
        "export",
        help=_("export the submitted responses of a survey"),
        description=_(
            "Write one row per submitted response (CSV with a BOM for spreadsheets, XLSX or "
            "JSON). Respondents get random per-export numbers; multi-select questions become "
            "0/1 columns named question/choice."
        ),
    )
    parser.add_argument("survey_id", metavar="SURVEY_ID", help=_("the survey id"))
    parser.add_argument("--format", choices=_FORMATS, default="csv", help=_("file format (default: csv)"))
    parser.add_argument("--output", type=Path, required=True, metavar="FILE", help=_("the file to write"))
    parser.add_argument("--config", type=Path, metavar="FILE", default=None,
                        help=_("configuration file (consultbot.toml)"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the export; 0 on success, 1 for an unknown survey or a failed write."""
    config = configuration(args)
    if config is None:
        return 2
    return asyncio.run(_export(config.data_dir, args))


def _progress(rows: int, expected: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{rows}/{expected}", end="", file=sys.stderr, flush=True)
    else:
        print(_("{rows} of {expected} responses written").format(rows=rows, expected=expected),
              file=sys.stderr)


async def _export(data_dir: Path, args: argparse.Namespace) -> int:
    from bot.publication import (  # noqa: PLC0415
        SurveyNotFound,
        export_responses,
        record_export,
    )
    from storage import Storage  # noqa: PLC0415
    from storage.audit import CLI_ACTOR  # noqa: PLC0415
    from surveys.export import ExportTooLarge  # noqa: PLC0415

    if not has_database(data_dir):
        return 2
    async with await Storage.open(data_dir) as storage:
        try:
            result = await export_responses(storage, args.survey_id, args.format, args.output,
                                            progress=_progress)
        except SurveyNotFound:
            print(_("No survey with the id '{id}'.").format(id=args.survey_id), file=sys.stderr)
            return 1
        except (ExportTooLarge, OSError) as error:
            print(_("Export failed: {reason}").format(reason=error), file=sys.stderr)
            return 1
        await record_export(storage, CLI_ACTOR, args.survey_id, result)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(_("{rows} responses written to {path} (SHA-256 {sha256})").format(
        rows=result.rows, path=result.path, sha256=result.sha256))
    return 0
