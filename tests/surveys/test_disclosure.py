"""Disclosure control: no small group can be recovered from what a summary shows.

The adversarial tests play the attacker: they take only the *shown* numbers and the
relations any reader knows (rows add up to their totals, columns to theirs), enumerate
every table of non-negative whole numbers consistent with them, and check that each
hidden small cell could still have at least two different values.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Sequence

import numpy as np
import pytest

from surveys import aggregation
from surveys.disclosure import LinkedTable, SuppressionReason, effective_min_cell
from surveys.model import Choice, Question, QuestionType, Survey, Text
from surveys.perturbation import EXACT

#: A fact the attacker reads: sum of the unknown cells with these (0/1) coefficients == value.
Fact = tuple[tuple[int, ...], int]

#: Every 3x3 perturbation with entries -1, 0, +1.
_STEPS = np.array(list(itertools.product((-1, 0, 1), repeat=9)), dtype=np.int64)

#: These tests check the arithmetic of suppression, so they read exact counts; the noise
#: every publication adds is attacked in tests/privacy.
summarize = functools.partial(aggregation.summarize, protection=EXACT)


def ambiguous(truth: Sequence[int], facts: Sequence[Fact], functional: Sequence[int]) -> bool:
    """Whether another non-negative table agrees with every fact but not on ``functional``.

    The unknown is the 3x3 table ``truth`` (row-major). A second table exists exactly when a
    perturbation ``d`` keeps every shown sum (``A d = 0``) and every cell non-negative. The
    relations are row/column sums (a totally unimodular system), so the circuits of its null
    space have entries -1, 0, +1 and searching those is enough to find a witness.
    """
    matrix = np.array([[1 if i in cells else 0 for i in range(9)] for cells, _ in facts])
    assert (matrix @ np.array(truth) == np.array([v for _, v in facts])).all(), "facts are wrong"
    steps = _STEPS[(matrix @ _STEPS.T == 0).all(axis=0)]
    steps = steps[(np.array(truth) + steps >= 0).all(axis=1)]
    return bool((steps @ np.array(functional) != 0).any())


def unit(cell: int) -> list[int]:
    return [1 if i == cell else 0 for i in range(9)]


def row_of(g: int) -> list[int]:
    return [1 if i // 3 == g else 0 for i in range(9)]


# -- the engine on its own ----------------------------------------------------------------


def build_table(matrix: list[list[int]]) -> tuple[LinkedTable, list[list[int]], list[int], list[int], int]:
    table = LinkedTable()
    cells = [[table.cell(v) for v in row] for row in matrix]
    rows = [table.cell(sum(row)) for row in matrix]
    cols = [table.cell(sum(row[j] for row in matrix)) for j in range(len(matrix[0]))]
    total = table.cell(sum(map(sum, matrix)))
    for handles, row_total in zip(cells, rows, strict=True):
        table.add_sum(row_total, handles)
    for j, col_total in enumerate(cols):
        table.add_sum(col_total, [handles[j] for handles in cells])
    table.add_sum(total, rows)
    table.add_sum(total, cols)
    return table, cells, rows, cols, total


def facts_of(table: LinkedTable, hidden: dict[int, SuppressionReason],
             cells: list[list[int]], rows: list[int], cols: list[int], total: int) -> list[Fact]:
    """The shown numbers of a 3x3 table with margins, as sums over its inner cells."""
    facts: list[Fact] = [(tuple(range(9)), table.value(total))] if total not in hidden else []
    for g, row_total in enumerate(rows):
        if row_total not in hidden:
            facts.append((tuple(g * 3 + a for a in range(3)), table.value(row_total)))
    for a, col_total in enumerate(cols):
        if col_total not in hidden:
            facts.append((tuple(g * 3 + a for g in range(3)), table.value(col_total)))
    for g, row in enumerate(cells):
        for a, handle in enumerate(row):
            if handle not in hidden:
                facts.append(((g * 3 + a,), table.value(handle)))
    return facts


@pytest.mark.parametrize("seed", range(40))
def test_no_small_cell_of_a_random_table_is_recoverable(seed: int) -> None:
    rng = random.Random(seed)
    matrix = [[rng.choice([0, 1, 2, 3, 4, 5, 6, 8]) for _ in range(3)] for _ in range(3)]
    table, cells, rows, cols, total = build_table(matrix)
    hidden = table.suppress(5)
    truth = [v for row in matrix for v in row]
    facts = facts_of(table, hidden, cells, rows, cols, total)
    for index, value in enumerate(truth):
        if 0 < value < 5:
            assert hidden.get(cells[index // 3][index % 3]) is SuppressionReason.SMALL_GROUP
            assert ambiguous(truth, facts, unit(index)), f"cell {index} recovered in {matrix}"
    for g in range(3):
        if 0 < sum(matrix[g]) < 5:
            assert ambiguous(truth, facts, row_of(g)), f"row {g} recovered in {matrix}"


def test_a_single_hidden_cell_in_a_row_gets_a_complement() -> None:
    table, cells, _rows, _cols, _total = build_table([[2, 10, 9], [7, 8, 12]])
    hidden = table.suppress(5)
    assert hidden[cells[0][0]] is SuppressionReason.SMALL_GROUP
    # Row 0 and column 0 each need a second hidden cell, so the 2 is not total minus the rest.
    assert sum(1 for h in cells[0] if h in hidden) >= 2
    assert sum(1 for row in cells if row[0] in hidden) >= 2
    assert all(reason is SuppressionReason.COMPLEMENTARY
               for handle, reason in hidden.items() if handle != cells[0][0])


def test_hidden_parts_of_a_shown_total_add_up_to_at_least_min_cell() -> None:
    table = LinkedTable()
    parts = [table.cell(v) for v in (1, 2, 9, 10)]
    total = table.cell(22, pinned=True)
    table.add_sum(total, parts)
    hidden = table.suppress(5)
    # 1 + 2 = 3 would tell "three people are not in the big groups": the 9 goes too.
    assert set(hidden) == set(parts[:3])


def test_zero_is_not_a_small_group_and_min_cell_never_drops_below_three() -> None:
    table = LinkedTable()
    parts = [table.cell(v) for v in (0, 7, 8)]
    table.add_sum(table.cell(15), parts)
    assert table.suppress(5) == {}
    assert effective_min_cell(1) == 3
    small = LinkedTable()
    handle = small.cell(2)
    assert small.suppress(1) == {handle: SuppressionReason.SMALL_GROUP}


def test_never_displayed_cells_are_protected_too() -> None:
    # "6 of 7 chose X" tells that exactly one person did not: the 6 must go.
    table = LinkedTable()
    answered = table.cell(7)
    chose = table.cell(6)
    did_not = table.cell(1, displayed=False)
    table.add_sum(answered, [chose, did_not])
    hidden = table.suppress(5)
    assert chose in hidden and did_not not in hidden


# -- the same attack on whole summaries ------------------------------------------------------


def text(value: str) -> Text:
    return Text({"en": value})


def breakdown_survey(groups: int, answers: int) -> Survey:
    return Survey("s", text("S"), ("en",), (
        Question("group", QuestionType.SINGLE, text("Group"),
                 choices=tuple(Choice(f"g{i}", text(f"G{i}")) for i in range(groups))),
        Question("answer", QuestionType.SINGLE, text("Answer"),
                 choices=tuple(Choice(f"a{j}", text(f"A{j}")) for j in range(answers))),
    ))


@pytest.mark.parametrize("seed", range(30))
def test_a_summary_broken_down_cannot_be_undone_by_subtraction(seed: int) -> None:
    rng = random.Random(1000 + seed)
    matrix = [[rng.choice([0, 0, 1, 2, 3, 4, 6]) for _ in range(3)] for _ in range(3)]
    survey = breakdown_survey(3, 3)
    responses = [({"group": f"g{i}", "answer": f"a{j}"}, None, "en")
                 for i, row in enumerate(matrix) for j, count in enumerate(row)
                 for _ in range(count)]
    total = len(responses)
    summary = summarize(survey, responses, min_cell=5, by="group")
    if summary.suppressed is not None:
        assert total < 5
        return
    # What the attacker reads, as sums over the unknown x[g][a] (row-major).
    truth = [v for row in matrix for v in row]
    facts: list[Fact] = [(tuple(range(9)), total)]
    for g, group in enumerate(summary.groups):
        if group.size.shown:
            facts.append((tuple(g * 3 + a for a in range(3)), group.size.count))
    answer = next(q for q in summary.questions if q.question.id == "answer")
    for a, category in enumerate(answer.overall.categories):
        if category.cell.shown:
            facts.append((tuple(g * 3 + a for g in range(3)), category.cell.count))
    for g, result in enumerate(answer.by_group):
        if result.answered.shown:
            facts.append((tuple(g * 3 + a for a in range(3)), result.answered.count))
        for a, category in enumerate(result.categories):
            if category.cell.shown:
                facts.append(((g * 3 + a,), category.cell.count))
    for index, value in enumerate(truth):
        if 0 < value < 5:
            g, a = divmod(index, 3)
            assert not answer.by_group[g].categories[a].cell.shown
            assert ambiguous(truth, facts, unit(index)), f"x[{g}][{a}] recovered in {matrix}"
    # Group sizes under 5 are hidden, and cannot be rebuilt from the rows either.
    for g, group in enumerate(summary.groups):
        if 0 < sum(matrix[g]) < 5:
            assert not group.size.shown
            assert not answer.by_group[g].answered.shown
            assert ambiguous(truth, facts, row_of(g)), f"group {g} recovered in {matrix}"


@pytest.mark.parametrize("seed", range(15))
def test_no_shown_number_anywhere_describes_fewer_than_min_cell(seed: int) -> None:
    from tests.moderation_fixtures import SURVEY

    rng = random.Random(seed)
    responses = []
    for _ in range(rng.randint(5, 40)):
        answers: dict[str, object] = {}
        if rng.random() < 0.9:
            answers["region"] = rng.choice(["north", "south", "east"])
        if rng.random() < 0.8:
            answers["issues"] = tuple(c for c in ("wages", "safety") if rng.random() < 0.5)
        if rng.random() < 0.8:
            answers["safe"] = rng.randint(1, 5)
        if rng.random() < 0.5:
            answers["remedy"] = rng.choice(["ok", "We need wages to be paid on time every month.",
                                            "Nous voulons être payés à temps chaque mois."])
        responses.append((answers, None, "en"))
    k = rng.choice([3, 5, 7])
    summary = summarize(SURVEY, responses, min_cell=k, by=rng.choice([None, "region"]))
    cells = [g.size for g in summary.groups] + [d.cell for d in summary.per_day]
    for question in summary.questions:
        for result in (question.overall, *question.by_group):
            cells.append(result.answered)
            cells.extend(c.cell for c in result.categories)
            if result.stats is not None and result.stats.mean is not None:
                assert result.answered.shown and result.answered.count >= k
    for cell in cells:
        assert not (cell.shown and 0 < cell.count < k), cell
