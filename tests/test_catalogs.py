"""The shipped catalogs are complete, reviewed and in step with the source.

Fails when:

* the committed template ``locales/consultbot.pot`` lacks a message the source has (or has
  one the source dropped): whoever adds a string runs ``python scripts/update_catalogs.py``;
* a catalog lacks a translation of any message of the template, has a fuzzy entry (a
  changed message waiting for review), or keeps messages the template no longer has;
* a translation's placeholders (``{name}``, ``%(name)s``) differ from its message id's,
  which would raise or show a raw placeholder in front of a user;
* a catalog's plural rule is not the language's.
"""

from __future__ import annotations

import importlib.util
import re
import string
import sys
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
#: Languages every release ships, with their number of plural forms.
#: French and Spanish have three since CLDR 42 as babel ships it: one, many (exact millions:
#: "1 000 000 de réponses") and other.
SHIPPED = {"en": 2, "fr": 3, "es": 3, "ar": 6, "ru": 3, "sw": 2}
#: Languages whose message ids are the text (an empty translation means "as written").
SOURCE_LANGUAGES = {"en"}


def _script() -> ModuleType:
    path = ROOT / "scripts" / "update_catalogs.py"
    spec = importlib.util.spec_from_file_location("update_catalogs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("update_catalogs", module)
    spec.loader.exec_module(module)
    return module


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain="consultbot")


def _catalog_languages() -> list[str]:
    found = {path.parent.parent.name for path in LOCALES.glob("*/LC_MESSAGES/consultbot.po")}
    return sorted(found | set(SHIPPED))


def _catalog(language: str) -> Catalog:
    path = LOCALES / language / "LC_MESSAGES" / "consultbot.po"
    assert path.exists(), f"no catalog for {language}: python scripts/update_catalogs.py --init {language}"
    return _read(path, language)


def _template() -> Catalog:
    return _read(LOCALES / "consultbot.pot")


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def placeholders(text: str) -> set[str]:
    """``{name}`` fields (by their base name) and ``%(name)s`` conversions in ``text``."""
    found: set[str] = set()
    try:
        for _literal, field, _spec, _conversion in string.Formatter().parse(text):
            if field is not None:
                found.add("{" + re.split(r"[.\[!:]", field)[0] + "}")
    except ValueError as error:
        found.add(f"<broken braces: {error}>")
    found.update(re.findall(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXocr%]", text))
    return found


def _strings(message: Message) -> list[str]:
    if isinstance(message.string, (list, tuple)):
        return list(message.string)
    return [message.string]


def _label(message: Message) -> str:
    text = message.id if isinstance(message.id, str) else message.id[0]
    return repr(text[:70] + ("…" if len(text) > 70 else ""))


def test_the_template_is_up_to_date_with_the_source() -> None:
    script = _script()
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in script.extract_template() if m.id}
    committed = _ids(_template())
    added, removed = sorted(extracted - committed), sorted(committed - extracted)
    assert not added and not removed, (
        "locales/consultbot.pot is out of date: run `python scripts/update_catalogs.py` and "
        f"translate the new messages.\nNew in the source: {added}\nGone from the source: {removed}"
    )


def test_every_shipped_language_has_a_catalog() -> None:
    for language in SHIPPED:
        assert (LOCALES / language / "LC_MESSAGES" / "consultbot.po").exists(), language


@pytest.mark.parametrize("language", _catalog_languages())
def test_catalog_translates_every_message_of_the_template(language: str) -> None:
    catalog, template = _catalog(language), _template()
    missing = sorted(_ids(template) - _ids(catalog))
    extra = sorted(_ids(catalog) - _ids(template))
    assert not missing, f"{language}: not merged yet (run scripts/update_catalogs.py): {missing}"
    assert not extra, f"{language}: messages the template no longer has: {extra}"
    if language in SOURCE_LANGUAGES:
        return
    untranslated = [_label(m) for m in catalog if m.id and not all(_strings(m))]
    assert not untranslated, f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:20]}"


@pytest.mark.parametrize("language", _catalog_languages())
def test_catalog_has_no_fuzzy_entries(language: str) -> None:
    fuzzy = [_label(m) for m in _catalog(language) if m.id and m.fuzzy]
    assert not fuzzy, f"{language}: fuzzy entries to review (then remove the fuzzy flag): {fuzzy}"


@pytest.mark.parametrize("language", _catalog_languages())
def test_translations_keep_the_placeholders_of_the_message(language: str) -> None:
    problems = []
    for message in _catalog(language):
        if not message.id or message.fuzzy:  # fuzzy ones fail their own test
            continue
        if isinstance(message.id, str):
            expected = placeholders(message.id)
            for text in filter(None, _strings(message)):
                if placeholders(text) != expected:
                    problems.append(f"{_label(message)}: {sorted(placeholders(text))} "
                                    f"instead of {sorted(expected)}")
        else:
            # A plural form may leave out the number ("one answer"), never add a field.
            expected = placeholders(message.id[0]) | placeholders(message.id[1])
            forms = [placeholders(text) for text in _strings(message) if text]
            for found in forms:
                if not found <= expected:
                    problems.append(f"{_label(message)}: {sorted(found)} not in {sorted(expected)}")
            if forms and set().union(*forms) != expected:
                problems.append(f"{_label(message)}: the forms together lack "
                                f"{sorted(expected - set().union(*forms))}")
    assert not problems, f"{language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", sorted(SHIPPED))
def test_plural_rule_is_the_languages(language: str) -> None:
    catalog = _catalog(language)
    assert catalog.num_plurals == SHIPPED[language] == get_plural(language).num_plurals
    for message in catalog:
        if message.id and not isinstance(message.id, str) and language not in SOURCE_LANGUAGES:
            assert len(_strings(message)) == catalog.num_plurals, _label(message)


def test_plural_rules_pick_the_right_form() -> None:
    """The Plural-Forms expressions themselves, as gettext evaluates them at run time."""
    import gettext

    expected = {
        "ru": {1: 0, 21: 0, 2: 1, 4: 1, 22: 1, 5: 2, 11: 2, 12: 2, 111: 2},
        "ar": {0: 0, 1: 1, 2: 2, 3: 3, 10: 3, 103: 3, 11: 4, 99: 4, 100: 5, 102: 5},
        "fr": {0: 0, 1: 0, 2: 2, 1_000_000: 1},
        "en": {0: 1, 1: 0, 2: 1},
    }
    for language, cases in expected.items():
        rule = gettext.c2py(_catalog(language).plural_expr)
        assert {n: rule(n) for n in cases} == cases, language


def test_the_placeholder_check_sees_both_styles() -> None:
    assert placeholders("{count} of {total} - %(name)s, {{literal}}") == {
        "{count}", "{total}", "%(name)s"}
    assert placeholders("{title.upper} {items[0]}") == {"{title}", "{items}"}
    assert "<broken" in next(iter(placeholders("an unclosed {brace")))


def test_the_bot_picks_plural_forms_at_run_time() -> None:
    """The catalogs as the bot loads them (compiled in memory) choose the right form."""
    from bot.i18n import load_translations

    translations = load_translations()
    forms = {}
    for language in ("ar", "ru"):
        ngettext = translations.translator(language).ngettext
        forms[language] = {n: ngettext("{count} question", "{count} questions", n)
                           for n in (1, 2, 3, 11, 100)}
    # Arabic: one, two, few (3-10), many (11-99), other (100-102) are five different forms.
    assert len(set(forms["ar"].values())) == 5
    # Russian: 1 (one), 2 and 3 (few), 11 and 100 (many).
    assert forms["ru"][2] == forms["ru"][3] != forms["ru"][1]
    assert forms["ru"][11] == forms["ru"][100] not in (forms["ru"][1], forms["ru"][2])
