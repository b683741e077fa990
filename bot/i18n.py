"""Loading the bot's message catalogs and choosing one for a Telegram user.

Catalogs are read from ``.po`` files with babel and compiled to ``.mo`` in memory, so an
install (or a translator editing a ``.po``) never needs a ``pybabel compile`` step. Each
catalog is compiled the first time its language is asked for: a command that prints in one
language (``consultbot summary --lang fr``) compiles one catalog, not six, and starting
the command line costs no catalog at all. Every catalog falls back to English, message by
message, so a half-translated catalog still shows something readable rather than an empty
string.

This module imports nothing from Telegram: the command line uses it without loading
python-telegram-bot, and :mod:`bot.context` re-exports :class:`Translator` from here.
"""

from __future__ import annotations

import gettext
import io
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from locales import DEFAULT_LANGUAGE, LOCALES_DIR, catalog_files

__all__ = ["Translations", "Translator", "load_translations"]


@dataclass(frozen=True, slots=True)
class Translator:
    """Bot text in one language: ``gettext``/``ngettext`` bound to that language's catalog."""

    language: str
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]


class Translations:
    """The catalogs, by language, compiled on first use; satisfies
    ``bot.context.TranslationProvider``."""

    __slots__ = ("_catalogs", "_default", "_files", "_lock", "_translators")

    def __init__(self, files: Mapping[str, Path], default: str) -> None:
        """Args:
            files: The ``.po`` file of each language (``catalog_files``).
            default: The language of the message ids; present even without a file.
        """
        self._default = default
        ordered = [default, *sorted(lang for lang in files if lang != default)]
        self._files: dict[str, Path | None] = {lang: files.get(lang) for lang in ordered}
        self._catalogs: dict[str, gettext.NullTranslations] = {}
        self._translators: dict[str, Translator] = {}
        # Handlers may ask from worker threads (asyncio.to_thread); compile each catalog once.
        self._lock = threading.RLock()

    @property
    def default_language(self) -> str:
        """The language of the message ids."""
        return self._default

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages with a catalog, default first."""
        return tuple(self._files)

    def translator(self, language: str) -> Translator:
        """The translator of ``language``, or of the default language if there is none."""
        found = self._translators.get(language)
        if found is not None:
            return found
        if language not in self._files:
            language = self._default
        with self._lock:
            return self._load(language)

    def compile_all(self) -> None:
        """Compile every catalog now: the bot does it at start, so a broken ``.po`` stops
        ``consultbot run`` at once rather than a participant's first message in that
        language."""
        for language in self._files:
            self.translator(language)

    def _load(self, language: str) -> Translator:
        """Compile ``language``'s catalog (and the default it falls back to), once."""
        found = self._translators.get(language)
        if found is not None:
            return found
        path = self._files[language]
        catalog = gettext.NullTranslations() if path is None else _compile(path, language)
        if language != self._default:
            self._load(self._default)
            catalog.add_fallback(self._catalogs[self._default])
        translator = Translator(language, catalog.gettext, catalog.ngettext)
        self._catalogs[language] = catalog
        self._translators[language] = translator
        return translator

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
        by_tag = {lang.replace("_", "-").lower(): lang for lang in self._files}
        found = negotiate_locale([tag, tag.split("-")[0]], list(by_tag), sep="-")
        if found and found.lower() in by_tag:
            return by_tag[found.lower()]
        try:
            locale = Locale.parse(tag, sep="-")
        except (ValueError, UnknownLocaleError):
            return None
        return locale.language if locale.language in self._files else None


def load_translations(directory: Path = LOCALES_DIR,
                      default: str = DEFAULT_LANGUAGE) -> Translations:
    """The ``.po`` catalogs under ``directory``, each compiled when first used.

    Args:
        directory: The ``locales`` directory (``<lang>/LC_MESSAGES/consultbot.po``).
        default: The language of the message ids.

    Returns:
        The loaded catalogs; the default language is always present (as identity when
        it has no catalog file).
    """
    return Translations(catalog_files(directory), default)


def _compile(path: Path, language: str) -> gettext.GNUTranslations:
    """Compile one ``.po`` file in memory; fuzzy and empty entries are left out."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain="consultbot")
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
