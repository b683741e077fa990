"""The command list shown in Telegram's menu (``setMyCommands``) and by /help.

Features declare their commands in ``register`` with :func:`add_command`; the menus in
every language and the /help text are then built from that one list, so a command cannot
be in the menu yet missing from /help, or the other way round.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.context import CommandInfo, CommandScope, Services, Translator, services_of

__all__ = ["MENU_ORDER", "add_command", "command_list"]

#: Where participant commands appear in the menu, as README.md lists them; commands not
#: named here come before /help, in the order they were declared.
MENU_ORDER: tuple[str, ...] = (
    "start", "surveys", "report", "status", "language", "privacy", "mydata", "forget",
    "cancel", "help",
)


def add_command(
    application: Application[Any, Any, Any, Any, Any, Any],
    name: str,
    description: str,
    scope: CommandScope = CommandScope.PARTICIPANT,
) -> None:
    """Declare a command for the menus and /help.

    Args:
        application: The consultbot application being built.
        name: The command without ``/``.
        description: An English msgid marked with ``N_()`` so it is extracted; it is
            translated per language when the menus are set.
        scope: Who sees it.
    """
    commands = services_of(application).commands
    if any(command.name == name for command in commands):
        raise ValueError(f"command /{name} is declared twice")
    commands.append(CommandInfo(name, description, scope))


def command_list(services: Services, translator: Translator,
                 scope: CommandScope) -> list[tuple[str, str]]:
    """(name, translated description) of every command of ``scope``, in declared order."""
    chosen = [command for command in services.commands if command.scope is scope]
    # Commands not listed above go just before /help, which stays last.
    unlisted = MENU_ORDER.index("help") - 0.5
    chosen.sort(key=lambda c: MENU_ORDER.index(c.name) if c.name in MENU_ORDER else unlisted)
    return [(command.name, translator.gettext(command.description)) for command in chosen]
