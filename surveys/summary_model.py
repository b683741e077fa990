"""The summary tree that aggregation produces and text, charts and tests read.

Every number a moderator could see is a :class:`Cell`: either shown, or ``None`` with the
reason it was suppressed. Keeping the tree separate from the arithmetic that fills it makes
it easy to check that renderers only ever read shown cells.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from surveys.disclosure import SuppressionReason
from surveys.model import Question, Survey, Text

__all__ = [
    "Category",
    "Cell",
    "DayCount",
    "Group",
    "QuestionSummary",
    "Result",
    "Stats",
    "SurveySummary",
]


@dataclass(frozen=True, slots=True)
class Cell:
    """One number that may be shown: ``count`` and ``share`` are ``None`` when suppressed."""

    count: int | None
    share: float | None = None
    suppressed: SuppressionReason | None = None

    @property
    def shown(self) -> bool:
        """Whether the count may be displayed."""
        return self.suppressed is None


@dataclass(frozen=True, slots=True)
class Category:
    """One bar of a distribution: a choice, a scale value, a number range or a language."""

    key: str
    cell: Cell
    label: Text | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    """Mean and median of a scale or number question (``None`` when not shown)."""

    mean: float | None
    median: float | None
    suppressed: SuppressionReason | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """A question's figures for one group (or for everyone)."""

    answered: Cell
    categories: tuple[Category, ...] = ()
    stats: Stats | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """A breakdown group: the respondents who gave one answer to the "by" question."""

    key: str | None  # None: respondents who did not answer the "by" question
    label: Text | None
    size: Cell


@dataclass(frozen=True, slots=True)
class QuestionSummary:
    """A question's figures overall and, in a breakdown, per group (aligned with groups)."""

    question: Question
    overall: Result
    by_group: tuple[Result, ...] = ()


@dataclass(frozen=True, slots=True)
class DayCount:
    """Submissions on one day (days are the finest time consultbot stores)."""

    day: _dt.date
    cell: Cell


@dataclass(frozen=True, slots=True)
class SurveySummary:
    """Everything a moderator may see about a survey's responses."""

    survey: Survey
    min_cell: int
    respondents: Cell
    in_progress: Cell
    completion_rate: float | None
    per_day: tuple[DayCount, ...] = ()
    questions: tuple[QuestionSummary, ...] = ()
    by: Question | None = None
    groups: tuple[Group, ...] = ()
    #: Set when the whole summary is withheld (too few respondents, nothing published yet).
    suppressed: SuppressionReason | None = None
    #: The publication counts responses submitted before this day (``surveys.snapshot``);
    #: ``None`` for a summary of given responses (pure callers, tests).
    snapshot_before: _dt.date | None = None

    def suppression_counts(self) -> Mapping[SuppressionReason, int]:
        """How many numbers were hidden, per reason, so the summary can say so."""
        counts: Counter[SuppressionReason] = Counter()
        cells = [d.cell for d in self.per_day] + [g.size for g in self.groups]
        for question in self.questions:
            for result in (question.overall, *question.by_group):
                cells.append(result.answered)
                cells.extend(c.cell for c in result.categories)
        for cell in cells:
            if cell.suppressed is not None:
                counts[cell.suppressed] += 1
        return dict(counts)
