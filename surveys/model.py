"""The survey model shared by both loaders, the engine, storage and the handlers.

Every class is a frozen dataclass: a published survey is a value, and nothing downstream
(the engine, aggregation, exports) may mutate what a moderator validated.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "Answer",
    "Answers",
    "Calculation",
    "Choice",
    "Question",
    "QuestionType",
    "Survey",
    "Text",
]

#: One stored answer. ``None`` means "skipped"; single/text/date answers are ``str``
#: (dates as ISO ``YYYY-MM-DD``), multi-select is a tuple of choice ids, scale is ``int``,
#: number is ``int`` (XLSForm ``integer``) or ``float`` (``decimal``).
Answer = str | int | float | tuple[str, ...] | None
Answers = Mapping[str, Answer]


class QuestionType(StrEnum):
    """The question types, named as in the YAML format (README.md, "Survey files")."""

    SINGLE = "single"
    MULTI = "multi"
    SCALE = "scale"
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Text:
    """A text in several languages; the survey's default language is always present.

    Kept as an immutable mapping so that a survey can be hashed, compared and shared
    between concurrent conversations without copying.
    """

    translations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "translations", MappingProxyType(dict(self.translations)))

    def get(self, language: str, default_language: str) -> str:
        """Return the text in ``language``, falling back to ``default_language``.

        Falls back to any available translation rather than an empty string, so a survey
        with a gap in its catalog still shows something readable.
        """
        if language in self.translations:
            return self.translations[language]
        if default_language in self.translations:
            return self.translations[default_language]
        return next(iter(self.translations.values()), "")

    @property
    def languages(self) -> frozenset[str]:
        """The languages this text is available in."""
        return frozenset(self.translations)

    def __bool__(self) -> bool:
        return any(self.translations.values())

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.translations.items())))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Text):
            return NotImplemented
        return dict(self.translations) == dict(other.translations)

    def to_dict(self) -> dict[str, str]:
        """A plain dict, for serialisation."""
        return dict(self.translations)


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a single- or multi-select question.

    ``properties`` are the extra columns of the choice (XLSForm's choices sheet, or extra
    keys in YAML), read by a question's ``choice_filter``: ``{"region": "north"}``.
    """

    id: str
    label: Text
    properties: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "properties", MappingProxyType(dict(self.properties)))

    def __hash__(self) -> int:
        return hash((self.id, self.label, tuple(sorted(self.properties.items()))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Choice):
            return NotImplemented
        return (self.id, self.label, dict(self.properties)) == (other.id, other.label, dict(other.properties))

    @property
    def columns(self) -> Mapping[str, str]:
        """What a ``choice_filter`` reads: the properties, and ``name`` for the id."""
        return {**self.properties, "name": self.id}


@dataclass(frozen=True, slots=True)
class Question:
    """One question of a survey, in the shape both loaders produce.

    ``line`` is where the question was defined (YAML line or XLSForm row), so that errors
    found after loading can still point the author at the right place.
    """

    id: str
    type: QuestionType
    label: Text
    hint: Text | None = None
    choices: tuple[Choice, ...] = ()
    required: bool = True
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Text | None = None
    #: Bounds of a scale (inclusive); for numbers, optional bounds checked before the constraint.
    min: int | float | None = None
    max: int | float | None = None
    #: ``True`` for XLSForm ``integer``; a plain YAML ``number`` accepts decimals.
    integer: bool = False
    #: Longest accepted text answer, in characters.
    max_length: int | None = None
    line: int | None = None
    #: Which choices are offered, given earlier answers (cascading selects), e.g.
    #: ``region = ${region}``; bare names are columns of the choice (see :class:`Choice`).
    choice_filter: str | None = None
    #: Whether the answer could help single a person out when combined with others (a
    #: quasi-identifier, protected by k-anonymity in exports). ``None``: the default by
    #: type, which is "yes" for single- and multi-select questions and "no" otherwise.
    quasi_identifier: bool | None = None

    def choice(self, choice_id: str) -> Choice | None:
        """The choice with this id, or ``None``."""
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        return None

    @property
    def waits_for_answer(self) -> bool:
        """Notes are shown and passed; every other type waits for the participant."""
        return self.type is not QuestionType.NOTE


@dataclass(frozen=True, slots=True)
class Calculation:
    """A value computed from earlier answers (XLSForm ``calculate``), never asked.

    Calculations are not stored with the answers: the loader substitutes each one into the
    expressions that use it, so the engine recomputes it from the answers whenever they
    change. They are kept here so that authors can see them (``consultbot try``).

    Attributes:
        position: How many questions come before it in the file; only later questions
            may use it.
        expression: The calculation, with earlier calculations already substituted.
    """

    id: str
    expression: str
    position: int
    relevant: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Survey:
    """A validated survey definition. ``languages[0]`` is the default language."""

    id: str
    title: Text
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    calculations: tuple[Calculation, ...] = ()

    @property
    def default_language(self) -> str:
        """The language used when the participant's is not offered."""
        return self.languages[0]

    def question(self, question_id: str) -> Question | None:
        """The question with this id, or ``None``."""
        for question in self.questions:
            if question.id == question_id:
                return question
        return None

    def index_of(self, question_id: str) -> int:
        """Position of a question; raises ``KeyError`` for an unknown id."""
        for index, question in enumerate(self.questions):
            if question.id == question_id:
                return index
        raise KeyError(question_id)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def language_for(self, wanted: str | None) -> str:
        """The survey language to show a participant who reads ``wanted``."""
        if wanted and wanted in self.languages:
            return wanted
        return self.default_language


def today() -> _dt.date:
    """Today's date (UTC), to the day: the only precision consultbot stores."""
    return _dt.datetime.now(_dt.UTC).date()
