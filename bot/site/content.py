"""What the results site shows, read once from storage through the publication layer.

Every figure comes from :func:`bot.publication.build_summary` (the protected snapshot that
``consultbot summary --format json`` prints) or :func:`bot.addressed_answers.addressed_summary`
(the same protection for "was this addressed?" answers). Nothing here counts anything.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.addressed_answers import addressed_summary
from bot.publication import build_summary
from bot.recommendations import Status, list_recommendations
from storage.invites import SurveyAccess
from storage.recommendations import Recommendation
from surveys.aggregation import SurveySummary
from surveys.model import QuestionType, Survey

__all__ = ["AuditHead", "AuditLogBroken", "PublishedSurvey", "SiteContent", "TrackedRecommendation",
           "gather"]


@dataclass(frozen=True, slots=True)
class PublishedSurvey:
    """A survey whose results are public: its overall summary and each breakdown."""

    survey: Survey
    status: str
    overall: SurveySummary
    #: Breakdown question id -> the summary broken down by it (single-choice questions).
    breakdowns: dict[str, SurveySummary]


@dataclass(frozen=True, slots=True)
class TrackedRecommendation:
    """A recommendation with its published "was this addressed?" figures (if asked)."""

    recommendation: Recommendation
    addressed: SurveySummary | None


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The audit log's length and last hash, printed so readers can compare copies."""

    entries: int
    last_hash: str


@dataclass(frozen=True, slots=True)
class SiteContent:
    """Everything the site shows, as of one build."""

    surveys: tuple[PublishedSurvey, ...]
    recommendations: tuple[TrackedRecommendation, ...]
    audit: AuditHead
    built_on: _dt.date
    min_cell: int


class AuditLogBroken(RuntimeError):
    """The audit chain does not verify: publishing its head would vouch for a forgery."""


async def _public_surveys(storage: Any, include_invite_only: bool) -> list[tuple[Survey, str]]:
    found = []
    for record in await storage.surveys.list_all():
        if (not include_invite_only
                and await storage.invites.mode(record.survey_id) == SurveyAccess.INVITE):
            # The chat promises that nobody without a code learns an invite-only survey
            # exists (README, "Invite-only surveys"): the public site must not list it.
            continue
        versions = await storage.surveys.versions(record.survey_id)
        public = [v for v in versions if v.status.value != "draft"]
        if public:
            latest = max(public, key=lambda v: v.version)
            found.append((latest.survey, latest.status.value))
    return found


#: Told ``(survey id, its number, how many)`` as each survey's figures are read.
Progress = Callable[[str, int, int], None]


async def gather(storage: Any, *, min_cell: int, today: _dt.date,
                 include_invite_only: bool = False,
                 progress: Progress | None = None) -> SiteContent:
    """Read the published figures of every public survey and its recommendations.

    A survey is public once published (open or closed), unless it is invite-only:
    those, and their recommendations, are left out unless ``include_invite_only``.

    Raises:
        AuditLogBroken: The audit log was tampered with.
    """
    surveys = []
    public = await _public_surveys(storage, include_invite_only)
    for number, (survey, status) in enumerate(public, 1):
        if progress is not None:
            progress(survey.id, number, len(public))
        overall = await build_summary(storage, survey.id, min_cell=min_cell, today=today)
        breakdowns: dict[str, SurveySummary] = {}
        if overall.suppressed is None and overall.respondents.count:
            for question in overall.survey.questions:
                if question.type is QuestionType.SINGLE:
                    breakdowns[question.id] = await build_summary(
                        storage, survey.id, by=question.id, min_cell=min_cell, today=today)
        surveys.append(PublishedSurvey(overall.survey, status, overall, breakdowns))
    public_ids = {s.survey.id for s in surveys}
    tracked = []
    for rec in await list_recommendations(storage):
        if rec.survey_id not in public_ids:
            continue
        addressed = None
        if rec.status == Status.IMPLEMENTED:
            addressed = await addressed_summary(storage, rec.recommendation_id,
                                                min_cell=min_cell, today=today)
        tracked.append(TrackedRecommendation(rec, addressed))
    verification = await storage.audit.verify()
    if not verification.ok:
        raise AuditLogBroken(verification.reason or "the audit log does not verify")
    return SiteContent(tuple(surveys), tuple(tracked),
                       AuditHead(verification.entries, verification.last_hash), today,
                       min_cell)
