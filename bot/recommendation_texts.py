"""A recommendation's words: recording one from the chat, and translating its title and text.

The rules of :mod:`bot.recommendations` still decide what is valid (ids, an empty title,
the audit); this module adds what typing a recommendation in the chat needs: which
surveys it may come from (:func:`recordable_surveys`), an id made from the title
(:func:`new_recommendation_id`), and a translation added later (:func:`translate`), so
followers read the title and the status updates in their language.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from typing import Any

from bot.recommendations import RecommendationError, get_recommendation, list_recommendations
from storage.recommendations import Recommendation
from surveys import model
from surveys.messages import N_, Message
from surveys.model import Text

__all__ = ["new_recommendation_id", "recordable_surveys", "translate"]

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


async def recordable_surveys(storage: Any) -> list[str]:
    """The surveys a moderator may record recommendations for from the chat, by id.

    Every survey that was ever published (a draft has no results a recommendation could
    come from), and any survey that already has recommendations.
    """
    found = {record.survey_id for record in await storage.surveys.list_all()
             if record.status.value != "draft"}
    found |= {rec.survey_id for rec in await list_recommendations(storage)}
    return sorted(found)


async def new_recommendation_id(storage: Any, title: str) -> str:
    """A free id for a recommendation typed in the chat, readable where the title allows.

    Made of the title's Latin letters and digits (``Pay wages on time`` ->
    ``pay-wages-on-time``); a title without any (Arabic, Russian) gives ``rec``. A number
    is added when the id is taken.
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    stem = "-".join(words)[:48].strip("-") or "rec"
    taken = {rec.recommendation_id for rec in await list_recommendations(storage)}
    candidate, number = stem, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}"
    return candidate


async def translate(storage: Any, actor: str, recommendation_id: str, language: str,
                    title: str, body: str | None, *,
                    today: _dt.date | None = None) -> Recommendation:
    """Add (or replace) the title and text of a recommendation in one language, and audit it.

    Args:
        body: The text in ``language``; ``None`` keeps the text it had in that language
            (if any), so readers of it fall back to another language's text.

    Raises:
        RecommendationError: Unknown recommendation, a bad language tag or an empty title.
    """
    if not _LANGUAGE.match(language):
        raise RecommendationError(Message(N_("Unknown language '{language}'."),
                                          {"language": language}))
    if not title.strip():
        raise RecommendationError(Message(N_("A recommendation needs a title.")))
    current = await get_recommendation(storage, recommendation_id)
    titles = {**current.title.to_dict(), language: title.strip()}
    bodies = current.body.to_dict()
    if body is not None and body.strip():
        bodies[language] = body.strip()
    changed: Recommendation = await storage.recommendations.set_texts(
        recommendation_id, title=Text(titles), body=Text(bodies),
        today=today or model.today())
    await storage.audit.append(actor, "recommendation.translation", {
        "recommendation_id": recommendation_id, "language": language})
    return changed
