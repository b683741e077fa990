"""Who owns a person's next message: one session per person, with one input mode.

A typed message, a photo or a document means different things depending on what the
person is doing: answering a survey, writing a report, adding to a report after
``/status``, writing an announcement or a reply to a reporter. Each of those is an
:class:`InputMode`, and a person is in exactly one of them at a time, so exactly one
feature decides what their message means (ARCHITECTURE.md, "Input routing"). The router
in ``handlers.shared.router`` reads :attr:`Session.mode` and hands the message to that
mode's owner; ``/cancel`` ends whatever mode is active.

Sessions live in memory only, keyed by the participant pseudonym (an HMAC of the Telegram
user id), never by the raw id, and never on disk (ARCHITECTURE.md, "Privacy rules"): a
stored report draft would be a trace of someone *considering* a report. A session left
alone for ``session_expiry_minutes`` is dropped whole, and a dialog's memory (the text
and files of a report draft) is wiped with it: :meth:`SessionStore.sweep` runs from a job,
so that happens even when the person never comes back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import ClassVar

from storage.attachments import Attachment

__all__ = [
    "ActiveSurvey",
    "AnnouncementDraft",
    "Dialog",
    "DraftStage",
    "InputMode",
    "ModeratorReply",
    "PromptMark",
    "RecommendationDraft",
    "RecommendationInput",
    "ReportDraft",
    "ReportFollowUp",
    "Session",
    "SessionStore",
]


class InputMode(StrEnum):
    """What a person's next message is for; each mode has exactly one owner."""

    #: Nothing asked: a typed message resumes a survey in progress or points to /surveys.
    IDLE = "idle"
    #: The privacy notice is shown and not yet agreed to.
    CONSENT = "consent"
    #: A survey question waits for an answer.
    SURVEY_ANSWER = "survey_answer"
    #: A report is being written (/report).
    REPORT_DRAFT = "report_draft"
    #: A reporter looks at their report after /status (and may add to it).
    REPORT_STATUS = "report_status"
    #: A moderator writes an update for a survey's subscribers (/announce).
    ANNOUNCEMENT_DRAFT = "announcement_draft"
    #: A moderator writes a reply to a reporter (/reports → Reply).
    MODERATOR_REPLY = "moderator_reply"
    #: A moderator types a recommendation's progress, a milestone, or a new one (/recs).
    RECOMMENDATION_INPUT = "recommendation_input"


@dataclass(frozen=True, slots=True)
class PromptMark:
    """When a question was put on screen, in Telegram's own orders of events.

    A private chat numbers its messages (the person's and the bot's) in one sequence, and
    the bot's updates are numbered in another. A typed message written *after* the person
    saw the prompt comes later in both: its message id is above the prompt's (or above the
    pressed message's, when a button press edited the prompt in place) and its update id is
    above the update that caused the prompt. A copy sent twice, or a message redelivered
    after a restart, fails one of the two and is not taken as an answer to a question its
    author had not seen (ARCHITECTURE.md, "Input routing").
    """

    message_id: int
    update_id: int

    def precedes(self, message_id: int, update_id: int) -> bool:
        """Whether a message with these ids was sent after this prompt was shown."""
        return message_id > self.message_id and update_id > self.update_id


@dataclass(slots=True)
class ActiveSurvey:
    """The survey a person is answering, and the question they were last shown.

    ``prompt`` is (chat id, message id) of the question message, whose buttons are live.
    ``asked`` is the id of the question that message asks (``None`` while the review is on
    screen) and ``shown`` when it was shown: a typed message counts as the answer to
    ``asked`` only when it came after ``shown`` and ``asked`` is still the current question
    in storage; anything else is answered by showing the current question again.
    ``paused`` is set by /cancel: typed messages are then not taken as answers until the
    survey is reopened.
    """

    survey_id: str
    prompt: tuple[int, int] | None = None
    paused: bool = False
    asked: str | None = None
    shown: PromptMark | None = None

    def answers(self, question_id: str | None, message_id: int, update_id: int) -> bool:
        """Whether a typed message (by its ids) answers ``question_id``, the current one."""
        return (question_id is not None and self.asked == question_id
                and self.shown is not None and self.shown.precedes(message_id, update_id))


class DraftStage(Enum):
    """Where a report draft is: warned → category → describing ⇄ review."""

    WARNED = "warned"
    CATEGORY = "category"
    DESCRIBING = "describing"
    REVIEW = "review"


@dataclass(slots=True, eq=False)
class ReportDraft:
    """A report being written; only ever in memory (see module doc)."""

    mode: ClassVar[InputMode] = InputMode.REPORT_DRAFT

    stage: DraftStage = DraftStage.WARNED
    category: str | None = None
    parts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    #: The bot's messages of the flow, deleted at the end (the review quotes the report).
    prompts: list[int] = field(default_factory=list)

    @property
    def text_length(self) -> int:
        """Characters of the description so far (with the blank lines that join parts)."""
        return sum(len(part) for part in self.parts) + 2 * max(0, len(self.parts) - 1)

    @property
    def body(self) -> str:
        """The description as it will be stored."""
        return "\n\n".join(self.parts)

    def wipe(self) -> None:
        """Drop the reporter's words and files from memory now, not whenever GC runs."""
        self.parts.clear()
        self.attachments.clear()
        self.category = None


@dataclass(slots=True, eq=False)
class ReportFollowUp:
    """After /status: the report the receipt opened; ``adding`` after "Add information"."""

    mode: ClassVar[InputMode] = InputMode.REPORT_STATUS

    report_id: str
    adding: bool = False

    def wipe(self) -> None:
        """Nothing but the report id is held."""


@dataclass(slots=True, eq=False)
class AnnouncementDraft:
    """A moderator's update for subscribers: the text, once written, awaits "Send".

    ``texts`` holds translations (language -> text) added after the text; while
    ``translating`` is set, the next message is the text in that language.
    """

    mode: ClassVar[InputMode] = InputMode.ANNOUNCEMENT_DRAFT

    survey_id: str
    number: int
    body: str | None = None
    texts: dict[str, str] = field(default_factory=dict)
    translating: str | None = None

    def wipe(self) -> None:
        """Forget the texts."""
        self.body = self.translating = None
        self.texts.clear()


@dataclass(slots=True, eq=False)
class RecommendationInput:
    """A moderator's next message is a recommendation's progress or a new milestone."""

    mode: ClassVar[InputMode] = InputMode.RECOMMENDATION_INPUT

    recommendation_id: str
    milestone: bool = False

    def wipe(self) -> None:
        """Nothing but the recommendation id is held."""


@dataclass(slots=True, eq=False)
class RecommendationDraft:
    """A moderator types a recommendation's title, then its text, in ``language``.

    A new recommendation for ``survey_id``, or, with ``recommendation_id``, a translation
    of an existing one. It shares the recommendation-input mode (one owner,
    ``handlers.moderation.recs``). Nothing is stored until the text (or "skip") arrives,
    so ``/cancel`` or expiry leaves no trace.
    """

    mode: ClassVar[InputMode] = InputMode.RECOMMENDATION_INPUT

    survey_id: str
    language: str
    title: str | None = None
    recommendation_id: str | None = None

    def wipe(self) -> None:
        """Forget the title typed so far."""
        self.title = None


@dataclass(slots=True, eq=False)
class ModeratorReply:
    """The next message of a moderator is their reply to ``report_id``.

    With ``note`` it is an internal note instead, which the reporter never sees.
    """

    mode: ClassVar[InputMode] = InputMode.MODERATOR_REPLY

    report_id: str
    note: bool = False

    def wipe(self) -> None:
        """Nothing but the report id is held."""


#: The dialogs that take a person's messages until they end.
Dialog = (ReportDraft | ReportFollowUp | AnnouncementDraft | ModeratorReply
          | RecommendationInput | RecommendationDraft)


@dataclass(slots=True, eq=False)
class Session:
    """One person's state in this process; see the module doc.

    Attributes:
        touched: Clock reading of the last update from this person.
        dialog: The open dialog, if any; it decides the mode over everything else.
        survey: The survey being answered (kept while a dialog is open, so the survey
            resumes after a report is sent).
        consent_asked: The privacy notice was shown and not yet agreed to.
        chosen_language: A /language choice made before consent, stored only on consent.
        detected_language: The language guessed from their first long message.
        invited_to: The invite-only survey a code just admitted them to, until it starts
            (``bot.invitations``); memory only, so no record ties a code to a person.
        held_invite: An invite code brought before consent, spent only on consent
            (``bot.invitations``); memory only, dropped with the session.
    """

    touched: float
    dialog: Dialog | None = None
    survey: ActiveSurvey | None = None
    consent_asked: bool = False
    chosen_language: str | None = None
    detected_language: str | None = None
    invited_to: str | None = None
    held_invite: str | None = None

    @property
    def mode(self) -> InputMode:
        """The one input mode, derived so that it can never disagree with the state."""
        if self.dialog is not None:
            return self.dialog.mode
        if self.survey is not None and not self.survey.paused:
            return InputMode.SURVEY_ANSWER
        if self.consent_asked:
            return InputMode.CONSENT
        return InputMode.IDLE

    def open(self, dialog: Dialog) -> Dialog | None:
        """Start ``dialog``, ending (and wiping) the one that was open; returns the old one."""
        previous = self.dialog
        if previous is not None and previous is not dialog:
            previous.wipe()
        self.dialog = dialog
        return previous

    def close(self) -> Dialog | None:
        """End the open dialog and wipe its memory; returns it (None if there was none)."""
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.wipe()
        return dialog

    def wipe(self) -> None:
        """Forget everything (expiry, /forget)."""
        self.close()
        self.survey = None
        self.chosen_language = self.detected_language = self.invited_to = None
        self.held_invite = None
        self.consent_asked = False


class SessionStore:
    """Every live session, by pseudonym, each dropped after ``expiry`` seconds alone.

    Args:
        expiry: Seconds without an update after which a session is dropped.
        clock: Monotonic seconds; tests pass a fake to expire sessions without sleeping.
    """

    __slots__ = ("_clock", "_sessions", "expiry")

    def __init__(self, expiry: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.expiry = expiry
        self._clock = clock
        self._sessions: dict[str, Session] = {}

    @property
    def clock(self) -> Callable[[], float]:
        """The clock sessions are timed with."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self._clock = clock

    def get(self, key: str) -> Session | None:
        """The live session of ``key`` without touching it; None when absent or expired."""
        session = self._sessions.get(key)
        if session is not None and self._expired(session):
            self.drop(key)
            return None
        return session

    def touch(self, key: str) -> Session:
        """The live session of ``key`` (a new one if needed), marked as used now."""
        session = self.get(key)
        if session is None:
            session = Session(touched=self._clock())
            self._sessions[key] = session
        session.touched = self._clock()
        return session

    def mode(self, key: str) -> InputMode:
        """The input mode of ``key`` (idle without a session)."""
        session = self.get(key)
        return session.mode if session is not None else InputMode.IDLE

    def drop(self, key: str) -> None:
        """Forget ``key``'s session entirely, wiping its dialog."""
        session = self._sessions.pop(key, None)
        if session is not None:
            session.wipe()

    def sweep(self) -> int:
        """Drop every expired session; returns how many were dropped."""
        expired = [key for key, session in self._sessions.items() if self._expired(session)]
        for key in expired:
            self.drop(key)
        return len(expired)

    def keys(self) -> Iterator[str]:
        """The pseudonyms with a session (for tests and /forget)."""
        return iter(list(self._sessions))

    def _expired(self, session: Session) -> bool:
        return self._clock() - session.touched > self.expiry
