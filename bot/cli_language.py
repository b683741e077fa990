"""The command line speaks the operator's language, chosen from the environment.

Everything ``consultbot`` prints for a person at a terminal (``--help``, errors, reports of
what a command did) is marked for translation like the bot's own text, and the catalogs
translate it (ARCHITECTURE.md, "Layers": ``i18n.py``). The commands import :func:`_` and
:func:`ngettext` from here instead of the standard library's, which would look for
compiled ``.mo`` files the project does not install. The text is looked up when it is
shown, so module-level ``_ = …`` bindings and parsers built later all follow the language
:func:`use_environment_language` picked at start.

The language comes from the variables gettext itself reads, in its order: ``LANGUAGE`` (a
colon-separated list of wishes), ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; ``fr_FR.UTF-8``
means French, ``C`` and ``POSIX`` mean the message ids (English). A language without a
catalog falls through to the next wish, then to English. Until a language is picked (and
in English) no catalog is compiled, so ``consultbot --help`` stays quick.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from bot.i18n import Translations, Translator, load_translations

__all__ = ["_", "environment_wishes", "ngettext", "use_environment_language", "use_language"]

#: Variables gettext reads for the language of messages, most specific first.
_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
#: Locales that ask for the untranslated messages.
_PLAIN = frozenset({"C", "POSIX"})



class _Speaking:
    """The translator in use; ``None`` while the command line speaks the message ids."""

    translator: Translator | None = None


_speaking = _Speaking()


def _(message: str) -> str:
    """``message`` in the command line's language."""
    translator = _speaking.translator
    return message if translator is None else translator.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of ``singular``/``plural`` for ``count``, in the command line's language."""
    translator = _speaking.translator
    if translator is None:
        return singular if count == 1 else plural
    return translator.ngettext(singular, plural, count)


def environment_wishes(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The languages the environment asks for, as tags (``fr``, ``pt-br``), first first.

    Stops at ``C``/``POSIX``: what comes after them is never reached by gettext either.
    """
    environ = os.environ if environ is None else environ
    value = next((environ[name] for name in _VARIABLES if environ.get(name)), "")
    wishes: list[str] = []
    for item in value.split(":"):
        locale = item.split(".", 1)[0].split("@", 1)[0].strip()
        if locale in _PLAIN:
            break
        if locale:
            wishes.append(locale.replace("_", "-").lower())
    return tuple(wishes)


def use_language(language: str | None, translations: Translations | None = None) -> str:
    """Speak ``language`` (a catalog's language, or None for English); returns the one used."""
    translations = translations or load_translations()
    chosen = translations.negotiate(language) if language else None
    if chosen is None or chosen == translations.default_language:
        _speaking.translator = None
        return translations.default_language
    _speaking.translator = translations.translator(chosen)
    return chosen


def use_environment_language(environ: Mapping[str, str] | None = None) -> str:
    """Pick the first wish of the environment that has a catalog; returns the language."""
    translations = load_translations()
    for wish in environment_wishes(environ):
        if translations.negotiate(wish) is not None:
            return use_language(wish, translations)
    return use_language(None, translations)
