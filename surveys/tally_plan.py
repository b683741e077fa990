"""What a submitted response adds to the incremental tallies, and when tallies can be used.

A summary counts, per breakdown group, every answer of every question (ARCHITECTURE.md,
Data flow). Storage keeps those counts up to date in the write that submits or erases a
response (``storage.tallies``), so a summary sums a few thousand counters instead of reading
every response. This module decides, from the survey version a response answered, which
counters it joins; storage only adds and subtracts them:

- one *cell* per answered question: the answer as canonical JSON text (:func:`canonical`),
  except a text answer, whose cell is the language stored with it ('' when there is none:
  texts stored before languages were, which summaries still sample and detect), and a date
  answer, which summaries only count as "answered", so its cell is ``true`` (per-day date
  values would only multiply the counters and keep people's dates in one more place);
- every cell once in the overall table (breakdown ``''``, group ``null``) and once per
  single-choice question of the version as a breakdown (group: the answer to it), plus one
  "respondents" cell (question ``''``) in each.

Because the version decides what a cell means, a summary may use tallies only where every
version with responses agrees with the survey the summary is computed for
(:func:`coverage`); otherwise it counts the answers themselves, as before.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from surveys.model import QuestionType, Survey

__all__ = [
    "ANSWERED",
    "NO_GROUP",
    "OVERALL",
    "RESPONDENTS",
    "CellKind",
    "Coverage",
    "TallyPlan",
    "canonical",
    "coverage",
    "plan_for",
    "response_cells",
    "response_values",
]

#: ``by_question`` of the overall table.
OVERALL = ""
#: ``grp`` of a respondent without a (usable) answer to the breakdown question.
NO_GROUP = "null"
#: ``question_id`` (and value) of the cell that counts a group's respondents.
RESPONDENTS = ""
#: The value of a date answer's cell.
ANSWERED = "true"


class CellKind(StrEnum):
    """How an answer to a question becomes the value of its cell."""

    VALUE = "value"  # canonical JSON of the answer
    TEXT = "text"  # the stored language of a string answer ('' without one)
    DATE = "date"  # ANSWERED


_KINDS = {QuestionType.TEXT: CellKind.TEXT, QuestionType.DATE: CellKind.DATE}


def _kind(question_type: QuestionType) -> CellKind | None:
    if question_type is QuestionType.NOTE:
        return None
    return _KINDS.get(question_type, CellKind.VALUE)


@dataclass(frozen=True, slots=True)
class TallyPlan:
    """The cells a response to one survey version contributes to.

    Attributes:
        kinds: Question id -> how its answers are counted (notes are not counted).
        breakdowns: The single-choice questions every cell is also counted under.
    """

    kinds: Mapping[str, CellKind]
    breakdowns: tuple[str, ...]


def plan_for(survey: Survey) -> TallyPlan:
    """The tally plan of one survey version."""
    kinds = {q.id: kind for q in survey.questions if (kind := _kind(q.type)) is not None}
    return TallyPlan(kinds, tuple(q.id for q in survey.questions
                                  if q.type is QuestionType.SINGLE))


def canonical(value: Any) -> str:
    """One JSON text per value, so equal answers share one counter whoever wrote them."""
    kind = type(value)
    if kind in _SCALARS:
        return _canonical_scalar(kind.__name__, value)
    if kind is list and all(type(item) is str for item in value):
        return _canonical_choices(tuple(value))
    return _dumps(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


_SCALARS = frozenset({str, int, float, bool})


# Answers repeat (choice ids, scale steps): encoding each distinct one once made a recount of
# a million responses several times faster. The type is part of the key: 1, 1.0 and True
# are equal in Python but are three different JSON texts.
@functools.lru_cache(maxsize=65_536)
def _canonical_scalar(kind: str, value: Any) -> str:
    return _dumps(value)


@functools.lru_cache(maxsize=65_536)
def _canonical_choices(choices: tuple[str, ...]) -> str:
    return _dumps(list(choices))


def response_values(plan: TallyPlan, answers: Mapping[str, Any], languages: Mapping[str, Any]
                    ) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """The groups and cell values of one response, in the order of ``plan``.

    Returns:
        ``(groups, values)``: per breakdown of ``plan.breakdowns`` the group (the answer to
        it as canonical JSON, :data:`NO_GROUP` without one); per question of ``plan.kinds``
        the value of its cell, or ``None`` when the answer counts nowhere.

    Answers to questions its version does not ask are not counted (the bot stores none).
    Skipped (``None``) answers and non-string answers to text questions count nowhere, as
    in a pass over the responses (``surveys.tally``).
    """
    values: list[str | None] = []
    for question_id, kind in plan.kinds.items():
        answer = answers.get(question_id)
        if answer is None:
            values.append(None)
        elif kind is CellKind.TEXT:
            language = languages.get(question_id)
            values.append((language if isinstance(language, str) else "")
                          if isinstance(answer, str) else None)
        elif kind is CellKind.DATE:
            values.append(ANSWERED)
        else:
            values.append(canonical(answer))
    groups = tuple(NO_GROUP if (group := answers.get(by)) is None else canonical(group)
                   for by in plan.breakdowns)
    return groups, tuple(values)


def response_cells(plan: TallyPlan, answers: Mapping[str, Any],
                   languages: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """Every ``(breakdown, group, question id, value)`` cell one response counts in.

    Args:
        plan: The plan of the version the response answered.
        answers: Its answers as ``json.loads`` decodes the stored JSON (lists, not tuples).
        languages: Its stored text languages (question id -> language code).
    """
    groups, values = response_values(plan, answers, languages)
    cells = [(question_id, value) for question_id, value in zip(plan.kinds, values, strict=True)
             if value is not None]
    rows = [(OVERALL, NO_GROUP, RESPONDENTS, RESPONDENTS)]
    rows.extend((OVERALL, NO_GROUP, question_id, value) for question_id, value in cells)
    for by, grp in zip(plan.breakdowns, groups, strict=True):
        rows.append((by, grp, RESPONDENTS, RESPONDENTS))
        rows.extend((by, grp, question_id, value) for question_id, value in cells)
    return rows


@dataclass(frozen=True, slots=True)
class Coverage:
    """How a summary reads the tallies.

    Attributes:
        by: The breakdown's tallies (``OVERALL`` without one).
        without_by: Versions that do not ask the breakdown question: their responses are
            read from the overall table, all in the "no answer" group.
    """

    by: str
    without_by: frozenset[int]


def coverage(survey: Survey, versions: Mapping[int, Survey], by: str | None,
             questions: Iterable[str]) -> Coverage | None:
    """Whether the tallies give exactly what counting the responses would, and how.

    Args:
        survey: The survey the summary is computed for (``bot.publication``: the latest
            version plus questions only older versions asked).
        versions: Every version responses may have answered.
        by: The breakdown question, or ``None``.
        questions: The questions the summary counts.

    Returns:
        ``None`` when some version counted a question differently than ``survey`` counts
        it (a question that changed type), or does not tally the breakdown question as a
        breakdown: the summary must then count the answers themselves.
    """
    wanted = {q.id: _kind(q.type) for q in survey.questions}
    without_by: set[int] = set()
    for version, definition in versions.items():
        plan = plan_for(definition)
        asked = {q.id for q in definition.questions}
        for question_id in questions:
            if question_id in asked and plan.kinds.get(question_id) != wanted.get(question_id):
                return None
        if by is not None and by not in plan.breakdowns:
            if by in asked:
                return None
            without_by.add(version)
    return Coverage(OVERALL if by is None else by, frozenset(without_by))
