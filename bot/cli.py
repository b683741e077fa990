"""The ``consultbot`` command line: one subcommand per module in :mod:`bot.commands`.

Each command module exposes ``add_parser(subparsers)`` and ``run(args) -> int``. Modules are
imported when the parser is built, so they keep their heavy imports (Telegram, matplotlib,
the database driver) inside ``run`` and ``consultbot --help`` stays fast. A command line that
names its command (``consultbot summary …``) builds the parser of that command's module
alone: starting Python is most of a summary's time, and the other modules' imports are not
needed for it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bot.cli_language import _, use_environment_language

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

#: Subcommands whose module is not named after them (``move-key`` finds ``move_key``).
COMMAND_ALIASES: dict[str, str] = {"try": "try_survey"}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """Build the argument parser with the subcommands of ``modules`` (by default, all)."""
    parser = argparse.ArgumentParser(
        prog="consultbot",
        description=_(
            "Telegram bot for civil-society consultations: surveys, anonymous concerns "
            "and 'you said, we did' feedback."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in modules:
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
    arguments = list(sys.argv[1:] if argv is None else argv)
    use_environment_language()
    parser = _parser_for(arguments)
    args = parser.parse_args(arguments)
    try:
        handler = getattr(args, "handler", None) or args.command_module.run
        return int(handler(args))
    except KeyboardInterrupt:
        print(_("Interrupted."), file=sys.stderr)
        return 130


def _parser_for(arguments: Sequence[str]) -> argparse.ArgumentParser:
    """The parser of the command ``arguments`` name, else (help, a typo) the full parser."""
    if arguments and not arguments[0].startswith("-"):
        command = arguments[0]
        module = COMMAND_ALIASES.get(command, command.replace("-", "_"))
        if module in COMMAND_MODULES:
            parser = build_parser((module,))
            if command in _subcommands(parser):
                return parser
    return build_parser()


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:  # argparse has no public accessor for its subparsers
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


if __name__ == "__main__":
    sys.exit(main())
