"""A genuine survey button pressed when it no longer fits: why, and what is shown then.

Shared by the answer buttons (``handlers.survey.answers``) and the review's buttons
(``handlers.survey.review``): a button names its question and survey version, so a press
on an older message is told apart from a current one and never stored (ARCHITECTURE.md,
"Input routing").
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from telegram import CallbackQuery

from bot.context import Translator
from bot.survey_progress import Progress, find_open_by_ref, load_progress, user_lock
from handlers.survey.flow import Participant, resync

__all__ = ["message_of", "not_current", "pressed_progress", "stale_reason"]


@contextlib.asynccontextmanager
async def pressed_progress(who: Participant, query: CallbackQuery, ref: str,
                           version: int) -> AsyncIterator[Progress | None]:
    """Hold the participant's lock with their progress in the survey a button names.

    Yields ``None`` when the button cannot be used (its survey is closed, the response is
    gone or submitted, the survey was updated), after saying why in the toast; otherwise
    the progress read under the lock, which stays held until the block ends, so a second
    tap waits and then sees the first one's result.
    """
    tr = who.tr
    record = await find_open_by_ref(who.context.services, ref)
    if record is None:
        await query.answer(tr.gettext("This survey is closed."))
        yield None
        return
    async with user_lock(who.user_id):
        progress = await load_progress(who.context.services, record, who.user_id)
        problem = stale_reason(progress, version, tr)
        if problem is not None:
            await query.answer(problem)
            yield None
            return
        yield progress


def stale_reason(progress: Progress, version: int, tr: Translator) -> str | None:
    """Why a genuine button cannot be used any more, or None when it still can."""
    _ = tr.gettext
    response = progress.response
    if response is None:
        return _("Please open the survey again with /surveys.")
    if response.submitted:
        return _("You have already submitted this survey.")
    if version != progress.record.version or response.version != progress.record.version:
        return _("This survey was updated. Please open it again with /surveys.")
    return None


def message_of(query: CallbackQuery) -> tuple[int, int] | None:
    """The (chat id, message id) of the pressed message, to edit or tidy it."""
    message = query.message
    return (message.chat.id, message.message_id) if message is not None else None


async def not_current(who: Participant, progress: Progress, query: CallbackQuery,
                      notice: str) -> None:
    """A genuine button of a question (or review) that is not current any more.

    Said in the toast; the current question is shown again unless the pressed message
    already shows it (the second tap of a double tap, whose first tap turned this very
    message into the next question).
    """
    await query.answer(notice)
    response = progress.response
    active = who.context.services.session(who.user_id).survey
    pressed = message_of(query)
    if (active is not None and pressed is not None and active.prompt == pressed
            and response is not None and active.asked == response.current_question):
        return
    await resync(who, progress, notice, stale=pressed)
