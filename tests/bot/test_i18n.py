"""Catalog loading and language negotiation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from bot.i18n import load_translations


def make_catalogs(root: Path) -> Path:
    """An English catalog (identity) and a French one with one fuzzy and one plural entry."""
    for language, entries in {
        "en": {},
        "fr": {"Hello": "Bonjour", "Fuzzy one": "Flou"},
        "pt": {"Hello": "Olá"},
    }.items():
        catalog = Catalog(locale=language, domain="consultbot")
        for msgid, msgstr in entries.items():
            catalog.add(msgid, msgstr, flags=("fuzzy",) if msgid == "Fuzzy one" else ())
        if language == "fr":
            # One form per plural category of the installed CLDR (French: one, many, other).
            forms = ("{n} réponse",) + ("{n} réponses",) * (catalog.num_plurals - 1)
            catalog.add(("{n} answer", "{n} answers"), forms)
        directory = root / language / "LC_MESSAGES"
        directory.mkdir(parents=True)
        with (directory / "consultbot.po").open("wb") as handle:
            write_po(handle, catalog)
    return root


def test_po_files_are_compiled_in_memory(tmp_path: Path) -> None:
    translations = load_translations(make_catalogs(tmp_path))
    assert translations.languages == ("en", "fr", "pt")
    french = translations.translator("fr")
    assert french.gettext("Hello") == "Bonjour"
    assert french.gettext("Fuzzy one") == "Fuzzy one"  # fuzzy entries are not used
    assert french.gettext("Not translated") == "Not translated"  # English fallback
    assert french.ngettext("{n} answer", "{n} answers", 2) == "{n} réponses"
    assert translations.translator("xx").language == "en"


def test_negotiation_of_telegram_language_codes(tmp_path: Path) -> None:
    translations = load_translations(make_catalogs(tmp_path))
    assert translations.negotiate("pt-BR") == "pt"
    assert translations.negotiate("fr") == "fr"
    assert translations.negotiate("FR-ca") == "fr"
    assert translations.negotiate("de") is None
    assert translations.negotiate("") is None
    assert translations.negotiate(None) is None


def test_the_shipped_catalogs_load() -> None:
    translations = load_translations()
    assert translations.default_language == "en"
    assert translations.translator("en").gettext("Skip") == "Skip"


def test_a_catalog_is_compiled_when_its_language_is_first_used(tmp_path: Path) -> None:
    """A command printing French never reads the Portuguese file; the bot, which compiles
    every catalog at start (``compile_all``), stops on a broken one at once."""
    root = make_catalogs(tmp_path)
    (root / "pt" / "LC_MESSAGES" / "consultbot.po").write_bytes(b'msgid "Hello"\nmsgstr "\xff"\n')
    translations = load_translations(root)
    assert translations.languages == ("en", "fr", "pt")
    assert translations.translator("fr").gettext("Hello") == "Bonjour"
    assert translations.translator("fr") is translations.translator("fr")  # compiled once
    with pytest.raises(UnicodeDecodeError):
        translations.compile_all()
