"""The ``consultbot`` subcommands, one module each, and the checks they share.

Every command that works on the data directory loads the configuration the same way and
refuses a directory without a database rather than creating an empty one, so the wording
of those refusals lives here once.
"""

from __future__ import annotations

import argparse
import gettext
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Config

__all__ = ["configuration", "has_database"]

_ = gettext.gettext


def configuration(args: argparse.Namespace) -> Config | None:
    """The configuration (``--config`` file and environment), or ``None`` after printing why not.

    Imported when called, so ``consultbot --help`` stays quick.
    """
    from bot.config import ConfigError, load_config

    try:
        return load_config(getattr(args, "config", None))
    except ConfigError as error:
        print(str(error), file=sys.stderr)
        return None


def has_database(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds a consultbot database; prints why not when it does not.

    Commands read an existing installation: opening a missing database would quietly
    create an empty one and report "no survey" instead of the wrong directory.
    """
    from storage import DATABASE_FILE_NAME

    if (data_dir / DATABASE_FILE_NAME).is_file():
        return True
    print(_("No consultbot database in {dir}.").format(dir=data_dir), file=sys.stderr)
    return False
