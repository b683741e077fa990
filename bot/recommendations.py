"""Recommendations and what became of them: the accountability service.

Moderators record what a consultation recommended, linked to the survey questions it came
from, and move it through its statuses (:data:`TRANSITIONS`) with a progress percentage and
dated milestones. Every change is appended to the audit log. When a recommendation is
implemented, the people who followed it may say whether it was actually addressed, on one
of the :data:`SCALES`; :mod:`bot.addressed_answers` stores and publishes those answers.

The CLI (``consultbot recs``), the results site and the chat handlers all call these
functions, so a rule (which status may follow which, who is asked once) lives here only.
No Telegram here: chat handlers pass a user id where one is needed and render the
:class:`RecommendationError` message in the reader's language.
"""

from __future__ import annotations

import datetime as _dt
import re
from enum import StrEnum
from typing import Any

from bot.publication import SurveyNotFound, survey_for_results
from storage.errors import InvalidTransition, NotFound
from storage.recommendations import (
    DuplicateRecommendation,
    Milestone,
    NewRecommendation,
    Recommendation,
)
from surveys import model
from surveys.messages import N_, Message
from surveys.model import Text

__all__ = [
    "SCALES",
    "STATUS_LABELS",
    "TRANSITIONS",
    "AddressedScale",
    "RecommendationError",
    "Status",
    "add_milestone",
    "add_recommendation",
    "allowed_next",
    "change_status",
    "get_recommendation",
    "list_recommendations",
    "mark_milestone",
    "set_progress",
]


class Status(StrEnum):
    """Where a recommendation stands, in the order it usually moves."""

    RECEIVED = "received"
    UNDER_CONSIDERATION = "under_consideration"
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"


#: Which statuses may follow each status. A rejected recommendation may be reconsidered;
#: an accepted one may be implemented at once when there is nothing to track in between.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.RECEIVED: (Status.UNDER_CONSIDERATION,),
    Status.UNDER_CONSIDERATION: (Status.ACCEPTED, Status.PARTLY_ACCEPTED, Status.REJECTED),
    Status.ACCEPTED: (Status.IN_PROGRESS, Status.IMPLEMENTED),
    Status.PARTLY_ACCEPTED: (Status.IN_PROGRESS, Status.IMPLEMENTED),
    Status.REJECTED: (Status.UNDER_CONSIDERATION,),
    Status.IN_PROGRESS: (Status.IMPLEMENTED,),
    Status.IMPLEMENTED: (),
}

#: The status names people read (translated by the reader's gettext).
STATUS_LABELS: dict[Status, str] = {
    Status.RECEIVED: N_("Received"),
    Status.UNDER_CONSIDERATION: N_("Under consideration"),
    Status.ACCEPTED: N_("Accepted"),
    Status.PARTLY_ACCEPTED: N_("Partly accepted"),
    Status.REJECTED: N_("Rejected"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.IMPLEMENTED: N_("Implemented"),
}


class AddressedScale(StrEnum):
    """How "was this addressed?" is asked."""

    YES_PARTLY_NO = "yes_partly_no"
    ONE_TO_FIVE = "one_to_five"


#: The answers of each scale, with the labels people read (translated by gettext).
SCALES: dict[AddressedScale, tuple[tuple[str, str], ...]] = {
    AddressedScale.YES_PARTLY_NO: (("yes", N_("Yes")), ("partly", N_("Partly")),
                                   ("no", N_("No"))),
    AddressedScale.ONE_TO_FIVE: tuple((str(n), str(n)) for n in range(1, 6)),
}

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class RecommendationError(ValueError):
    """A request the rules refuse; ``message`` is rendered in the reader's language."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.render())
        self.message = message


def allowed_next(status: str) -> tuple[Status, ...]:
    """The statuses a recommendation in ``status`` may move to (for buttons and help)."""
    return TRANSITIONS.get(Status(status), ())


def _today(today: _dt.date | None) -> _dt.date:
    return today or model.today()


def _check_progress(progress: int) -> int:
    if not 0 <= int(progress) <= 100:
        raise RecommendationError(Message(N_("Progress is a percentage from 0 to 100.")))
    return int(progress)


async def _require(storage: Any, recommendation_id: str) -> Recommendation:
    found: Recommendation | None = await storage.recommendations.get(recommendation_id)
    if found is None:
        raise RecommendationError(Message(N_("There is no recommendation '{id}'."),
                                          {"id": recommendation_id}))
    return found


async def get_recommendation(storage: Any, recommendation_id: str) -> Recommendation:
    """One recommendation.

    Raises:
        RecommendationError: No such recommendation.
    """
    return await _require(storage, recommendation_id)


async def list_recommendations(storage: Any, survey_id: str | None = None
                               ) -> list[Recommendation]:
    """Every recommendation, or those of one survey."""
    found: list[Recommendation] = await storage.recommendations.list_all(survey_id)
    return found


async def add_recommendation(
    storage: Any, actor: str, *, recommendation_id: str, survey_id: str, title: Text,
    body: Text, question_ids: tuple[str, ...] = (),
    addressed_scale: str = AddressedScale.YES_PARTLY_NO, today: _dt.date | None = None,
) -> Recommendation:
    """Record a recommendation (status ``received``) and audit it.

    Args:
        actor: The audit actor (``storage.audit.CLI_ACTOR`` or ``moderator_actor(...)``).
        question_ids: The survey questions whose results it came from; each must exist.

    Raises:
        RecommendationError: A bad id, an unknown survey or question, an empty title, a
            taken id or an unknown scale.
    """
    if not _ID.match(recommendation_id):
        raise RecommendationError(Message(
            N_("A recommendation id is 1 to 64 lowercase letters, digits, '-' or '_', "
               "starting with a letter or digit.")))
    if not title:
        raise RecommendationError(Message(N_("A recommendation needs a title.")))
    if addressed_scale not in set(AddressedScale):
        raise RecommendationError(Message(N_("Unknown answer scale '{scale}'."),
                                          {"scale": addressed_scale}))
    try:
        survey = await survey_for_results(storage, survey_id)
    except SurveyNotFound:
        raise RecommendationError(Message(N_("No survey with the id '{id}'."),
                                          {"id": survey_id})) from None
    for question_id in question_ids:
        if survey.question(question_id) is None:
            raise RecommendationError(Message(N_("The survey has no question '{question}'."),
                                              {"question": question_id}))
    new = NewRecommendation(recommendation_id, survey_id, title, body,
                            tuple(dict.fromkeys(question_ids)), str(addressed_scale))
    try:
        added: Recommendation = await storage.recommendations.add(new, today=_today(today))
    except DuplicateRecommendation:
        raise RecommendationError(Message(N_("There is already a recommendation '{id}'."),
                                          {"id": recommendation_id})) from None
    await storage.audit.append(actor, "recommendation.add", {
        "recommendation_id": recommendation_id, "survey_id": survey_id,
        "question_ids": list(new.question_ids), "languages": sorted(title.languages),
    })
    return added


async def change_status(storage: Any, actor: str, recommendation_id: str, status: str,
                        *, progress: int | None = None,
                        today: _dt.date | None = None) -> Recommendation:
    """Move a recommendation to ``status`` (one of :func:`allowed_next`) and audit it.

    Progress becomes 100 when implemented, and stays as it was otherwise unless given.
    The new status is queued in the outbox for the recommendation's followers and its
    survey's subscribers (each reads it in their language; followers of an implemented one
    are asked whether it was addressed), whether the change came from the bot or the CLI,
    in the same transaction as the change itself.

    Raises:
        RecommendationError: Unknown recommendation or status, a move the rules do not
            allow, a progress outside 0-100, or someone else changed it meanwhile.
    """
    try:
        wanted = Status(status)
    except ValueError:
        raise RecommendationError(Message(N_("Unknown status '{status}'."),
                                          {"status": status})) from None
    current = await _require(storage, recommendation_id)
    if wanted not in allowed_next(current.status):
        raise RecommendationError(Message(
            N_("A recommendation cannot go from '{current}' to '{wanted}'."),
            {"current": current.status, "wanted": wanted.value}))
    new_progress = current.progress if progress is None else _check_progress(progress)
    if wanted is Status.IMPLEMENTED:
        new_progress = 100
    audit = storage.audit.entry(actor, "recommendation.status", {
        "recommendation_id": recommendation_id, "from": current.status,
        "to": wanted.value, "progress": new_progress,
    })
    try:
        # The change, its announcement and its audit entry are one write: followers are
        # told and the change is audited, or nothing changed.
        changed: Recommendation
        changed, _announced = await storage.recommendations.change_status(
            recommendation_id, expected_status=current.status, status=wanted.value,
            progress=new_progress, today=_today(today), audit=audit)
    except InvalidTransition:
        raise _changed_meanwhile(recommendation_id) from None
    return changed


async def set_progress(storage: Any, actor: str, recommendation_id: str, progress: int,
                       *, today: _dt.date | None = None) -> Recommendation:
    """Change only the progress percentage, and audit it.

    Raises:
        RecommendationError: Unknown recommendation, progress outside 0-100, or it was
            changed meanwhile.
    """
    value = _check_progress(progress)
    current = await _require(storage, recommendation_id)
    changed = await _store_change(storage, current, Status(current.status), value, today)
    await storage.audit.append(actor, "recommendation.progress", {
        "recommendation_id": recommendation_id, "progress": value})
    return changed


async def _store_change(storage: Any, current: Recommendation, status: Status, progress: int,
                        today: _dt.date | None) -> Recommendation:
    try:
        changed: Recommendation = await storage.recommendations.change(
            current.recommendation_id, expected_status=current.status, status=status.value,
            progress=progress, today=_today(today))
    except InvalidTransition:
        raise _changed_meanwhile(current.recommendation_id) from None
    return changed


def _changed_meanwhile(recommendation_id: str) -> RecommendationError:
    return RecommendationError(Message(
        N_("Someone else changed recommendation '{id}' just now; look at it again."),
        {"id": recommendation_id}))


async def add_milestone(storage: Any, actor: str, recommendation_id: str, label: Text,
                        due_on: _dt.date, *, reached: bool = False,
                        today: _dt.date | None = None) -> Milestone:
    """Add a dated milestone (planned, or already reached) and audit it.

    Raises:
        RecommendationError: Unknown recommendation or an empty label.
    """
    if not label:
        raise RecommendationError(Message(N_("A milestone needs a label.")))
    await _require(storage, recommendation_id)
    milestone: Milestone = await storage.recommendations.add_milestone(
        recommendation_id, label, due_on, reached=reached, today=_today(today))
    await storage.audit.append(actor, "recommendation.milestone", {
        "recommendation_id": recommendation_id, "milestone": milestone.number,
        "due_on": due_on.isoformat(), "reached": reached})
    return milestone


async def mark_milestone(storage: Any, actor: str, recommendation_id: str, number: int,
                         *, reached: bool = True, today: _dt.date | None = None) -> Milestone:
    """Mark a milestone reached (or not) and audit it.

    Raises:
        RecommendationError: Unknown recommendation or milestone.
    """
    await _require(storage, recommendation_id)
    try:
        milestone: Milestone = await storage.recommendations.mark_milestone(
            recommendation_id, number, reached=reached, today=_today(today))
    except NotFound:
        raise RecommendationError(Message(
            N_("Recommendation '{id}' has no milestone {number}."),
            {"id": recommendation_id, "number": number})) from None
    await storage.audit.append(actor, "recommendation.milestone_reached", {
        "recommendation_id": recommendation_id, "milestone": number, "reached": reached})
    return milestone
