"""Where a participant is in a survey: looked up from storage under their pseudonym.

Progress is domain data in storage, keyed by ``respondent_key = HMAC(secret, survey id,
user id)``, not python-telegram-bot conversation state (which would store raw ids). The
only raw-id-to-survey link is the in-memory session (:class:`bot.sessions.Session`, under
the participant pseudonym), and it is rebuilt from storage after a restart
(:func:`in_progress`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.context import Services
from surveys.model import Answer, Survey

if TYPE_CHECKING:
    from storage.responses import ResponseRecord
    from storage.survey_records import SurveyRecord

__all__ = [
    "Progress",
    "find_open",
    "find_open_by_ref",
    "in_progress",
    "load_progress",
    "user_lock",
]


@dataclass(frozen=True, slots=True)
class Progress:
    """A participant's standing in one open survey."""

    record: SurveyRecord
    respondent_key: str
    response: ResponseRecord | None

    @property
    def survey(self) -> Survey:
        """The published definition."""
        return self.record.survey

    @property
    def submitted(self) -> bool:
        """They already submitted; their answers are final."""
        return self.response is not None and self.response.submitted

    @property
    def answers(self) -> dict[str, Answer]:
        """The answers saved so far (empty before the first)."""
        return dict(self.response.answers) if self.response is not None else {}


def survey_ref(survey_id: str) -> str:
    """A short, fixed-length stand-in for a survey id inside callback data.

    Survey ids may be long; eight characters of a hash keep every button within 64 bytes
    and are resolved back by comparing with the open surveys.
    """
    digest = hashlib.sha256(survey_id.encode()).digest()[:6]
    return base64.urlsafe_b64encode(digest).decode("ascii")


async def find_open(services: Services, survey_id: str) -> SurveyRecord | None:
    """The published version of ``survey_id``, or ``None`` when it is not open."""
    return await services.storage.surveys.published(survey_id)


#: Short button references already resolved to survey ids. Refs are a fixed function of
#: the id, so the map never goes stale; it spares decoding every open survey per press.
_ids_by_ref: dict[str, str] = {}


async def find_open_by_ref(services: Services, ref: str) -> SurveyRecord | None:
    """The open survey whose short reference (from button data) is ``ref``."""
    known = _ids_by_ref.get(ref)
    if known is not None:
        return await services.storage.surveys.published(known)
    for record in await services.storage.surveys.list_open():
        _ids_by_ref[survey_ref(record.survey_id)] = record.survey_id
        if survey_ref(record.survey_id) == ref:
            return record
    return None


async def load_progress(services: Services, record: SurveyRecord, user_id: int) -> Progress:
    """The participant's response to an open survey, if they have one."""
    key = services.storage.secret.respondent_key(record.survey_id, user_id)
    response = await services.storage.responses.get(record.survey_id, key)
    return Progress(record, key, response)


async def in_progress(services: Services, user_id: int) -> list[Progress]:
    """Every open survey this participant has started and not submitted.

    There is no reverse lookup from a user to their responses (by design): we compute the
    pseudonym for each open survey and look each one up.
    """
    found = []
    for record in await services.storage.surveys.list_open():
        progress = await load_progress(services, record, user_id)
        if progress.response is not None and not progress.submitted:
            found.append(progress)
    return found


_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


def user_lock(user_id: int) -> asyncio.Lock:
    """One lock per participant, so a double tap is handled one press after the other.

    Updates are processed concurrently; without this, two quick presses could both see
    the same current question and record it twice. Locks live only while in use.
    """
    lock = _locks.get(user_id)
    if lock is None:
        lock = asyncio.Lock()
        _locks[user_id] = lock
    return lock
