"""Summaries of submitted responses, with disclosure control applied before anyone sees them.

:func:`summarize` turns a stream of responses into a :class:`SurveySummary`: a tree of frozen
dataclasses in which every number a moderator could see is a :class:`Cell` that is either
shown or carries the reason it was suppressed. Text rendering, charts and tests all read
this one tree, so no output can show a number the disclosure rules hid.

Rules (see :mod:`surveys.disclosure` for the mechanics):

- fewer than ``min_cell`` respondents in total: nothing but that fact is shown;
- every count of ``1..min_cell-1`` people is hidden, and complements are hidden so that it
  cannot be recovered from totals, margins or other groups (each question is one linked
  table: groups x answers, with group and answer totals);
- a breakdown group whose size is hidden is hidden in every question's table, so its size
  cannot be rebuilt from its answers;
- every shown count carries cell-key noise (:mod:`surveys.perturbation`): the same
  responses always get the same noise, in every table, so neither subtraction across tables
  nor repeating the request pins a hidden cell down;
- percentages, means and medians are computed from the published (perturbed) counts only,
  and only when every count they rest on is shown, so they add nothing an attacker could
  solve a hidden cell with; number answers are shown as safe ranges (:mod:`surveys.binning`),
  never as minimum, maximum, mean or median;
- counts of people who skipped a question are not treated as groups (they say nothing about
  opinions), which keeps optional questions readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from surveys.disclosure import effective_min_cell
from surveys.messages import N_, Message
from surveys.model import Question, QuestionType, Survey
from surveys.perturbation import PROTECTED, Protection
from surveys.summary_builder import SummaryBuilder
from surveys.summary_model import (
    Category,
    Cell,
    DayCount,
    Group,
    QuestionSummary,
    Result,
    Stats,
    SurveySummary,
)
from surveys.tally import (
    Response,
    Tallier,
    tally_from_counts,
)

__all__ = [
    "BreakdownError",
    "Category",
    "Cell",
    "DayCount",
    "Group",
    "QuestionSummary",
    "Result",
    "Stats",
    "Summarizer",
    "SurveySummary",
    "summarize",
]

class BreakdownError(ValueError):
    """The requested breakdown question does not exist or is not single-choice."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render())
        self.message = message


class Summarizer:
    """Aggregates responses fed batch by batch, then builds the suppressed summary.

    The incremental form lets the bot read a batch from storage, count it in a worker thread,
    and hold no more than one batch at a time.
    """

    __slots__ = ("_by", "_k", "_protection", "_survey", "_tallier")

    def __init__(self, survey: Survey, *, min_cell: int = 5, by: str | None = None,
                 protection: Protection = PROTECTED) -> None:
        """Prepare the counters.

        Raises:
            BreakdownError: ``by`` is not a single-choice question of the survey.
        """
        self._survey = survey
        self._protection = protection
        self._k = effective_min_cell(min_cell)
        self._by = _breakdown_question(survey, by)
        self._tallier = Tallier(survey, self._by)

    def add_many(self, responses: Iterable[Response]) -> None:
        """Count a batch of ``(answers, submitted_on, language)`` responses."""
        self._tallier.add_many(responses)

    @property
    def by(self) -> Question | None:
        """The breakdown question (validated), or ``None``."""
        return self._by

    def use_counts(
        self,
        *,
        days: Iterable[tuple[Any, ...]],
        answers: Iterable[tuple[Any, ...]],
        texts: Iterable[tuple[Any, ...]],
        samples: Mapping[str, Sequence[tuple[Any, ...]]],
        languages: Iterable[tuple[Any, ...]] = (),
    ) -> None:
        """Take counts made elsewhere (storage counts in SQL) instead of responses.

        Replaces whatever was counted before; the arguments are those of
        :func:`surveys.tally.tally_from_counts`, whose tally equals a pass over the
        responses, so disclosure control and rendering are the same code either way.
        """
        self._tallier.tally = tally_from_counts(self._survey, self._by, days=days,
                                                answers=answers, texts=texts, samples=samples,
                                                languages=languages)

    def result(self, in_progress: int = 0) -> SurveySummary:
        """The summary of everything counted so far, with disclosure control applied."""
        return SummaryBuilder(self._k, self._protection).build(
            self._survey, self._tallier.tally, self._by, in_progress)


def summarize(
    survey: Survey,
    responses: Iterable[Response],
    *,
    in_progress: int = 0,
    min_cell: int = 5,
    by: str | None = None,
    protection: Protection = PROTECTED,
) -> SurveySummary:
    """Aggregate submitted responses in one streaming pass and apply disclosure control.

    Args:
        survey: The survey (its latest version; answers to removed questions are ignored).
        responses: ``(answers, submitted_on, language)`` per submitted response.
        in_progress: Responses started but not submitted, for the completion rate.
        min_cell: Smallest group shown (raised to at least 3).
        by: Id of a single-choice question to break every other question down by.
        protection: :data:`~surveys.perturbation.PROTECTED` for anything published;
            weaker settings exist for tests only.

    Returns:
        The summary tree.

    Raises:
        BreakdownError: ``by`` is not a single-choice question of the survey.
    """
    summarizer = Summarizer(survey, min_cell=min_cell, by=by, protection=protection)
    summarizer.add_many(responses)
    return summarizer.result(in_progress)



def _breakdown_question(survey: Survey, by: str | None) -> Question | None:
    if by is None:
        return None
    question = survey.question(by)
    if question is None:
        raise BreakdownError(
            Message(N_("The survey has no question '{question}'."), {"question": by})
        )
    if question.type is not QuestionType.SINGLE:
        raise BreakdownError(
            Message(
                N_("Summaries can only be broken down by a single-choice question; "
                   "'{question}' is not one."),
                {"question": by},
            )
        )
    return question
