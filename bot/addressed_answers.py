"""Was a recommendation addressed? The answers of those who followed it, and their figures.

Split from :mod:`bot.recommendations`, which records recommendations and moves them through
their statuses: this module holds what happens once one is implemented. Each follower may
answer once, on the recommendation's scale (:data:`bot.recommendations.SCALES`); the answer
is stored under a random id with its day, and only a keyed pseudonym in a separate table
remembers who answered. The figures are published only through the disclosure layer
(:func:`addressed_summary`: small groups hidden, cell-key noise, whole-day snapshots), as
a survey's results are.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
from dataclasses import replace
from typing import Any

from bot.publication import publication_key
from bot.recommendations import (
    SCALES,
    AddressedScale,
    RecommendationError,
    Status,
    get_recommendation,
)
from storage.recommendations import Recommendation
from surveys import model
from surveys.aggregation import Cell, SurveySummary, summarize
from surveys.disclosure import SuppressionReason, effective_min_cell
from surveys.messages import N_, Message
from surveys.model import Choice, Question, QuestionType, Survey, Text
from surveys.perturbation import PROTECTED, record_key
from surveys.snapshot import snapshot_cutoff

__all__ = [
    "ADDRESSED_QUESTION",
    "addressed_summary",
    "has_answered_addressed",
    "record_addressed_answer",
]

#: The id of the one question of an :func:`addressed_summary`.
ADDRESSED_QUESTION = "addressed"


def _today(today: _dt.date | None) -> _dt.date:
    return today or model.today()


def _answerer_key(storage: Any, recommendation_id: str, user_id: int) -> str:
    # A namespace no survey id can take (survey ids have no ':'), so the pseudonym matches
    # no respondent key of the same person.
    return str(storage.secret.respondent_key(f"recommendation:{recommendation_id}", user_id))


async def has_answered_addressed(storage: Any, recommendation_id: str, user_id: int) -> bool:
    """Whether this user already said whether the recommendation was addressed."""
    answered: bool = await storage.recommendations.has_answered(
        recommendation_id, _answerer_key(storage, recommendation_id, user_id))
    return answered


async def record_addressed_answer(storage: Any, recommendation_id: str, user_id: int,
                                  answer: str, *, today: _dt.date | None = None) -> bool:
    """Store one follower's "was this addressed?" answer, without identity.

    The answer goes under a random id with its day; only a keyed pseudonym (in a separate
    table, without date) remembers that this user answered, so each answers once.

    Args:
        answer: One of the recommendation's scale (``yes``/``partly``/``no`` or ``1``-``5``).

    Returns:
        ``False`` if this user had already answered (the first answer stands).

    Raises:
        RecommendationError: Unknown recommendation, not implemented yet, or an answer
            outside its scale.
    """
    current = await get_recommendation(storage, recommendation_id)
    if current.status != Status.IMPLEMENTED:
        raise RecommendationError(Message(
            N_("Recommendation '{id}' is not implemented yet."), {"id": recommendation_id}))
    allowed = {key for key, _ in SCALES[AddressedScale(current.addressed_scale)]}
    if answer not in allowed:
        raise RecommendationError(Message(N_("Answer one of: {answers}."),
                                          {"answers": ", ".join(sorted(allowed))}))
    recorded: bool = await storage.recommendations.record_addressed(
        recommendation_id, _answerer_key(storage, recommendation_id, user_id), answer,
        today=_today(today))
    return recorded


def _addressed_survey(recommendation: Recommendation) -> Survey:
    """The one-question survey whose answers are "was this addressed?"."""
    scale = AddressedScale(recommendation.addressed_scale)
    languages = tuple(sorted(recommendation.title.languages)) or ("en",)
    if scale is AddressedScale.ONE_TO_FIVE:
        question = Question(ADDRESSED_QUESTION, QuestionType.SCALE, recommendation.title,
                            min=1, max=5)
    else:
        question = Question(ADDRESSED_QUESTION, QuestionType.SINGLE, recommendation.title,
                            choices=tuple(Choice(key, Text({"en": label}))
                                          for key, label in SCALES[scale]))
    return Survey(f"recommendation-{recommendation.recommendation_id}", recommendation.title,
                  languages, (question,))


async def addressed_summary(storage: Any, recommendation_id: str, *, min_cell: int = 5,
                            today: _dt.date | None = None) -> SurveySummary:
    """The published "was this addressed?" figures of a recommendation.

    Exactly the protection of a survey's results: answers of whole days before today,
    moving forward in steps of at least ``min_cell`` (``surveys.snapshot``), counts with
    cell-key noise and every group under ``min_cell`` hidden (``surveys.aggregation``).
    Labels of yes/partly/no are English message ids: render them with the reader's gettext
    (:data:`SCALES`).

    Raises:
        RecommendationError: No such recommendation.
    """
    current = await get_recommendation(storage, recommendation_id)
    survey = _addressed_survey(current)
    per_day = await storage.recommendations.addressed_per_day(recommendation_id)
    before = snapshot_cutoff(per_day, step=effective_min_cell(min_cell), today=_today(today))
    if before is None:
        empty = summarize(survey, (), min_cell=min_cell, protection=PROTECTED)
        reason = SuppressionReason.NOT_PUBLISHED_YET
        return replace(empty, respondents=Cell(None, None, reason), suppressed=reason,
                       completion_rate=None, per_day=(), questions=())
    answers = await storage.recommendations.addressed_answers(recommendation_id, before)
    secret = publication_key(storage)
    scale = AddressedScale(current.addressed_scale)

    def value(answer: str) -> str | int:
        return int(answer) if scale is AddressedScale.ONE_TO_FIVE else answer

    responses = [({ADDRESSED_QUESTION: value(a.answer)}, a.answered_on, None,
                  record_key(secret, f"addressed:{a.answer_id}")) for a in answers]
    summary = await asyncio.to_thread(summarize, survey, responses, min_cell=min_cell,
                                      protection=PROTECTED)
    return replace(summary, snapshot_before=before)
