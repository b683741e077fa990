"""What the report handlers share: settings, categories, in-memory state and limits.

Everything here lives in memory only, on purpose (DESIGN.md §3):

* **Drafts** of reports being written are kept in memory, keyed by the participant
  pseudonym (HMAC of the user id), never in the database. A restart loses a draft in
  progress; the reporter is told to start again. Storing drafts, even encrypted, would
  leave a trace of someone *considering* a report, which is exactly what a reporter
  fears.
* **Rate limits** (reports per hour, wrong receipt guesses) are keyed by pseudonym and
  forgotten on restart, so no list of "who reported" or "who guessed" ever reaches disk.
* **Sessions** (a reporter adding follow-ups after ``/status``, a moderator typing a
  reply) are short-lived and expire.

The state is attached to the application object (not ``bot_data``), one per application.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from telegram.ext import Application

from bot.context import Services, Translator
from storage.attachments import Attachment
from surveys.messages import N_

__all__ = [
    "DEFAULT_CATEGORIES",
    "Draft",
    "GuessThrottle",
    "ReportSettings",
    "ReportState",
    "SlidingWindow",
    "category_label",
    "files_text",
    "is_moderator",
    "report_settings",
    "report_state",
    "split_text",
    "status_label",
]

#: Category id -> English label (translated when shown). Operators may configure other ids.
DEFAULT_CATEGORIES: dict[str, str] = {
    "labour_rights": N_("Labour rights"),
    "freedom_of_expression": N_("Freedom of expression"),
    "safety_of_defenders": N_("Safety of defenders"),
    "discrimination": N_("Discrimination"),
    "corruption": N_("Corruption"),
    "other": N_("Other"),
}

_STATUS_LABELS: dict[str, str] = {
    "new": N_("new"),
    "in_review": N_("in review"),
    "forwarded": N_("forwarded"),
    "resolved": N_("resolved"),
    "rejected": N_("rejected"),
}

#: A draft untouched this long is dropped (seconds).
DRAFT_TTL = 2 * 3600
#: A /status follow-up or moderator reply session lasts this long (seconds).
SESSION_TTL = 30 * 60


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """The report settings of ``bot.config.Config``, in the units the handlers use.

    Attributes:
        categories: Category ids offered as buttons, in order.
        max_text: Most characters of a description (all its messages together).
        max_file_bytes: Largest attachment accepted.
        max_files: Most attachments per report.
        reports_per_hour: Most reports one person may file in an hour.
        channels: Stronger channels for high-risk cases, shown in the warning.
        retention_days: Days a closed report is kept.
        digest_hours: Hours between digests (aligned to midnight UTC).
        digest_times: Fixed UTC ``HH:MM`` times of the digest; replaces ``digest_hours``.
    """

    categories: tuple[str, ...] = tuple(DEFAULT_CATEGORIES)
    max_text: int = 10_000
    max_file_bytes: int = 10 * 1024 * 1024
    max_files: int = 5
    reports_per_hour: int = 10
    channels: tuple[str, ...] = ()
    retention_days: int = 90
    digest_hours: float = 6.0
    digest_times: tuple[str, ...] = ()


def report_settings(services: Services) -> ReportSettings:
    """Read the report settings from the configuration.

    The description and attachment counts (``max_text``, ``max_files``) have no
    configuration key: they keep :class:`ReportSettings`' values.
    """
    settings = services.settings
    defaults = ReportSettings()
    return ReportSettings(
        categories=settings.report_categories or defaults.categories,
        max_file_bytes=int(settings.report_max_file_mb * 1024 * 1024) or defaults.max_file_bytes,
        reports_per_hour=settings.reports_per_hour,
        channels=settings.report_channels,
        retention_days=settings.report_retention_days,
        digest_hours=settings.report_digest_hours,
        digest_times=settings.report_digest_times,
    )


def category_label(tr: Translator, category: str) -> str:
    """A category's label in the reader's language (configured ids are shown as written)."""
    if category in DEFAULT_CATEGORIES:
        return tr.gettext(DEFAULT_CATEGORIES[category])
    return category.replace("_", " ")


def status_label(tr: Translator, status: str) -> str:
    """A report status in the reader's language."""
    return tr.gettext(_STATUS_LABELS.get(status, status))


def files_text(tr: Translator, count: int) -> str:
    """``3 files`` in the reader's language, for the counts in report views and lists."""
    return tr.ngettext("{count} file", "{count} files", count).format(count=count)


def split_text(text: str, limit: int = 3800) -> list[str]:
    """Cut a long text into message-sized pieces, at paragraph or line breaks when possible.

    Report texts are never clipped: a moderator must read every word the reporter wrote.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit))
        if cut <= limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut <= limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest)
    return pieces


async def is_moderator(services: Services, user_id: int) -> bool:
    """Admins from the configuration, or moderators added by an admin (storage.moderators)."""
    if user_id in services.settings.admins:
        return True
    return await services.storage.moderators.is_moderator(user_id)


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds per key, in memory."""

    __slots__ = ("_clock", "_events", "limit", "window")

    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def allowed(self, key: str) -> bool:
        """Whether one more event would stay within the limit (does not record it)."""
        return len(_recent(self._events, key, self._clock() - self.window)) < self.limit

    def record(self, key: str) -> None:
        """Count one event."""
        _recent(self._events, key, self._clock() - self.window)
        self._events.setdefault(key, deque()).append(self._clock())


def _recent(events: dict[str, deque[float]], key: str, cutoff: float) -> deque[float]:
    """The events of ``key`` after ``cutoff``; a key with none left is forgotten entirely,
    so the map never becomes a roster of everyone who ever used the feature."""
    found = events.get(key)
    if found is None:
        return deque()
    while found and found[0] <= cutoff:
        found.popleft()
    if not found:
        del events[key]
    return found


class GuessThrottle:
    """Slows down repeated wrong receipt codes from one person.

    The first ``free`` wrong codes in an hour cost nothing; after that each attempt must
    wait twice as long as the one before (1, 2, 4 … minutes, at most an hour). A right code
    does not reset the count: someone trying many codes must not be able to reset it by
    also holding one valid receipt.
    """

    __slots__ = ("_clock", "_failures", "free")

    def __init__(self, free: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def wait_seconds(self, key: str) -> float:
        """How long this person must wait before the next attempt (0 if they may try)."""
        failures = _recent(self._failures, key, self._clock() - 3600.0)
        if len(failures) < self.free:
            return 0.0
        delay = min(60.0 * 2 ** (len(failures) - self.free), 3600.0)
        return max(0.0, failures[-1] + delay - self._clock())

    def failed(self, key: str) -> None:
        """Record one wrong code."""
        _recent(self._failures, key, self._clock() - 3600.0)
        self._failures.setdefault(key, deque()).append(self._clock())


@dataclass(slots=True)
class Draft:
    """A report being written: only in memory, keyed by pseudonym (see module doc)."""

    stage: str = "warned"  # warned -> describing -> review
    category: str | None = None
    parts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    prompts: list[int] = field(default_factory=list)  # the bot's messages to delete at the end
    touched: float = field(default_factory=time.monotonic)

    @property
    def text_length(self) -> int:
        """Characters of the description so far (with the blank lines that join parts)."""
        return sum(len(part) for part in self.parts) + 2 * max(0, len(self.parts) - 1)

    @property
    def body(self) -> str:
        """The description as it will be stored."""
        return "\n\n".join(self.parts)


@dataclass(slots=True)
class Session:
    """A short-lived "the next message is for report X" state."""

    report_id: str
    until: float
    adding: bool = False  # the reporter pressed "Add information": next message is a follow-up


class ReportState:
    """All in-memory state of the report features of one application."""

    __slots__ = ("additions", "drafts", "filings", "followups", "guesses", "replies")

    def __init__(self, reports_per_hour: int = 10) -> None:
        self.drafts: dict[str, Draft] = {}
        self.filings = SlidingWindow(reports_per_hour, 3600.0)
        self.guesses = GuessThrottle()
        self.additions = SlidingWindow(30, 3600.0)  # follow-ups per hour and person
        self.followups: dict[str, Session] = {}  # by reporter pseudonym
        self.replies: dict[int, Session] = {}  # by moderator id (moderators are not anonymous)

    def draft(self, key: str) -> Draft | None:
        """The live draft of this pseudonym, dropping it if it expired."""
        draft = self.drafts.get(key)
        if draft is not None and time.monotonic() - draft.touched > DRAFT_TTL:
            del self.drafts[key]
            return None
        return draft

    def session(self, sessions: dict[Any, Session], key: Any) -> Session | None:
        """A live session, dropping it if it expired."""
        session = sessions.get(key)
        if session is not None and session.until < time.monotonic():
            del sessions[key]
            return None
        return session

    @staticmethod
    def open_session(report_id: str) -> Session:
        """A session for ``report_id`` that expires after :data:`SESSION_TTL`."""
        return Session(report_id, time.monotonic() + SESSION_TTL)


_STATES: WeakKeyDictionary[Application[Any, Any, Any, Any, Any, Any], ReportState] = (
    WeakKeyDictionary()
)


def report_state(application: Application[Any, Any, Any, Any, Any, Any]) -> ReportState:
    """The report state of ``application`` (created on first use)."""
    state = _STATES.get(application)
    if state is None:
        state = ReportState()
        _STATES[application] = state
    return state
