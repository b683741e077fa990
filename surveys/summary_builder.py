"""Builds the protected summary tree from a tally: suppression, then noise, then statistics.

:mod:`surveys.aggregation` counts; this turns the counts of one survey into the
:class:`~surveys.summary_model.SurveySummary` everything published reads (the rules are in
that module's docstring and in README, "Disclosure control").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

from surveys.binning import bin_index, safe_bins
from surveys.disclosure import LinkedTable, SuppressionReason
from surveys.model import Question, QuestionType, Survey
from surveys.perturbation import Protection, perturb
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
from surveys.tally import NOT_ANALYSED, UNDETERMINED, QuestionTally, SurveyTally

__all__ = ["SummaryBuilder"]

_TOO_FEW = SuppressionReason.TOO_FEW_RESPONDENTS


def _small_count(count: int, k: int) -> Cell:
    if 0 < count < k:
        return Cell(None, None, SuppressionReason.SMALL_GROUP)
    return Cell(count)


class SummaryBuilder:
    """Builds the protected summary tree from a tally (suppression, then noise)."""

    __slots__ = ("k", "protection")

    def __init__(self, k: int, protection: Protection) -> None:
        self.k = k
        self.protection = protection

    def published(self, count: int, key: int) -> int:
        return perturb(count, key, self.k) if self.protection.noise else count

    def build(self, survey: Survey, tally: SurveyTally, by_question: Question | None,
              in_progress: int) -> SurveySummary:
        k = self.k
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
        respondents = self.published(total, tally.respondents_key)
        rate = respondents / (respondents + in_progress) if progress.shown else None
        groups: tuple[Group, ...] = ()
        by_summary: QuestionSummary | None = None
        if by_question is not None:
            groups, by_summary = self.groups(by_question, tally)
        questions = []
        for question in survey.questions:
            question_tally = tally.questions.get(question.id)
            if question_tally is None:
                continue
            if by_summary is not None and question.id == by_summary.question.id:
                questions.append(by_summary)
            else:
                questions.append(self.question_summary(question_tally, groups))
        return SurveySummary(
            survey=survey,
            min_cell=k,
            respondents=Cell(respondents),
            in_progress=progress,
            completion_rate=rate,
            per_day=self.per_day(tally),
            questions=tuple(questions),
            by=by_question,
            groups=groups,
        )

    def suppress(self, table: LinkedTable) -> dict[int, SuppressionReason]:
        return table.suppress(self.k, complementary=self.protection.complementary)

    def cell(self, table: LinkedTable, handle: int, hidden: Mapping[int, SuppressionReason],
             base: int | None = None) -> Cell:
        if handle in hidden:
            return Cell(None, None, hidden[handle])
        count = self.published(table.value(handle), table.key(handle))
        share = None
        if base is not None and base not in hidden:
            total = self.published(table.value(base), table.key(base))
            if total > 0:
                share = count / total
        return Cell(count, share)

    def per_day(self, tally: SurveyTally) -> tuple[DayCount, ...]:
        table = LinkedTable()
        total = table.cell(tally.respondents, pinned=True, key=tally.respondents_key)
        days = sorted(tally.per_day)
        handles = [table.cell(tally.per_day[day], key=tally.per_day_keys[day]) for day in days]
        if sum(tally.per_day.values()) == tally.respondents:
            table.add_sum(total, handles)
        hidden = self.suppress(table)
        return tuple(
            DayCount(day, self.cell(table, h, hidden)) for day, h in zip(days, handles, strict=True)
        )

    def groups(self, by: Question, tally: SurveyTally
               ) -> tuple[tuple[Group, ...], QuestionSummary]:
        """Suppress the group sizes (the "by" question's own counts) as one table."""
        table = LinkedTable()
        sizes, keys = tally.group_sizes, tally.group_keys
        total = table.cell(tally.respondents, pinned=True, key=tally.respondents_key)
        choice_handles = [table.cell(sizes[c.id], key=keys[c.id]) for c in by.choices]
        answered = table.cell(sum(sizes[c.id] for c in by.choices),
                              key=sum(keys[c.id] for c in by.choices))
        no_answer = table.cell(sizes[None], key=keys[None])
        table.add_sum(answered, choice_handles)
        table.add_sum(total, [answered, no_answer])
        hidden = self.suppress(table)
        groups = [
            Group(c.id, c.label, self.cell(table, h, hidden))
            for c, h in zip(by.choices, choice_handles, strict=True)
        ]
        if sizes[None]:
            groups.append(Group(None, None, self.cell(table, no_answer, hidden)))
        categories = tuple(
            Category(c.id, self.cell(table, h, hidden, answered), c.label)
            for c, h in zip(by.choices, choice_handles, strict=True)
        )
        summary = QuestionSummary(by, Result(self.cell(table, answered, hidden), categories))
        return tuple(groups), summary

    def question_summary(self, tally: QuestionTally, groups: tuple[Group, ...]
                         ) -> QuestionSummary:
        """Build and suppress one question's table: groups x categories with margins."""
        question = tally.question
        kind = question.type
        columns, bucket = _columns(tally, self.k)
        multi = kind is QuestionType.MULTI
        # Without a breakdown every response was tallied in the group ``None``.
        group_keys: list[str | None] = [g.key for g in groups] if groups else [None]
        forced = {g.key: g.size.suppressed for g in groups if not g.size.shown}

        def counts_for(group_key: str | None) -> tuple[list[int], list[int]]:
            row, keys = [0] * len(columns), [0] * len(columns)
            counter = tally.values.get(group_key, Counter())
            key_counter = tally.value_keys.get(group_key, Counter())
            for value, count in counter.items():
                j = bucket(value)
                row[j] += count
                keys[j] += key_counter[value]
            return row, keys

        table = LinkedTable()
        rows = [counts_for(g) for g in group_keys]
        answered = [(tally.answered[g], tally.answered_keys[g]) for g in group_keys]
        row_handles, row_totals, missing = [], [], []
        for g, (row, keys), (n, n_key) in zip(group_keys, rows, answered, strict=True):
            reason = forced.get(g)
            n_handle = table.cell(n, hidden_because=reason, key=n_key)
            handles = [table.cell(v, hidden_because=reason, key=key)
                       for v, key in zip(row, keys, strict=True)]
            if multi:
                absent = [table.cell(n - v, displayed=False, key=n_key - key)
                          for v, key in zip(row, keys, strict=True)]
                for chosen, not_chosen in zip(handles, absent, strict=True):
                    table.add_sum(n_handle, [chosen, not_chosen])
                missing.append(absent)
            elif kind in (QuestionType.SINGLE, QuestionType.SCALE,
                          QuestionType.NUMBER, QuestionType.TEXT):
                table.add_sum(n_handle, handles)
            row_handles.append(handles)
            row_totals.append(n_handle)
        if groups:
            grand_n = sum(n for n, _ in answered)
            grand = table.cell(grand_n, key=sum(key for _, key in answered))
            table.add_sum(grand, row_totals)
            margins = []
            for j in range(len(columns)):
                margin_n = sum(row[j] for row, _ in rows)
                margin_key = sum(keys[j] for _, keys in rows)
                margin = table.cell(margin_n, key=margin_key)
                table.add_sum(margin, [handles[j] for handles in row_handles])
                margins.append(margin)
                if multi:
                    absent_margin = table.cell(
                        grand_n - margin_n, displayed=False,
                        key=table.key(grand) - margin_key)
                    table.add_sum(absent_margin, [absent[j] for absent in missing])
                    table.add_sum(grand, [margin, absent_margin])
            if not multi and columns and kind is not QuestionType.DATE:
                table.add_sum(grand, margins)
        else:
            grand, margins = row_totals[0], row_handles[0]
        hidden = self.suppress(table)

        def result(n_handle: int, handles: list[int], values: Counter[object]) -> Result:
            categories = tuple(
                Category(template.key, self.cell(table, h, hidden, n_handle), template.label,
                         template.low, template.high)
                for template, h in zip(columns, handles, strict=True)
            )
            stats = None
            if kind is QuestionType.SCALE or (kind is QuestionType.NUMBER
                                              and not self.protection.noise):
                stats = self.stats(values, table.value(n_handle), hidden.get(n_handle),
                                   categories)
            return Result(self.cell(table, n_handle, hidden), categories, stats)

        overall_values: Counter[object] = Counter()
        for counter in tally.values.values():
            overall_values.update(counter)
        overall = result(grand, margins, overall_values)
        by_group: tuple[Result, ...] = ()
        if groups:
            by_group = tuple(
                result(n_handle, handles, tally.values.get(g, Counter()))
                for g, n_handle, handles in zip(group_keys, row_totals, row_handles,
                                                strict=True)
            )
        return QuestionSummary(question, overall, by_group)

    def stats(self, values: Counter[object], n: int, hidden: SuppressionReason | None,
              categories: tuple[Category, ...]) -> Stats:
        if hidden is not None:
            return Stats(None, None, hidden)
        if n < self.k:
            return Stats(None, None, SuppressionReason.SMALL_GROUP if n else None)
        if not self.protection.noise:
            # Exact statistics beside hidden cells: the broken behaviour the attack tests
            # demonstrate; never published.
            numeric = sorted((float(v), c) for v, c in values.items())  # type: ignore[arg-type]  # scale values
            return Stats(sum(v * c for v, c in numeric) / n, _median(numeric, n))
        # From the published counts only, and only when all of them are shown: then the
        # mean and median are a function of what is already public and solve nothing.
        if any(not c.cell.shown for c in categories):
            return Stats(None, None, SuppressionReason.BESIDE_HIDDEN)
        published = [(float(c.low), c.cell.count or 0) for c in categories
                     if c.low is not None and c.cell.count]
        total = sum(count for _, count in published)
        if total == 0:
            return Stats(None, None, None)
        return Stats(sum(v * c for v, c in published) / total, _median(published, total))


def _columns(tally: QuestionTally, k: int
             ) -> tuple[list[Category], Callable[[object], int]]:
    """The answer categories of a question and the function placing a counted value."""
    question = tally.question
    overall: Counter[object] = Counter()
    for counter in tally.values.values():
        overall.update(counter)
    if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        index: dict[object, int] = {c.id: i for i, c in enumerate(question.choices)}
        return [Category(c.id, Cell(0), c.label) for c in question.choices], index.__getitem__
    if question.type is QuestionType.SCALE:
        # Every observed value gets a bar, even one outside the declared bounds.
        observed = [int(v) for v in overall]  # type: ignore[call-overload]  # scale values
        if question.min is not None:
            observed.append(int(question.min))
        if question.max is not None:
            observed.append(int(question.max))
        low, high = min(observed, default=0), max(observed, default=0)
        return ([Category(str(v), Cell(0), None, v, v) for v in range(low, high + 1)],
                lambda value: int(value) - low)
    if question.type is QuestionType.NUMBER:
        bins = safe_bins(overall, question.integer, k)
        categories = [Category(f"{'' if lo is None else f'{lo:g}'}-"
                               f"{'' if hi is None else f'{hi:g}'}", Cell(0), None, lo, hi)
                      for lo, hi in bins]
        return categories, lambda value: bin_index(float(value), bins)
    if question.type is QuestionType.TEXT:
        # Detected languages by size, then "too short to tell", then "not analysed".
        last = {UNDETERMINED: 1, NOT_ANALYSED: 2}
        languages = sorted(overall, key=lambda code: (last.get(str(code), 0), -overall[code],
                                                      str(code)))
        positions: dict[object, int] = {code: i for i, code in enumerate(languages)}
        return [Category(str(code), Cell(0)) for code in languages], positions.__getitem__
    return [], lambda value: 0


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
