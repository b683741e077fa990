"""The review's buttons: Submit (exactly once), Back, and "Change" for one listed answer.

Split from ``handlers.survey.answers``; the review is shown by
:func:`handlers.survey.flow.send_review` once the last question is answered. Submitting
commits the unlinkable response (``storage.submission``) before anything is said, then
thanks the participant under the review with their deletion code.
"""

from __future__ import annotations

from telegram import CallbackQuery, Update

from bot.context import BotContext
from bot.events import SurveySubmitted
from handlers.participant.consent import participant_button
from handlers.participant.data_rights import submitted_text
from handlers.shared.button_data import Review
from handlers.shared.buttons import refuse_button
from handlers.shared.render import MESSAGE_LIMIT, edit_text_quietly, remove_keyboard_quietly
from handlers.survey.flow import Participant, ask
from handlers.survey.pressed import message_of, not_current, pressed_progress
from handlers.survey.render import reviewed_questions
from storage.errors import AlreadySubmitted
from surveys.engine import relevant_answers
from surveys.navigation import last_question

__all__ = ["review_button"]


async def review_button(update: Update, context: BotContext) -> None:
    """Submit (exactly once) or Back from the review."""
    pressed = await participant_button(update, context, Review,
                                       fits=lambda review: review.valid)
    if pressed is None:
        return
    query, who, button = pressed
    tr = await context.translator(update)
    _ = tr.gettext
    op = button.op
    async with pressed_progress(who, query, button.ref, button.version) as progress:
        if progress is None:
            return
        if progress.response is not None and progress.response.current_question:
            await not_current(who, progress, query, _("Please answer the current question first."))
            return
        survey, answers = progress.survey, progress.answers
        responses = context.services.storage.responses
        if op != "submit":
            if op == "back":
                target = last_question(survey, answers)
            else:  # "c<question index>": change one answer listed in the review
                listed = reviewed_questions(survey, relevant_answers(survey, answers))
                position = button.change or 0
                target = survey.questions[position] if position < len(survey.questions) else None
                target = target if target in listed else None
            if target is None:
                await refuse_button(query, tr)
                return
            await responses.set_current(survey.id, progress.respondent_key, target.id)
            await query.answer()
            await _tidy(who, query)
            await ask(who, progress, target, answers)
            return
        try:
            submitted = await responses.submit(
                survey.id, progress.respondent_key, relevant_answers(survey, answers))
        except AlreadySubmitted:
            await query.answer(_("You have already submitted this survey."))
            return
        await query.answer(_("Submitted. Thank you!"))
        context.services.session(who.user_id).survey = None
        assert submitted.deletion_code is not None
        await _thank(who, query, submitted_text(tr, submitted.deletion_code))
    # Said once, by the code that submitted: the opt-in for updates follows from it.
    await context.services.events.publish(SurveySubmitted(survey.id, who.user_id, tr.language))


async def _thank(who: Participant, query: CallbackQuery, thanks: str) -> None:
    """Say thank you under the submitted review, in one Bot API call where it fits.

    The review message keeps its text (the record of what was sent) and loses its
    buttons; the thanks is appended to it, or sent on its own when the two do not fit.
    """
    review = query.message
    text = getattr(review, "text", None)
    if review is not None and text and len(text) + len(thanks) + 2 <= MESSAGE_LIMIT:
        await edit_text_quietly(who.context.bot, review.chat.id, review.message_id,
                                f"{text}\n\n{thanks}")
        return
    await _tidy(who, query)
    await who.context.bot.send_message(who.chat_id, thanks)


async def _tidy(who: Participant, query: CallbackQuery) -> None:
    prompt = message_of(query)
    if prompt is not None:
        await remove_keyboard_quietly(who.context.bot, *prompt)
