"""What participants see of recommendations: which they may read, follow, and be told about.

The moderators' side (statuses, progress, milestones, audit) is :mod:`bot.recommendations`;
this module answers the participants' questions, so the chat handlers stay thin:

* which surveys a person may see results and recommendations of (:func:`visible_surveys`):
  published or closed ones, and an invite-only survey only for someone who took part in it
  (their pseudonym has a draft or a "has responded" marker; a code alone leaves no trace);
* following one recommendation (:func:`follow`, :func:`unfollow`), stored like an update
  subscription (:mod:`storage.follows`);
* the text of an update in its reader's language (:func:`update_text`): a moderator's
  announcement in the translation that best fits the reader (their stored language choice,
  then the language they followed or subscribed in, then the body as written), or a
  recommendation's new status, written from the translated status label;
* whether a delivered status change should carry the "was this addressed?" buttons
  (:func:`asks_addressed`): only to followers, only when implemented, only before they
  answered (``bot.addressed_answers.record_addressed_answer`` keeps the first answer).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from telegram import User

from bot.addressed_answers import has_answered_addressed
from bot.recommendations import STATUS_LABELS, Status, list_recommendations
from storage.invites import SurveyAccess
from storage.recommendations import Recommendation
from storage.survey_records import SurveyRecord, SurveyStatus
from surveys.model import Text

if TYPE_CHECKING:
    from bot.context import Services, Translator
    from storage.outbox import Announcement, OutboxItem

__all__ = [
    "asks_addressed",
    "asks_late_follower",
    "follow",
    "history_text",
    "localized",
    "pick_translation",
    "recipient_wishes",
    "recommendation_by_ref",
    "recommendation_ref",
    "status_label",
    "unfollow",
    "update_text",
    "visible_recommendations",
    "visible_surveys",
]


def recommendation_ref(recommendation_id: str) -> str:
    """A short stand-in for a recommendation id inside button data (ids may be 64 long)."""
    digest = hashlib.sha256(f"rec:{recommendation_id}".encode()).digest()[:6]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def localized(text: Text, language: str) -> str:
    """``text`` in ``language``, else English, else any language it has."""
    return text.get(language, "en")


def status_label(status: str, translator: Translator) -> str:
    """The status as people read it, in the reader's language."""
    return translator.gettext(STATUS_LABELS[Status(status)])


async def visible_surveys(services: Services, user_id: int) -> list[SurveyRecord]:
    """The surveys whose results and recommendations this person may see, newest version each.

    Published or closed, never a draft; an invite-only survey only for someone who took
    part in it.
    """
    storage = services.storage
    latest: dict[str, SurveyRecord] = {}
    for record in await storage.surveys.list_all():
        if record.status is SurveyStatus.DRAFT:
            continue
        known = latest.get(record.survey_id)
        if known is None or record.version > known.version:
            latest[record.survey_id] = record
    visible = []
    for survey_id, record in sorted(latest.items()):
        if await storage.invites.mode(survey_id) == SurveyAccess.INVITE:
            key = storage.secret.respondent_key(survey_id, user_id)
            if await storage.responses.get(survey_id, key) is None:
                continue
        visible.append(record)
    return visible


async def visible_recommendations(services: Services, user_id: int) -> list[Recommendation]:
    """The recommendations of the surveys this person may see, by survey then id."""
    surveys = {record.survey_id for record in await visible_surveys(services, user_id)}
    return [rec for rec in await list_recommendations(services.storage)
            if rec.survey_id in surveys]


def _with_ref(recommendations: Iterable[Recommendation], ref: str) -> Recommendation | None:
    for rec in recommendations:
        if recommendation_ref(rec.recommendation_id) == ref:
            return rec
    return None


async def recommendation_by_ref(services: Services, user_id: int,
                                ref: str) -> Recommendation | None:
    """The visible recommendation a button's ``ref`` stands for, if any."""
    return _with_ref(await visible_recommendations(services, user_id), ref)


async def any_recommendation_by_ref(storage: Any, ref: str) -> Recommendation | None:
    """The recommendation a button's ``ref`` stands for, visible to the presser or not.

    For moderators' buttons (the role is checked by the caller) and for answers to "was
    this addressed?", whose buttons went only to followers, signed for them: the survey
    may have become invisible since, which does not take back the question.
    """
    return _with_ref(await list_recommendations(storage), ref)


async def follow(services: Services, recommendation: Recommendation, user_id: int,
                 language: str) -> bool:
    """Follow a recommendation (in a private chat the chat id is the user id)."""
    return await services.storage.follows.follow(recommendation.recommendation_id, user_id,
                                                 language)


async def unfollow(services: Services, recommendation: Recommendation, user_id: int) -> bool:
    """Stop following, at once (queued updates about it are dropped too)."""
    return await services.storage.follows.unfollow(recommendation.recommendation_id, user_id)


async def recipient_wishes(services: Services, user_id: int) -> tuple[str, ...]:
    """The languages someone we only know by id wants, most wanted first.

    Their /language choice (stored under their pseudonym), then the language they read
    when they subscribed to a survey, then when they followed a recommendation.
    """
    # A bare User carries no Telegram language_code: only the stored choice is found.
    wishes = list(await services.wished_languages(User(id=user_id, first_name="", is_bot=False)))
    for language in (await services.storage.subscriptions.language_of(user_id),
                     await services.storage.follows.language_of(user_id)):
        if language:
            wishes.append(language)
    return tuple(dict.fromkeys(wishes))


def pick_translation(texts: Mapping[str, str], body: str, wishes: Sequence[str]) -> str:
    """The translation of an update for a reader with these wishes, else ``body``.

    Each wish is tried as given, then by its primary language (``pt-br`` -> ``pt``).
    """
    for wish in wishes:
        for candidate in (wish, wish.split("-")[0]):
            if texts.get(candidate):
                return texts[candidate]
    return body


async def update_text(services: Services, item: OutboxItem, translator: Translator,
                      wishes: Sequence[str], survey_title: str) -> str:
    """The whole message an outbox item becomes for its reader (plain text)."""
    _ = translator.gettext
    if item.recommendation_id is None or item.status is None:
        return "\n\n".join((
            _("Update about “{title}”:").format(title=survey_title),
            pick_translation(item.texts, item.body, (translator.language, *wishes)),
            _("You get this because you asked for updates. /updates lets you stop."),
        ))
    found = await services.storage.recommendations.get(item.recommendation_id)
    title = localized(found.title, translator.language) if found else item.recommendation_id
    progress = found.progress if found else 0
    lines = [
        _("What became of a recommendation from “{survey}”:").format(survey=survey_title),
        _("“{title}” is now: {status} ({progress}% done).").format(
            title=title, status=status_label(item.status, translator), progress=progress),
    ]
    if item.status == Status.IMPLEMENTED and await asks_addressed(services, item):
        lines.append(_("Was it actually addressed? Tap one answer below; you can answer once, "
                       "and your answer is stored without your name or chat."))
    lines.append(_("You get this because you follow this recommendation or asked for updates "
                   "about the survey. /recs and /updates let you stop."))
    return "\n\n".join(lines)


async def asks_addressed(services: Services, item: OutboxItem) -> bool:
    """Whether this delivery asks "was this addressed?" (see module doc)."""
    if item.recommendation_id is None or item.status != Status.IMPLEMENTED:
        return False
    storage = services.storage
    if not await storage.follows.is_following(item.recommendation_id, item.chat_id):
        return False
    # Private chats only: the chat id is the user id.
    return not await has_answered_addressed(storage, item.recommendation_id, item.chat_id)


async def asks_late_follower(services: Services, recommendation: Recommendation,
                             user_id: int) -> bool:
    """Whether someone who just followed an already implemented recommendation is asked
    "was this addressed?" now: no status change is coming that would ask them."""
    if recommendation.status != Status.IMPLEMENTED:
        return False
    return not await has_answered_addressed(services.storage, recommendation.recommendation_id,
                                            user_id)


async def history_text(services: Services, announcement: Announcement, translator: Translator,
                       wishes: Sequence[str]) -> str:
    """One past update as /updates lists it, in the reader's language."""
    if announcement.recommendation_id is None or announcement.status is None:
        return pick_translation(announcement.texts, announcement.body,
                                (translator.language, *wishes))
    found = await services.storage.recommendations.get(announcement.recommendation_id)
    title = (localized(found.title, translator.language) if found
             else announcement.recommendation_id)
    return translator.gettext("“{title}” is now: {status}.").format(
        title=title, status=status_label(announcement.status, translator))
