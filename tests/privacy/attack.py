"""The attacker of the privacy tests: an interval (linear-programming) attack on publications.

The attacker knows the survey (questions, choices, skip logic), the method and its
parameters (README), and reads every table published for it: the overall summary and the
summary broken down by every single-choice question, with answered counts, group sizes,
responses per day, percentages and means. Its unknowns are the counts of every *atom*, a
combination of one answer to every question and a submission day; each published number is
a sum of atoms, so the attacker knows, for every published count:

- shown as 0: the true count is 0 (zero is never perturbed);
- shown as ``p > 0``: the true count is between ``max(min_cell, p - MAX_NOISE)`` and
  ``p + MAX_NOISE`` (without noise: exactly ``p``);
- hidden as a small group: between 1 and ``min_cell - 1`` (unless its whole group is hidden);
- a mean published from true values (protection off) ties the counts of its question.

For every hidden count it then minimises and maximises that count over all atom tables that
agree with everything published (scipy's HiGHS). A hidden count is *disclosed* when the
interval holds a single whole number. This is tau-ARGUS's audit, over all tables at once.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from surveys.aggregation import summarize
from surveys.disclosure import SuppressionReason
from surveys.model import Answers, Choice, Question, QuestionType, Survey, Text
from surveys.perturbation import MAX_NOISE, RECORD_KEY_RANGE, Protection
from surveys.summary_model import Cell, Result, SurveySummary

#: One day keeps the attacker's linear programs small; per-day counts are still attacked
#: (their total is the respondent count).
DAYS = (dt.date(2026, 11, 2),)
SCALE = (1, 2, 3, 4, 5)

#: One atom: (day, answers) with every answer a value or None.
Atom = tuple[dt.date, tuple[object, ...]]
Response = tuple[Answers, dt.date, str, int]


def text(value: str) -> Text:
    return Text({"en": value})


def make_survey(rng: random.Random) -> Survey:
    """2-3 single-choice questions, a scale (sometimes asked only to one group), a multi."""
    sizes = rng.choice(((3, 3), (2, 3), (2, 2, 2), (3, 2, 2), (4, 2)))
    singles = [
        Question(f"s{i}", QuestionType.SINGLE, text(f"S{i}"), required=False,
                 choices=tuple(Choice(c, text(c)) for c in "abcd"[:size]))
        for i, size in enumerate(sizes)
    ]
    relevant = "${s0} = 'a'" if rng.random() < 0.5 else None
    scale = Question("scale", QuestionType.SCALE, text("Scale"), min=1, max=5,
                     relevant=relevant)
    multi = Question("multi", QuestionType.MULTI, text("Multi"), required=False,
                     choices=(Choice("x", text("x")), Choice("y", text("y"))))
    return Survey("attack", text("Attack"), ("en",), (*singles, scale, multi))


def make_responses(survey: Survey, rng: random.Random, n: int) -> list[Response]:
    """``n`` responses with skewed answers (small groups are what is attacked)."""
    weights = {q.id: [rng.random() ** 2 + 0.02 for _ in q.choices] for q in survey.questions}
    responses = []
    for _ in range(n):
        answers: dict[str, object] = {}
        for question in survey.questions:
            if question.type is QuestionType.SINGLE:
                if rng.random() < 0.9:
                    answers[question.id] = rng.choices(
                        [c.id for c in question.choices], weights[question.id])[0]
            elif question.type is QuestionType.SCALE:
                if question.relevant is None or answers.get("s0") == "a":
                    answers[question.id] = rng.choices(SCALE, (5, 1, 3, 1, 8))[0]
            elif question.type is QuestionType.MULTI and rng.random() < 0.8:
                answers[question.id] = tuple(c.id for c in question.choices
                                             if rng.random() < 0.3)
        responses.append((answers, rng.choice(DAYS), "en", rng.randrange(RECORD_KEY_RANGE)))
    return responses


def atoms(survey: Survey) -> list[Atom]:
    """Every combination of answers the survey allows (the attacker knows the skip logic)."""
    domains: list[list[object]] = []
    for question in survey.questions:
        if question.type is QuestionType.SINGLE:
            domains.append([None, *(c.id for c in question.choices)])
        elif question.type is QuestionType.SCALE:
            domains.append([None, *SCALE])
        else:
            ids = [c.id for c in question.choices]
            domains.append([None, *(tuple(s) for r in range(len(ids) + 1)
                                    for s in itertools.combinations(ids, r))])
    position = {q.id: i for i, q in enumerate(survey.questions)}
    result = []
    for day in DAYS:
        for values in itertools.product(*domains):
            scale = survey.question("scale")
            assert scale is not None
            if scale.relevant and values[position["s0"]] != "a" and values[position["scale"]]:
                continue
            result.append((day, values))
    return result


Predicate = Callable[[Atom], bool]


@dataclass
class Published:
    """One published count: which atoms it sums, and what was shown."""

    where: Predicate
    cell: Cell
    group_hidden: bool = False
    label: str = ""


@dataclass
class MeanRelation:
    """A published mean: sum of (value - mean) * count over the question's values is ~0."""

    where: Predicate
    mean: float


def _answer_matches(survey: Survey, question_id: str, key: object) -> Predicate:
    i = survey.index_of(question_id)
    question = survey.questions[i]
    if question.type is QuestionType.MULTI:
        return lambda atom: atom[1][i] is not None and key in atom[1][i]
    if question.type is QuestionType.SCALE:
        return lambda atom: atom[1][i] == int(key)
    return lambda atom: atom[1][i] == key


def _answered(survey: Survey, question_id: str) -> Predicate:
    i = survey.index_of(question_id)
    return lambda atom: atom[1][i] is not None


def _and(*predicates: Predicate) -> Predicate:
    return lambda atom: all(p(atom) for p in predicates)


def published_counts(survey: Survey, summary: SurveySummary
                     ) -> tuple[list[Published], list[MeanRelation]]:
    """Every count (and mean) one published summary shows, as sums of atoms."""
    def everyone(atom: Atom) -> bool:
        return True

    cells = [Published(everyone, summary.respondents, label="respondents")]
    cells += [Published(lambda atom, d=day.day: atom[0] == d, day.cell, label=f"day {day.day}")
              for day in summary.per_day]
    means: list[MeanRelation] = []
    group_filters: list[tuple[Predicate, bool]] = [(everyone, False)]
    if summary.by is not None:
        by_index = survey.index_of(summary.by.id)
        group_filters = []
        for group in summary.groups:
            def where(atom: Atom, g: str | None = group.key) -> bool:
                return atom[1][by_index] == g

            cells.append(Published(where, group.size, label=f"group {group.key}"))
            group_filters.append((where, not group.size.shown))

    def add_result(result: Result, question_id: str, where: Predicate, group_hidden: bool,
                   label: str) -> None:
        answered = _and(where, _answered(survey, question_id))
        cells.append(Published(answered, result.answered, group_hidden, f"{label} answered"))
        for category in result.categories:
            cells.append(Published(
                _and(where, _answer_matches(survey, question_id, category.key)),
                category.cell, group_hidden, f"{label}={category.key}"))
        if result.stats is not None and result.stats.mean is not None:
            means.append(MeanRelation(answered, result.stats.mean))

    for question in summary.questions:
        qid = question.question.id
        add_result(question.overall, qid, everyone, False, qid)
        for (where, hidden), result in zip(group_filters, question.by_group, strict=False):
            add_result(result, qid, where, hidden, f"{qid}|group")
    return cells, means


@dataclass
class Disclosure:
    """A hidden count the attack pinned down."""

    label: str
    value: int


def interval_attack(survey: Survey, summaries: Sequence[SurveySummary], protection: Protection,
                    min_cell: int) -> tuple[list[Disclosure], int]:
    """Attack all ``summaries`` of one survey together; (disclosed hidden counts, hidden)."""
    universe = atoms(survey)
    noise = MAX_NOISE if protection.noise else 0
    rows, lower, upper, targets = [], [], [], []
    mean_rows = []
    for summary in summaries:
        cells, means = published_counts(survey, summary)
        for published in cells:
            vector = np.array([1.0 if published.where(a) else 0.0 for a in universe])
            cell = published.cell
            if cell.shown:
                assert cell.count is not None
                if cell.count == 0:
                    low = high = 0.0
                else:
                    low, high = max(min_cell, cell.count - noise), cell.count + noise
            elif cell.suppressed is SuppressionReason.SMALL_GROUP and not published.group_hidden:
                low, high = 1.0, min_cell - 1.0
                targets.append((published.label, vector))
            else:
                low, high = 0.0, math.inf
                targets.append((published.label, vector))
            rows.append(vector)
            lower.append(low)
            upper.append(high)
        if not protection.noise:
            # Exact means (protection off): sum((value - mean) * count) = 0 within rounding.
            for relation in means:
                mean_rows.append(np.array([
                    (float(a[1][survey.index_of("scale")]) - relation.mean)
                    if relation.where(a) else 0.0 for a in universe]))
    # The same count published in several tables is one constraint (the tightest bounds).
    merged: dict[bytes, int] = {}
    for i, vector in enumerate(rows):
        j = merged.setdefault(vector.tobytes(), i)
        if j != i:
            lower[j], upper[j] = max(lower[j], lower[i]), min(upper[j], upper[i])
    keep = sorted(set(merged.values()))
    rows = [rows[i] for i in keep]
    lower = [lower[i] for i in keep]
    upper = [upper[i] for i in keep]
    a_ub = sparse.csr_matrix(np.vstack([*rows, *[-r for r in rows], *mean_rows,
                                        *[-r for r in mean_rows]]))
    finite_upper = [u if math.isfinite(u) else 1e9 for u in upper]
    b_ub = np.array([*finite_upper, *[-v for v in lower],
                     *[1e-6] * len(mean_rows), *[1e-6] * len(mean_rows)])
    # Atoms inside a count published as 0 are empty for everyone to see: a hidden count made
    # only of them ("the east group, of whom nobody chose 3, chose 3: hidden") hides nothing.
    empty = np.zeros(len(universe), dtype=bool)
    for vector, high in zip(rows, upper, strict=True):
        if high == 0:
            empty |= vector > 0
    disclosed = []
    seen: set[bytes] = set()
    for label, vector in targets:
        signature = vector.tobytes()
        if signature in seen or not (vector > 0).any() or empty[vector > 0].all():
            continue  # attacked once per count; a count of nobody that is known is none
        seen.add(signature)
        bounds = []
        for sign in (1.0, -1.0):
            solution = linprog(sign * vector, A_ub=a_ub, b_ub=b_ub, bounds=(0, None),
                               method="highs")
            assert solution.status == 0, (label, solution.message)
            bounds.append(sign * solution.fun)
        low, high = math.ceil(bounds[0] - 1e-6), math.floor(bounds[1] + 1e-6)
        if low == high:
            disclosed.append(Disclosure(label, low))
    return disclosed, len(seen)


def publish_all(survey: Survey, responses: Sequence[Response], protection: Protection,
                min_cell: int) -> list[SurveySummary]:
    """The overall summary and the summary broken down by every single-choice question."""
    singles = [q.id for q in survey.questions if q.type is QuestionType.SINGLE]
    return [summarize(survey, responses, by=by, min_cell=min_cell, protection=protection)
            for by in (None, *singles)]
