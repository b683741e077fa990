"""What each inline button says, as small typed records.

Every button of the bot is one of the frozen dataclasses below, registered under its kind,
which is the router's key (ARCHITECTURE.md, "Input routing"). How a record travels is
:mod:`handlers.shared.button_codec` (fields on the wire, checked on the way back) and
:mod:`handlers.shared.buttons` (signed); a handler only ever sees a record.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

__all__ = [
    "AddressedAnswer",
    "Announce",
    "AnswerOp",
    "AnswerQuestion",
    "ButtonData",
    "ChooseLanguage",
    "Consent",
    "FollowSurvey",
    "Forget",
    "OpenSurvey",
    "RecommendationAction",
    "RecommendationButton",
    "RecsModeration",
    "RecsModerationAction",
    "ReportDraftAction",
    "ReportDraftButton",
    "ReportModeration",
    "ReportModerationAction",
    "ReportStatusAction",
    "ReportStatusButton",
    "Review",
    "ShowResults",
    "record_class",
]

class ButtonData:
    """Base of every button record; ``kind`` is its first field on the wire."""

    kind: ClassVar[str]
    #: Every record is a dataclass; declared so the codec's ``dataclasses.fields`` type-checks.
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]


_KINDS: dict[str, type[ButtonData]] = {}
Record = TypeVar("Record", bound=type[ButtonData])


def _button(kind: str) -> typing.Callable[[Record], Record]:
    def register(cls: Record) -> Record:
        if kind in _KINDS:
            raise ValueError(f"button kind {kind!r} is used twice")
        cls.kind = kind
        _KINDS[kind] = cls
        return cls

    return register


def record_class(kind: str) -> type[ButtonData] | None:
    """The record class registered under ``kind``, or ``None`` for an unknown kind."""
    return _KINDS.get(kind)


@_button("o")
@dataclasses.dataclass(frozen=True, slots=True)
class OpenSurvey(ButtonData):
    """A survey of the /surveys list (``ref``: :func:`bot.survey_progress.survey_ref`)."""

    ref: str


class AnswerOp(StrEnum):
    """What a button under a question does."""

    VALUE = "v"  #: choose a value (``arg``: choice index or scale number)
    TOGGLE = "t"  #: flip one choice of a multi-select (``arg``: the mask it leads to, hex)
    DONE = "d"  #: done with a multi-select (``arg``: the mask)
    SKIP = "s"
    BACK = "b"
    KEEP = "k"  #: keep the current answer


@_button("a")
@dataclasses.dataclass(frozen=True, slots=True)
class AnswerQuestion(ButtonData):
    """A button under the question at ``index`` of ``version`` of a survey."""

    ref: str
    version: int
    index: int
    op: AnswerOp
    arg: str = ""


@_button("r")
@dataclasses.dataclass(frozen=True, slots=True)
class Review(ButtonData):
    """A button of the review: ``submit``, ``back``, or ``c<index>`` to change an answer."""

    ref: str
    version: int
    op: str

    @property
    def change(self) -> int | None:
        """The index of the question to change, for a ``c<index>`` button."""
        match = re.fullmatch(r"c([0-9]{1,3})", self.op)
        return int(match.group(1)) if match else None

    @property
    def valid(self) -> bool:
        """Whether ``op`` is one the review makes."""
        return self.op in ("submit", "back") or self.change is not None


@_button("c")
@dataclasses.dataclass(frozen=True, slots=True)
class Consent(ButtonData):
    """"I agree"; ``survey_ref`` is the deep-linked survey to open next, if any."""

    survey_ref: str | None


@_button("lg")
@dataclasses.dataclass(frozen=True, slots=True)
class ChooseLanguage(ButtonData):
    """A language of /language."""

    language: str


class _YesNo(StrEnum):
    YES = "yes"
    NO = "no"


@_button("f")
@dataclasses.dataclass(frozen=True, slots=True)
class Forget(ButtonData):
    """The confirmation of /forget."""

    answer: _YesNo

    @property
    def confirmed(self) -> bool:
        """Erase everything."""
        return self.answer is _YesNo.YES

    @classmethod
    def of(cls, confirmed: bool) -> Forget:
        """The "yes" or the "no" button."""
        return cls(_YesNo.YES if confirmed else _YesNo.NO)


class _Follow(StrEnum):
    SUBSCRIBE = "s"
    UNSUBSCRIBE = "u"


@_button("up")
@dataclasses.dataclass(frozen=True, slots=True)
class FollowSurvey(ButtonData):
    """Subscribe to or unsubscribe from a survey's updates."""

    action: _Follow
    ref: str

    @property
    def subscribe(self) -> bool:
        """Subscribe (else unsubscribe)."""
        return self.action is _Follow.SUBSCRIBE

    @classmethod
    def of(cls, subscribe: bool, ref: str) -> FollowSurvey:
        """The "Get updates" or the "Stop updates" button."""
        return cls(_Follow.SUBSCRIBE if subscribe else _Follow.UNSUBSCRIBE, ref)


class ReportDraftAction(StrEnum):
    """The buttons of /report."""

    CONTINUE = "go"
    CATEGORY = "cat"
    REVIEW = "review"
    MORE = "more"
    SEND = "send"
    CANCEL = "cancel"
    RECEIPT_NOTED = "gone"  #: the receipt was written down: remove its message


@_button("rp")
@dataclasses.dataclass(frozen=True, slots=True)
class ReportDraftButton(ButtonData):
    """A button of the report flow; ``category`` is an index for :attr:`CATEGORY`."""

    action: ReportDraftAction
    category: int | None = None


class ReportStatusAction(StrEnum):
    """The buttons under /status."""

    ADD = "add"
    DONE = "done"


@_button("rs")
@dataclasses.dataclass(frozen=True, slots=True)
class ReportStatusButton(ButtonData):
    """"Add information" or "Done" after /status."""

    action: ReportStatusAction


class ReportModerationAction(StrEnum):
    """The buttons of /reports."""

    SHOW_ALL = "all"  #: list closed reports too
    OPEN = "o"
    SET_STATUS = "s"
    REPLY = "r"
    ASSIGN = "a"  #: assign the report to the moderator who pressed
    NOTE = "n"  #: write an internal note


@_button("rm")
@dataclasses.dataclass(frozen=True, slots=True)
class ReportModeration(ButtonData):
    """A moderator's button of /reports (``status``: for :attr:`~ReportModerationAction.SET_STATUS`)."""

    action: ReportModerationAction
    report_id: str | None = None
    status: str | None = None


class _Send(StrEnum):
    SEND = "send"
    DROP = "drop"
    TRANSLATE = "tr"  #: offer the languages a translation can be added in
    LANGUAGE = "lg"  #: the moderator's next message is the text in ``language``


@_button("an")
@dataclasses.dataclass(frozen=True, slots=True)
class Announce(ButtonData):
    """A button under the announcement draft numbered ``number``."""

    action: _Send
    number: int
    language: str | None = None

    @property
    def send(self) -> bool:
        """Queue it (else drop it, or work on a translation)."""
        return self.action is _Send.SEND

    @property
    def drop(self) -> bool:
        """Drop the draft."""
        return self.action is _Send.DROP

    @property
    def translate(self) -> bool:
        """Show the languages a translation may be added in."""
        return self.action is _Send.TRANSLATE

    @classmethod
    def translation(cls, number: int, language: str | None = None) -> Announce:
        """"Add a translation" (no language), or the button of one language."""
        if language is None:
            return cls(_Send.TRANSLATE, number)
        return cls(_Send.LANGUAGE, number, language)

    @classmethod
    def of(cls, send: bool, number: int) -> Announce:
        """The "Send" or the "Cancel" button."""
        return cls(_Send.SEND if send else _Send.DROP, number)


class RecommendationAction(StrEnum):
    """What a participant's button of /recs does."""

    LIST = "l"  #: the list, from position ``ref`` (a number; the start when ``None``)
    OPEN = "o"
    FOLLOW = "f"
    UNFOLLOW = "u"


@_button("rv")
@dataclasses.dataclass(frozen=True, slots=True)
class RecommendationButton(ButtonData):
    """A participant's /recs button (``ref``: ``bot.recommendation_updates.recommendation_ref``)."""

    action: RecommendationAction
    ref: str | None = None


@_button("ad")
@dataclasses.dataclass(frozen=True, slots=True)
class AddressedAnswer(ButtonData):
    """One answer to "was this addressed?" (``yes``/``partly``/``no`` or ``1``-``5``)."""

    ref: str
    answer: str


class RecsModerationAction(StrEnum):
    """What a moderator's button of /recs does."""

    SURVEY = "s"  #: list one survey's recommendations (``ref``: survey ref)
    OPEN = "o"
    STATUS = "st"  #: move to ``arg``
    PROGRESS = "p"  #: the next message is the progress
    MILESTONE = "m"  #: the next message is a milestone
    REACHED = "r"  #: milestone number ``arg`` is reached
    NEW = "n"  #: the next messages are a new recommendation (``ref``: survey ref)
    TRANSLATE = "t"  #: pick a language (``arg``: none yet), or type the texts in ``arg``


@_button("rq")
@dataclasses.dataclass(frozen=True, slots=True)
class RecsModeration(ButtonData):
    """A moderator's /recs button."""

    action: RecsModerationAction
    ref: str
    arg: str | None = None


@_button("rz")
@dataclasses.dataclass(frozen=True, slots=True)
class ShowResults(ButtonData):
    """A survey of /results (``ref``: ``bot.survey_progress.survey_ref``)."""

    ref: str
