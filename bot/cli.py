"""The ``consultbot`` command line: one subcommand per module in :mod:`bot.commands`.

Each command module exposes ``add_parser(subparsers)`` and ``run(args) -> int``. Modules are
imported when the parser is built, so they keep their heavy imports (Telegram, matplotlib,
the database driver) inside ``run`` and ``consultbot --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]

#: Command modules, in the order ``--help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "check",
    "try_survey",
    "summary",
    "tallies",
    "export",
    "keygen",
    "reports",
    "audit",
    "invites",
    "retention",
    "backup",
    "restore",
    "upgrade",
    "doctor",
    "move_key",
    "recs",
    "site",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="consultbot",
        description=(
            "Telegram bot for civil-society consultations: surveys, anonymous concerns "
            "and 'you said, we did' feedback."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"bot.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"bot.commands.{name}":
                raise
            continue  # a command not built yet; the others still work
        before = set(subparsers.choices)
        module.add_parser(subparsers)
        for added in set(subparsers.choices) - before:
            # Remember which module owns the subcommand, so ``run`` is found even when the
            # module's parser does not set a handler itself.
            subparsers.choices[added].set_defaults(command_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``consultbot`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        handler = getattr(args, "handler", None) or args.command_module.run
        return int(handler(args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
