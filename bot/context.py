"""The typed services every handler reaches through ``context.services``.

Handlers never look anything up in ``bot_data["…"]`` by string key: the application
(:mod:`bot.application`) builds one :class:`Services` object and every callback receives a
:class:`BotContext`, whose :attr:`BotContext.services` is that object, fully typed.

How a feature adds what it needs
--------------------------------
* **Storage**: add your repository to the ``storage.Storage`` facade (``storage.reports``,
  ``storage.moderators`` …) and reach it as ``context.services.storage.<name>``. Nothing to
  change here.
* **A configuration value**: add the field to ``bot.config.Config``;
  ``context.services.settings.<name>`` is then typed.
* **State about a person between two updates** (what their next message is for): a field
  or a dialog of :class:`bot.sessions.Session`, reached through ``context.services.sessions``;
  never a module-level dict, so it expires and /forget erases it.
* **A long-lived helper object** (e.g. a digest scheduler): add a field with a default to
  :class:`Services` and fill it in your ``register(application)`` through
  ``application.services`` (already built when ``register`` runs).
* **A command in the menu and /help**: ``handlers.shared.commands.add_command(application, "name",
  N_("What it does"), CommandScope.MODERATOR)`` in ``register``.
* **Data about a user that /forget must erase** (e.g. update subscriptions keyed by raw id):
  append an async ``eraser(user_id) -> None`` to ``Services.erasers`` in ``register``, and
  an async ``describer(user_id, translator) -> list[str]`` to ``Services.describers`` so
  /mydata shows it (one line per item, in the reader's language; empty when nothing).

Translating
-----------
``tr = await context.translator(update)`` gives the reader's :class:`Translator`; write
``_ = tr.gettext`` then ``_("Literal text {name}").format(name=…)`` so ``pybabel extract``
finds the message id. Plurals: ``tr.ngettext("{n} answer", "{n} answers", n).format(n=n)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from telegram import Update, User
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Config
from bot.events import EventBus
from bot.i18n import Translator
from bot.limits import ReportLimits
from bot.second_factor import FreshCodes
from bot.sessions import Dialog, Session, SessionStore

OpenDialog = TypeVar("OpenDialog", bound=Dialog)

if TYPE_CHECKING:
    from bot.delivery import OutboxSender
    from storage import Storage
    from storage.outbox import OutboxItem

__all__ = [
    "BotContext",
    "CommandInfo",
    "CommandScope",
    "ConsultbotApplication",
    "Describer",
    "Eraser",
    "Services",
    "TranslationProvider",
    "Translator",
    "services_of",
]

class CommandScope(StrEnum):
    """Who sees a command in Telegram's menu (and in /help)."""

    PARTICIPANT = "participant"
    MODERATOR = "moderator"


@dataclass(frozen=True, slots=True)
class CommandInfo:
    """A command for the menus and /help; ``description`` is an ``N_()``-marked msgid."""

    name: str
    description: str
    scope: CommandScope = CommandScope.PARTICIPANT


#: Erases what a feature keeps about one Telegram user (raw id), for /forget.
Eraser = Callable[[int], Awaitable[None]]


#: Describes what a feature keeps about one Telegram user (raw id), for /mydata.
Describer = Callable[[int, Translator], Awaitable[list[str]]]


class TranslationProvider(Protocol):
    """The catalogs of the bot's own text, as :mod:`bot.i18n` loads them."""

    @property
    def default_language(self) -> str:
        """The language of the message ids and the final fallback."""

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages that have a catalog, default first."""

    def translator(self, language: str) -> Translator:
        """A translator for ``language``; unknown languages get the default."""

    def negotiate(self, language_code: str | None) -> str | None:
        """The best catalog for a Telegram ``language_code`` (``pt-BR`` → ``pt``), or None."""


@dataclass(slots=True, eq=False)
class Services:
    """Everything handlers use besides the update itself.

    Attributes:
        settings: Configuration values.
        translations: The bot's own message catalogs.
        bot_username: The bot's @username without the ``@`` (for deep links); set on start.
        sessions: Each person's input mode and in-memory dialog, by pseudonym
            (:mod:`bot.sessions`); they expire, and the raw Telegram id is never a key.
        events: Domain events (a survey submitted, a report filed), published once by
            the service that causes them (:mod:`bot.events`).
        report_limits: The in-memory rate limits of the report features.
        outbox_sender: Delivers announcements (:mod:`bot.delivery`); made on first use.
        erasers: Extra erasers /forget runs, registered by features (see module doc).
        describers: What features keep about a user, for /mydata (see module doc).
        commands: Commands for the menus and /help, in the order features registered
            them (``handlers.shared.commands.add_command``).
        fresh_codes: Moderators' recent second-factor codes, in memory
            (:mod:`bot.second_factor`).
    """

    settings: Config
    translations: TranslationProvider
    sessions: SessionStore
    bot_username: str = ""
    events: EventBus = field(default_factory=EventBus)
    report_limits: ReportLimits = field(default_factory=ReportLimits)
    outbox_sender: OutboxSender | None = None
    erasers: list[Eraser] = field(default_factory=list)
    describers: list[Describer] = field(default_factory=list)
    commands: list[CommandInfo] = field(default_factory=list)
    fresh_codes: FreshCodes = field(default_factory=FreshCodes)
    #: Buttons under a delivered update (the "was this addressed?" answers): made by the
    #: handlers that own those buttons, since only they sign button data. ``None``: none.
    update_keyboard: Callable[[OutboxItem, Translator], Awaitable[Any]] | None = None
    #: The operator's health metrics (``bot.health.Metrics``) when ``metrics_listen`` is set.
    metrics: Any = None
    _storage: Storage | None = None

    @property
    def storage(self) -> Storage:
        """The open storage; only ``None`` before the application is initialized."""
        if self._storage is None:
            raise RuntimeError("storage is not open yet: initialize the application first")
        return self._storage

    @storage.setter
    def storage(self, value: Storage | None) -> None:
        self._storage = value

    @property
    def has_storage(self) -> bool:
        """Whether storage is open (the error handler may run before it is)."""
        return self._storage is not None

    def session_key(self, user_id: int) -> str:
        """The pseudonym a person's session is kept under (never their raw id)."""
        return self.storage.secret.participant_key(user_id)

    def session(self, user_id: int) -> Session:
        """The live session of ``user_id`` (created if needed), marked as used now."""
        return self.sessions.touch(self.session_key(user_id))

    def dialog(self, user_id: int, kind: type[OpenDialog]) -> OpenDialog | None:
        """The dialog of ``kind`` this person has open; None if another mode is active."""
        dialog = self.session(user_id).dialog
        return dialog if isinstance(dialog, kind) else None

    def peek_session(self, user_id: int) -> Session | None:
        """The live session of ``user_id``, if there is one, without marking it used."""
        return self.sessions.get(self.session_key(user_id))

    async def wished_languages(self, user: User | None) -> tuple[str, ...]:
        """The languages ``user`` wants, most wanted first (lower-case tags).

        Order: the language they picked with /language (stored under their pseudonym,
        or held in memory until they consent), then their Telegram ``language_code``
        (``pt-br``), then its primary language (``pt``), then the language detected from
        their first long message (only detected when none of the former is supported, see
        ``handlers.participant.language``). Bot text and survey labels each take the first wish they
        can serve.
        """
        wishes: list[str] = []
        if user is None:
            return ()
        chosen: str | None = None
        session = None
        if self._storage is not None:
            storage = self._storage
            key = storage.secret.participant_key(user.id)
            preference = await storage.preferences.get(key)
            chosen = preference.language if preference else None
            session = self.sessions.get(key)
        chosen = chosen or (session.chosen_language if session else None)
        if chosen:
            wishes.append(chosen.lower())
        if user.language_code:
            tag = user.language_code.strip().replace("_", "-").lower()
            if tag:
                wishes += [tag, tag.split("-")[0]]
        detected = session.detected_language if session else None
        if detected:
            wishes.append(detected)
        return tuple(dict.fromkeys(wishes))

    def bot_language(self, wishes: tuple[str, ...]) -> str:
        """The first wish we have a catalog for (``pt-br`` → ``pt``), else the default."""
        for wish in wishes:
            negotiated = self.translations.negotiate(wish)
            if negotiated:
                return negotiated
        return self.translations.default_language


class ConsultbotApplication(Application[Any, Any, Any, Any, Any, Any]):
    """python-telegram-bot's Application carrying the typed :class:`Services`.

    ``initialize``/``shutdown`` also open and close what the services need (storage,
    surveys, command lists) through the hooks :mod:`bot.application` installs. That way a
    test's ``async with application:`` gets exactly what ``run_polling`` gets; ptb's own
    ``post_init`` only runs under ``run_polling``.
    """

    __slots__ = ("_services_started", "on_initialize", "on_shutdown", "services")

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.on_initialize: list[Callable[[ConsultbotApplication], Awaitable[None]]] = []
        self.on_shutdown: list[Callable[[ConsultbotApplication], Awaitable[None]]] = []
        self._services_started = False

    async def initialize(self) -> None:
        """Initialize ptb, then open storage, publish surveys and set commands."""
        await super().initialize()
        if self._services_started:
            return
        self._services_started = True
        for hook in self.on_initialize:
            await hook(self)

    async def shutdown(self) -> None:
        """Close the services (draining pending writes), then shut ptb down."""
        try:
            if self._services_started:
                self._services_started = False
                for hook in reversed(self.on_shutdown):
                    await hook(self)
        finally:
            await super().shutdown()


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context of consultbot handlers: ptb's context plus typed services."""

    __slots__ = ("_translator", "_wishes")

    def __init__(self, application: Application[Any, Any, Any, Any, Any, Any],
                 chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._translator: Translator | None = None
        self._wishes: tuple[str, ...] | None = None

    @property
    def services(self) -> Services:
        """The application's services."""
        return services_of(self.application)

    async def wished_languages(self, update: object) -> tuple[str, ...]:
        """The languages the user of ``update`` wants, looked up once per update."""
        if self._wishes is None:
            user = update.effective_user if isinstance(update, Update) else None
            self._wishes = await self.services.wished_languages(user)
        return self._wishes

    async def translator(self, update: object) -> Translator:
        """The translator for the user of ``update``, negotiated once per update."""
        if self._translator is None:
            language = self.services.bot_language(await self.wished_languages(update))
            self._translator = self.services.translations.translator(language)
        return self._translator


def services_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The :class:`Services` of a consultbot application."""
    if not isinstance(application, ConsultbotApplication):
        raise TypeError("not a consultbot application: build it with bot.application")
    return application.services
