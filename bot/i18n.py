"""Loading the bot's message catalogs and choosing one for a Telegram user.

Catalogs are read from ``.po`` files with babel and compiled to ``.mo`` in memory at start,
so an install (or a translator editing a ``.po``) never needs a ``pybabel compile`` step.
Every catalog falls back to English, message by message, so a half-translated catalog
still shows something readable rather than an empty string.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.context import Translator
from locales import DEFAULT_LANGUAGE, LOCALES_DIR, catalog_files

__all__ = ["Translations", "load_translations"]


class Translations:
    """The compiled catalogs, by language; satisfies ``bot.context.TranslationProvider``."""

    __slots__ = ("_catalogs", "_default", "_translators")

    def __init__(self, catalogs: dict[str, gettext.NullTranslations], default: str) -> None:
        self._default = default
        fallback = catalogs.setdefault(default, gettext.NullTranslations())
        for language, catalog in catalogs.items():
            if language != default:
                catalog.add_fallback(fallback)
        ordered = [default, *sorted(lang for lang in catalogs if lang != default)]
        self._catalogs = {lang: catalogs[lang] for lang in ordered}
        self._translators = {
            lang: Translator(lang, catalog.gettext, catalog.ngettext)
            for lang, catalog in self._catalogs.items()
        }

    @property
    def default_language(self) -> str:
        """The language of the message ids."""
        return self._default

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with a catalog, default first."""
        return tuple(self._catalogs)

    def translator(self, language: str) -> Translator:
        """The translator of ``language``, or of the default language if there is none."""
        return self._translators.get(language) or self._translators[self._default]

    def negotiate(self, language_code: str | None) -> str | None:
        """The catalog that best serves a Telegram ``language_code``, or ``None``.

        Telegram sends IETF tags (``pt-br``, ``zh-hans``, ``en``). babel's negotiation
        matches them against our catalogs, also by their primary language, so ``pt-BR``
        finds ``pt`` and ``fr-CA`` finds ``fr``.
        """
        if not language_code:
            return None
        tag = language_code.strip().replace("_", "-")
        if not tag:
            return None
        by_tag = {lang.replace("_", "-").lower(): lang for lang in self._catalogs}
        found = negotiate_locale([tag, tag.split("-")[0]], list(by_tag), sep="-")
        if found and found.lower() in by_tag:
            return by_tag[found.lower()]
        try:
            locale = Locale.parse(tag, sep="-")
        except (ValueError, UnknownLocaleError):
            return None
        return locale.language if locale.language in self._catalogs else None


def load_translations(directory: Path = LOCALES_DIR,
                      default: str = DEFAULT_LANGUAGE) -> Translations:
    """Read and compile every ``.po`` catalog under ``directory``.

    Args:
        directory: The ``locales`` directory (``<lang>/LC_MESSAGES/consultbot.po``).
        default: The language of the message ids.

    Returns:
        The loaded catalogs; the default language is always present (as identity when
        it has no catalog file).
    """
    catalogs: dict[str, gettext.NullTranslations] = {}
    for language, path in catalog_files(directory).items():
        catalogs[language] = _compile(path, language)
    return Translations(catalogs, default)


def _compile(path: Path, language: str) -> gettext.GNUTranslations:
    """Compile one ``.po`` file in memory; fuzzy and empty entries are left out."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain="consultbot")
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
