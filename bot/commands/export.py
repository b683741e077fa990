"""``consultbot export SURVEY_ID --format csv|xlsx|json --output FILE``: responses for analysis.

By default the protected microdata (``surveys.microdata``): no free text, no dates, number
answers as ranges, every quasi-identifier combination shared by at least ``min_cell`` rows
(local suppression). ``--include-text`` writes raw rows with free text and days instead and
is audited as ``export_raw``. Either way the risk check is printed first (how many rows are
unique on the quasi-identifiers), the file is mode 0600, every row has a random per-export
respondent number (never the pseudonym) and formula-like text is neutralised. The export is
recorded in the audit log with its row count and SHA-256, like an export from Telegram.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_language import _
from bot.commands import add_config_argument, configuration, has_database, open_storage
from surveys.microdata import RiskReport

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["add_parser", "run"]

_FORMATS = ("csv", "xlsx", "json")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``export``."""
    parser = subparsers.add_parser(
        "export",
        help=_("export the submitted responses of a survey"),
        description=_(
            "Write one row per published response (CSV with a BOM for spreadsheets, XLSX or "
            "JSON), protected by default: no free text or dates, and no combination of "
            "select answers shared by fewer than CONSULTBOT_MIN_CELL rows. A risk check is "
            "printed first."
        ),
    )
    parser.add_argument("survey_id", metavar="SURVEY_ID", help=_("the survey id"))
    parser.add_argument("--format", choices=_FORMATS, default="csv", help=_("file format (default: csv)"))
    parser.add_argument("--output", type=Path, required=True, metavar="FILE", help=_("the file to write"))
    parser.add_argument("--include-text", action="store_true",
                        help=_("raw rows with free text and days instead of the protected "
                               "export (recorded in the audit log as a raw export)"))
    add_config_argument(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the export; 0 on success, 1 for an unknown survey or a failed write."""
    config = configuration(args)
    if config is None:
        return 2
    return asyncio.run(_export(config, args))


def _progress(rows: int, expected: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{rows}/{expected}", end="", file=sys.stderr, flush=True)
    else:
        print(_("{rows} of {expected} responses written").format(rows=rows, expected=expected),
              file=sys.stderr)


def _risk(report: RiskReport) -> None:
    print(_("Risk check: {unique} of {records} responses are unique on the quasi-identifiers "
            "({names}); {below} share their combination with fewer than {k}.").format(
        unique=report.unique_before, records=report.records,
        names=", ".join(report.quasi_identifiers), below=report.below_k_before, k=report.k),
        file=sys.stderr)
    suppressed = ", ".join(f"{name}: {count}" for name, count in report.suppressed_cells.items())
    print(_("Protection: {cells} values blanked ({detail}); {unique} responses unique "
            "afterwards.").format(cells=sum(report.suppressed_cells.values()),
                                  detail=suppressed or "-", unique=report.unique_after),
          file=sys.stderr)


async def _export(config: Config, args: argparse.Namespace) -> int:
    from bot.publication import (
        SurveyNotFound,
        export_responses,
        record_export,
    )
    from storage.audit import CLI_ACTOR
    from surveys.export import ExportTooLarge

    if not has_database(config.data_dir):
        return 2
    # The installation's own key: the publication's noise is keyed by it (ARCHITECTURE.md).
    storage = await open_storage(config)
    if storage is None:
        return 2
    async with storage:
        try:
            result = await export_responses(storage, args.survey_id, args.format, args.output,
                                            progress=_progress, min_cell=config.min_cell,
                                            include_text=args.include_text, risk_check=_risk)
        except SurveyNotFound:
            print(_("No survey with the id '{id}'.").format(id=args.survey_id), file=sys.stderr)
            return 1
        except ExportTooLarge as error:
            print(_("Export failed: {reason}").format(reason=error), file=sys.stderr)
            return 1
        except OSError as error:
            print(_("Cannot write {file}: {reason}").format(
                file=args.output, reason=error.strerror or error), file=sys.stderr)
            return 1
        await record_export(storage, CLI_ACTOR, args.survey_id, result)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(_("{rows} responses written to {path} (SHA-256 {sha256})").format(
        rows=result.rows, path=result.path, sha256=result.sha256))
    return 0
