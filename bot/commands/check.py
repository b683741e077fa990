"""``consultbot check FILE...``: validate survey files and list every problem.

Problems are printed one per line as ``FILE: row N: message`` (XLSForm) or
``FILE: line N: message`` (YAML), the format editors and CI logs understand. Warnings
(e.g. a missing translation) are shown but do not fail the check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_language import _, ngettext

if TYPE_CHECKING:
    from surveys.problems import Problem

__all__ = ["add_parser", "run"]

def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # argparse's private class is generic only in typeshed
    """Register ``check``."""
    parser = subparsers.add_parser(
        "check",
        help=_("validate survey files (YAML or XLSForm)"),
        description=_(
            "Validate survey files and print every problem as 'FILE: row N: message' (XLSForm) "
            "or 'FILE: line N: message' (YAML). Exits with 0 when all files are valid, 1 otherwise."
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path, help=_("a .yaml, .yml or .xlsx survey file"))


def run(args: argparse.Namespace) -> int:
    """Check every file; return 0 only if none has an error."""
    # Imported here, not at the top: ``consultbot`` imports every command module to build
    # its parser, and the survey loaders (YAML, XLSForm) would slow every other command.
    from surveys.loading import inspect_file

    failed = 0
    for path in args.files:
        result = inspect_file(path)
        for problem in sorted(result.problems, key=_position):
            print(problem.render(_))
        if result.survey is None:
            failed += 1
        else:
            survey = result.survey
            print(
                _("{file}: OK: survey '{id}', {count} questions, languages {languages}").format(
                    file=path, id=survey.id, count=len(survey.questions), languages=", ".join(survey.languages)
                )
            )
    if failed:
        total = len(args.files)
        print(ngettext("{count} of {total} file has errors.",
                               "{count} of {total} files have errors.", total).format(
                                   count=failed, total=total), file=sys.stderr)
        return 1
    return 0


def _position(problem: Problem) -> int:
    return problem.number or 0
