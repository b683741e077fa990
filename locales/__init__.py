"""The gettext catalogs of consultbot's own text (not survey content).

Catalogs live next to this file as ``<lang>/LC_MESSAGES/consultbot.po``, generated from
``consultbot.pot``. They are shipped as ``.po`` and compiled in memory, each when its language is first
used and all of them when the bot starts (see :mod:`bot.i18n`), so installing never needs
a ``pybabel compile`` step.

Adding a language: ``python scripts/update_catalogs.py --init xx`` (or ``pybabel init -i
locales/consultbot.pot -d locales -D consultbot -l xx``), translate
``locales/xx/LC_MESSAGES/consultbot.po``; the bot picks it up at the next start. After
changing user-facing strings, ``python scripts/update_catalogs.py`` refreshes the template
and every catalog (``tests/test_catalogs.py`` fails until it is run and the new messages are
translated).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_LANGUAGE", "DOMAIN", "LOCALES_DIR", "catalog_files"]

LOCALES_DIR = Path(__file__).resolve().parent
DOMAIN = "consultbot"
#: The language the message ids are written in, and the last fallback.
DEFAULT_LANGUAGE = "en"


def catalog_files(directory: Path = LOCALES_DIR) -> dict[str, Path]:
    """Every ``.po`` catalog under ``directory``, by language code (sorted)."""
    found = {
        path.parent.parent.name: path
        for path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    }
    return dict(sorted(found.items()))
