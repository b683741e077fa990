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
- percentages, means and medians are shown only when their base is shown;
- counts of people who skipped a question are not treated as groups (they say nothing about
  opinions), which keeps optional questions readable.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from surveys.disclosure import LinkedTable, SuppressionReason, effective_min_cell
from surveys.messages import Message, N_
from surveys.model import Answer, Question, QuestionType, Survey
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
    NOT_ANALYSED,
    UNDETERMINED,
    QuestionTally,
    Response,
    SurveyTally,
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

    __slots__ = ("_by", "_k", "_survey", "_tallier")

    def __init__(self, survey: Survey, *, min_cell: int = 5, by: str | None = None) -> None:
        """Prepare the counters.

        Raises:
            BreakdownError: ``by`` is not a single-choice question of the survey.
        """
        self._survey = survey
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
        days: Iterable[tuple[_dt.date | None, str | None, int]],
        answers: Iterable[tuple[str | None, str, Answer, int]],
        texts: Iterable[tuple[str | None, str, int]],
        samples: Mapping[str, Sequence[tuple[str | None, str]]],
        languages: Iterable[tuple[str | None, str, str, int]] = (),
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
        return _build(self._survey, self._tallier.tally, self._by, self._k, in_progress)


def summarize(
    survey: Survey,
    responses: Iterable[Response],
    *,
    in_progress: int = 0,
    min_cell: int = 5,
    by: str | None = None,
) -> SurveySummary:
    """Aggregate submitted responses in one streaming pass and apply disclosure control.

    Args:
        survey: The survey (its latest version; answers to removed questions are ignored).
        responses: ``(answers, submitted_on, language)`` per submitted response.
        in_progress: Responses started but not submitted, for the completion rate.
        min_cell: Smallest group shown (raised to at least 3).
        by: Id of a single-choice question to break every other question down by.

    Returns:
        The summary tree.

    Raises:
        BreakdownError: ``by`` is not a single-choice question of the survey.
    """
    summarizer = Summarizer(survey, min_cell=min_cell, by=by)
    summarizer.add_many(responses)
    return summarizer.result(in_progress)


def _build(
    survey: Survey, tally: SurveyTally, by_question: Question | None, k: int, in_progress: int
) -> SurveySummary:
    total = tally.respondents
    if total < k:
        return SurveySummary(
            survey=survey,
            min_cell=k,
            respondents=Cell(0) if total == 0 else Cell(None, None, _TOO_FEW),
            in_progress=_small_count(in_progress, k),
            completion_rate=None,
            suppressed=_TOO_FEW if total else None,
        )
    progress = _small_count(in_progress, k)
    rate = total / (total + in_progress) if progress.shown else None
    groups: tuple[Group, ...] = ()
    by_summary: QuestionSummary | None = None
    if by_question is not None:
        groups, by_summary = _groups(by_question, tally, k)
    questions = []
    for question in survey.questions:
        question_tally = tally.questions.get(question.id)
        if question_tally is None:
            continue
        if by_summary is not None and question.id == by_summary.question.id:
            questions.append(by_summary)
        else:
            questions.append(_question_summary(question_tally, groups, k))
    return SurveySummary(
        survey=survey,
        min_cell=k,
        respondents=Cell(total),
        in_progress=progress,
        completion_rate=rate,
        per_day=_per_day(tally, k),
        questions=tuple(questions),
        by=by_question,
        groups=groups,
    )


_TOO_FEW = SuppressionReason.TOO_FEW_RESPONDENTS


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


def _small_count(count: int, k: int) -> Cell:
    if 0 < count < k:
        return Cell(None, None, SuppressionReason.SMALL_GROUP)
    return Cell(count)


def _per_day(tally: SurveyTally, k: int) -> tuple[DayCount, ...]:
    table = LinkedTable()
    total = table.cell(tally.respondents, pinned=True)
    days = sorted(tally.per_day)
    handles = [table.cell(tally.per_day[day]) for day in days]
    if sum(tally.per_day.values()) == tally.respondents:
        table.add_sum(total, handles)
    hidden = table.suppress(k)
    return tuple(
        DayCount(day, _cell(table, h, hidden)) for day, h in zip(days, handles, strict=True)
    )


def _cell(table: LinkedTable, handle: int, hidden: Mapping[int, SuppressionReason],
          base: int | None = None) -> Cell:
    if handle in hidden:
        return Cell(None, None, hidden[handle])
    count = table.value(handle)
    share = None
    if base is not None and base not in hidden and table.value(base) > 0:
        share = count / table.value(base)
    return Cell(count, share)


def _groups(
    by: Question, tally: SurveyTally, k: int
) -> tuple[tuple[Group, ...], QuestionSummary]:
    """Suppress the group sizes (the "by" question's own counts) as one table."""
    table = LinkedTable()
    total = table.cell(tally.respondents, pinned=True)
    choice_handles = [table.cell(tally.group_sizes[c.id]) for c in by.choices]
    answered = table.cell(sum(tally.group_sizes[c.id] for c in by.choices))
    no_answer = table.cell(tally.group_sizes[None])
    table.add_sum(answered, choice_handles)
    table.add_sum(total, [answered, no_answer])
    hidden = table.suppress(k)
    groups = [
        Group(c.id, c.label, _cell(table, h, hidden))
        for c, h in zip(by.choices, choice_handles, strict=True)
    ]
    if tally.group_sizes[None]:
        groups.append(Group(None, None, _cell(table, no_answer, hidden)))
    categories = tuple(
        Category(c.id, _cell(table, h, hidden, answered), c.label)
        for c, h in zip(by.choices, choice_handles, strict=True)
    )
    summary = QuestionSummary(by, Result(_cell(table, answered, hidden), categories))
    return tuple(groups), summary


def _columns(tally: QuestionTally) -> list[tuple[object, Category]]:
    """The answer categories of a question: (counter key or bin, template category)."""
    question = tally.question
    overall: Counter[object] = Counter()
    for counter in tally.values.values():
        overall.update(counter)
    if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        return [(c.id, Category(c.id, Cell(0), c.label)) for c in question.choices]
    if question.type is QuestionType.SCALE:
        # Every observed value gets a bar, even one outside the declared bounds.
        observed = [int(v) for v in overall]  # type: ignore[call-overload]
        if question.min is not None:
            observed.append(int(question.min))
        if question.max is not None:
            observed.append(int(question.max))
        low, high = min(observed, default=0), max(observed, default=0)
        return [(v, Category(str(v), Cell(0), None, v, v)) for v in range(low, high + 1)]
    if question.type is QuestionType.NUMBER:
        return [((lo, hi), Category(f"{lo:g}-{hi:g}", Cell(0), None, lo, hi))
                for lo, hi in _bins(overall, question.integer)]
    if question.type is QuestionType.TEXT:
        # Detected languages by size, then "too short to tell", then "not analysed".
        last = {UNDETERMINED: 1, NOT_ANALYSED: 2}
        languages = sorted(overall, key=lambda code: (last.get(str(code), 0), -overall[code],
                                                      str(code)))
        return [(code, Category(str(code), Cell(0))) for code in languages]
    return []


def _bins(values: Counter[object], integer: bool) -> list[tuple[float, float]]:
    """About five equal ranges with round edges, covering every value."""
    if not values:
        return []
    low, high = float(min(values)), float(max(values))  # type: ignore[arg-type]
    if low == high:
        return [(low, high)]
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    first = math.floor(low / step) * step
    edges = []
    while not edges or edges[-1][1] < high:
        start = first + len(edges) * step
        edges.append((start, start + step))
    return edges


def _bucket(key: object, columns: list[tuple[object, Category]], kind: QuestionType) -> int:
    if kind is not QuestionType.NUMBER:
        return next(i for i, (k, _) in enumerate(columns) if k == key)
    value = float(key)  # type: ignore[arg-type]
    for i, ((lo, hi), _) in enumerate(columns):  # type: ignore[misc]
        if lo <= value < hi or (i == len(columns) - 1 and value <= hi):
            return i
    return len(columns) - 1


def _question_summary(
    tally: QuestionTally, groups: tuple[Group, ...], k: int
) -> QuestionSummary:
    """Build and suppress one question's table: groups x categories with margins."""
    question = tally.question
    kind = question.type
    columns = _columns(tally)
    multi = kind is QuestionType.MULTI
    # Without a breakdown every response was tallied in the group ``None``.
    group_keys: list[str | None] = [g.key for g in groups] if groups else [None]
    forced = {g.key: g.size.suppressed for g in groups if not g.size.shown}

    def counts_for(group_key: str | None) -> list[int]:
        row = [0] * len(columns)
        counter = tally.values.get(group_key, Counter())
        for key, count in counter.items():
            row[_bucket(key, columns, kind)] += count
        return row

    table = LinkedTable()
    rows = [counts_for(g) for g in group_keys]
    answered = [tally.answered[g] for g in group_keys]
    row_handles, row_totals, missing = [], [], []
    for g, row, n in zip(group_keys, rows, answered, strict=True):
        reason = forced.get(g)
        n_handle = table.cell(n, hidden_because=reason)
        handles = [table.cell(v, hidden_because=reason) for v in row]
        if multi:
            absent = [table.cell(n - v, displayed=False) for v in row]
            for chosen, not_chosen in zip(handles, absent, strict=True):
                table.add_sum(n_handle, [chosen, not_chosen])
            missing.append(absent)
        elif kind in (QuestionType.SINGLE, QuestionType.SCALE,
                      QuestionType.NUMBER, QuestionType.TEXT):
            table.add_sum(n_handle, handles)
        row_handles.append(handles)
        row_totals.append(n_handle)
    if groups:
        grand = table.cell(sum(answered))
        table.add_sum(grand, row_totals)
        margins = []
        for j in range(len(columns)):
            margin = table.cell(sum(row[j] for row in rows))
            table.add_sum(margin, [handles[j] for handles in row_handles])
            margins.append(margin)
            if multi:
                absent_margin = table.cell(sum(answered) - sum(row[j] for row in rows),
                                           displayed=False)
                table.add_sum(absent_margin, [absent[j] for absent in missing])
                table.add_sum(grand, [margin, absent_margin])
        if not multi and columns and kind is not QuestionType.DATE:
            table.add_sum(grand, margins)
    else:
        grand, margins = row_totals[0], row_handles[0]
    hidden = table.suppress(k)

    def result(n_handle: int, handles: list[int], values: Counter[object]) -> Result:
        categories = tuple(
            Category(template.key, _cell(table, h, hidden, n_handle), template.label,
                     template.low, template.high)
            for (_, template), h in zip(columns, handles, strict=True)
        )
        stats = None
        if kind in (QuestionType.SCALE, QuestionType.NUMBER):
            stats = _stats(values, table.value(n_handle), hidden.get(n_handle), k)
        return Result(_cell(table, n_handle, hidden), categories, stats)

    overall_values: Counter[object] = Counter()
    for counter in tally.values.values():
        overall_values.update(counter)
    overall = result(grand, margins, overall_values)
    by_group: tuple[Result, ...] = ()
    if groups:
        by_group = tuple(
            result(n_handle, handles, tally.values.get(g, Counter()))
            for g, n_handle, handles in zip(group_keys, row_totals, row_handles, strict=True)
        )
    return QuestionSummary(question, overall, by_group)


def _stats(values: Counter[object], n: int, hidden: SuppressionReason | None, k: int) -> Stats:
    if hidden is not None:
        return Stats(None, None, hidden)
    if n < k:
        return Stats(None, None, SuppressionReason.SMALL_GROUP if n else None)
    numeric = sorted((float(v), c) for v, c in values.items())  # type: ignore[arg-type]
    mean = sum(v * c for v, c in numeric) / n
    return Stats(mean, _median(numeric, n))


def _median(sorted_counts: list[tuple[float, int]], n: int) -> float:
    """Median from (value, count) pairs, without expanding them into a list."""
    wanted = [(n - 1) // 2, n // 2]
    found: list[float] = []
    seen = 0
    for value, count in sorted_counts:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return sum(found) / len(found)
