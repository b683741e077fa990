"""Answers arriving by button or by message (the review's buttons: ``handlers.survey.review``).

Every handler holds the participant's lock (:func:`bot.survey_progress.user_lock`) from
reading their progress to committing the change, so two quick taps are handled one after
the other and the second sees the first's result (and is then stale).

An answer belongs to the question it answered (ARCHITECTURE.md, "Input routing"): a
button names its question, and a typed message counts only for the question of the last
prompt its author was shown (:class:`bot.sessions.ActiveSurvey`). Input meant for another
question, or sent before a restart, is not stored: the current question is shown again
(:func:`handlers.survey.flow.resync`).
"""

from __future__ import annotations

import asyncio
import contextlib

from telegram import CallbackQuery, Update
from telegram.error import BadRequest

from bot.context import BotContext, Translator
from bot.survey_progress import (
    Progress,
    find_open,
    in_progress,
    load_progress,
    user_lock,
)
from handlers.participant.consent import participant, participant_button
from handlers.shared.button_data import AnswerOp, AnswerQuestion
from handlers.shared.buttons import button_data, refuse_button
from handlers.shared.render import clip, remove_keyboard_quietly
from handlers.survey.flow import (
    Participant,
    ask,
    close_prompt,
    open_survey,
    resync,
    send_review,
    show_survey_list,
)
from handlers.survey.pressed import message_of, not_current, pressed_progress
from handlers.survey.render import (
    answered_text,
    question_keyboard,
    selected_ids,
)
from surveys.engine import (
    InvalidAnswer,
    check_answer,
    parse_answer,
    previous_question,
)
from surveys.messages import Message
from surveys.model import Answer, Question, QuestionType
from surveys.navigation import after_answer, walk
from surveys.tally import detect_language

__all__ = ["answer_button", "answer_text"]


#: How much of a person's own words a refusal quotes back ("'…' is not one of the options").
_QUOTED = 100


def _refusal(error: InvalidAnswer, tr: Translator) -> str:
    """Why a typed answer was refused, quoting at most :data:`_QUOTED` characters of it.

    A refusal may quote the answer, and an answer may be 4,096 characters: quoted whole,
    the refusal and the question again would not fit in one Telegram message. A survey
    author's own constraint message (the bare ``{text}`` template) is left whole.
    """
    message = error.message
    if message.template != "{text}":
        message = Message(message.template, {
            name: clip(value, _QUOTED) if isinstance(value, str) else value
            for name, value in message.params.items()})
    return message.render(tr.gettext)


def _earlier(tr: Translator) -> str:
    """What a person hears when their input was meant for another question."""
    return tr.gettext("That was for an earlier question. Here is the current one.")


async def _record(who: Participant, progress: Progress, question: Question, value: Answer,
                  prompt: tuple[int, int] | None, query: CallbackQuery | None = None) -> None:
    """Commit the answer and the next step, then acknowledge and show the next step.

    One rate-limited Bot API call per answer: a button answer turns its question message
    into the next question (the toast names the answer taken); after a typed answer the
    person's own message under the question is the record of it, so the next question is
    simply sent and the old message is left as it is (its buttons, if pressed, lead back to
    the current question).
    """
    survey = progress.survey
    answers = {**progress.answers, question.id: value}
    notes, following = after_answer(survey, answers, question.id)
    # Detected now, in a worker thread (langdetect takes milliseconds), and stored in the
    # same write as the answer, so summaries count languages instead of detecting them.
    language = (await asyncio.to_thread(detect_language, value)
                if question.type is QuestionType.TEXT and isinstance(value, str) else None)
    response = await who.context.services.storage.responses.save_answer(
        survey.id, progress.respondent_key, question.id, value,
        following.id if following is not None else None, text_language=language,
        draft=progress.response,
    )
    # Committed: only now does the participant see that the answer was taken.
    progress = Progress(progress.record, progress.respondent_key, response)
    if query is not None:
        await query.answer(clip(answered_text(survey, question, who.language(survey), who.tr,
                                              value).rsplit("\n", 1)[-1], 190))
        if following is not None:
            await ask(who, progress, following, dict(response.answers), notes, replace=prompt)
            return
        await close_prompt(who, survey, question, value, prompt)
    if following is None:
        await send_review(who, progress, dict(response.answers), notes)
    else:
        await ask(who, progress, following, dict(response.answers), notes)


def _button_value(question: Question, op: AnswerOp, arg: str,
                  answers: dict[str, Answer]) -> Answer:
    """The answer a button stands for; ValueError when its data does not fit the question."""
    if op is AnswerOp.SKIP:
        return None
    if op is AnswerOp.KEEP:
        if question.id not in answers:
            raise ValueError("nothing to keep")
        return answers[question.id]
    if op is AnswerOp.VALUE and question.type is QuestionType.SINGLE:
        index = int(arg)
        if not 0 <= index < len(question.choices):
            raise ValueError("no such choice")
        return question.choices[index].id
    if op is AnswerOp.VALUE and question.type is QuestionType.SCALE:
        return int(arg)
    if op is AnswerOp.DONE and question.type is QuestionType.MULTI:
        return selected_ids(question, _mask(question, arg))
    raise ValueError("button does not fit the question")


def _mask(question: Question, arg: str) -> int:
    mask = int(arg, 16)
    if not 0 <= mask < 1 << len(question.choices):
        raise ValueError("mask out of range")
    return mask


def _current_question(progress: Progress, position: int) -> Question | None:
    """The question at ``position`` if it is the current one, else None."""
    survey, response = progress.survey, progress.response
    if (0 <= position < len(survey.questions) and response is not None
            and survey.questions[position].id == response.current_question):
        return survey.questions[position]
    return None


async def answer_button(update: Update, context: BotContext) -> None:
    """A button under a question: choose, toggle, done, skip, back or keep."""
    pressed = await participant_button(update, context, AnswerQuestion)
    if pressed is None:
        return
    query, who, button = pressed
    tr = await context.translator(update)
    _ = tr.gettext
    op, arg = button.op, button.arg
    async with pressed_progress(who, query, button.ref, button.version) as progress:
        if progress is None:
            return
        question = _current_question(progress, button.index)
        if question is None:
            await not_current(who, progress, query, _earlier(tr))
            return
        survey, answers = progress.survey, progress.answers
        try:
            if op is AnswerOp.TOGGLE:
                await _toggle(who, progress, question, button, query)
                return
            if op is AnswerOp.BACK:
                await _back(who, progress, question, query)
                return
            if op is AnswerOp.SKIP and question.required:
                await query.answer(_("This question needs an answer."), show_alert=True)
                return
            value = _button_value(question, op, arg, answers)
        except ValueError:
            await refuse_button(query, tr)
            return
        try:
            value = check_answer(question, value, answers, language=who.language(survey),
                                 default_language=survey.default_language)
        except InvalidAnswer as error:
            await query.answer(error.message.render(_), show_alert=True)
            return
        await _record(who, progress, question, value, message_of(query), query)


async def _toggle(who: Participant, progress: Progress, question: Question, button: AnswerQuestion,
                  query: CallbackQuery) -> None:
    """Flip one choice of a multi-select: only the keyboard changes, nothing is stored.

    The selection travels in the buttons themselves (a bit mask in each button's data),
    so it needs no server state and the answer is stored once, on Done.
    """
    survey, answers = progress.survey, progress.answers
    services = who.context.services

    def make_data(op: str, arg: object = "") -> str:
        return button_data(services, who.user_id, AnswerQuestion(
            button.ref, button.version, button.index, AnswerOp(op), str(arg)))

    keyboard = question_keyboard(
        survey, question, who.language(survey), who.tr, make_data,
        mask=_mask(question, button.arg), first=walk(survey, answers, None)[1] == question,
        has_current=question.id in answers, current=answers.get(question.id), answers=answers)
    await query.answer()
    prompt = message_of(query)
    if prompt is not None:
        # "Message is not modified" after a repeated tap: the keyboard is right already.
        with contextlib.suppress(BadRequest):
            await who.context.bot.edit_message_reply_markup(
                chat_id=prompt[0], message_id=prompt[1], reply_markup=keyboard)


async def _back(who: Participant, progress: Progress, question: Question,
                query: CallbackQuery) -> None:
    _ = who.tr.gettext
    survey = progress.survey
    answers = progress.answers
    previous = previous_question(survey, answers, question.id)
    if previous is None:
        await query.answer(_("This is the first question."))
        return
    await who.context.services.storage.responses.set_current(
        survey.id, progress.respondent_key, previous.id)
    await query.answer()
    await ask(who, progress, previous, answers, replace=message_of(query))


async def answer_text(update: Update, context: BotContext) -> None:
    """A typed message outside any dialog: the answer to the question on screen, if any.

    The owner of typed text in the survey-answer and idle modes. The message counts as an
    answer only for the question of the last prompt its author was shown, and only when
    it was sent after that prompt (see :class:`bot.sessions.ActiveSurvey`). Without that
    memory (after a restart, or when the session expired) the survey in progress is found
    again in storage and its current question shown again: the message is not stored,
    since the bot cannot know which question its author was looking at.
    """
    message = update.effective_message
    tr = await context.translator(update)
    _ = tr.gettext
    who = await participant(update, context)
    if who is None or message is None or message.text is None:
        return
    services = context.services
    async with user_lock(who.user_id):
        progress: Progress | None = None
        session = services.session(who.user_id)
        active = session.survey
        if active is not None and active.paused:
            await context.bot.send_message(
                who.chat_id, _("Your survey is paused. Use /surveys to continue it."))
            return
        if active is not None:
            record = await find_open(services, active.survey_id)
            if record is not None:
                progress = await load_progress(services, record, who.user_id)
            if progress is None or progress.response is None or progress.submitted:
                session.survey = active = None
                progress = None
        if progress is None:
            # After a restart the in-memory map is empty: find the survey in storage (a
            # /cancel from before the restart is forgotten; the answers were kept anyway).
            found = await in_progress(services, who.user_id)
            if not found:
                await context.bot.send_message(
                    who.chat_id, _("To take a survey, use /surveys. For help, use /help."))
                return
            if len(found) > 1:
                await show_survey_list(who)
                return
            progress = found[0]
        response = progress.response
        assert response is not None
        if response.version == progress.record.version:
            current = response.current_question
            if current is None:
                await _typed_at_review(who, progress)
            elif active is None:
                await resync(who, progress, _(
                    "I cannot tell which question your message was meant for, so it was not "
                    "saved. Here is the current question; please answer it again."))
            elif not active.answers(current, message.message_id, update.update_id):
                await resync(who, progress, _earlier(tr), stale=active.prompt)
            else:
                await _answer_typed(who, progress, message.text, active.prompt)
            return
    # A new version was published since they started: move their answers over first
    # (open_survey takes the lock itself); the text they typed is not guessed at.
    await open_survey(who, progress.record.survey_id)


async def _typed_at_review(who: Participant, progress: Progress) -> None:
    """A typed message while the review waits: nothing to answer, so show the review."""
    _ = who.tr.gettext
    await send_review(who, progress, progress.answers, notice=_(
        "Your answers are ready. Please check them and press Submit."))


async def _answer_typed(who: Participant, progress: Progress, text: str,
                        prompt: tuple[int, int] | None) -> None:
    """``text`` as the answer to the current question, which its author was shown."""
    _ = who.tr.gettext
    survey = progress.survey
    response = progress.response
    assert response is not None and response.current_question is not None
    question = survey.question(response.current_question)
    if question is None:
        await _typed_at_review(who, progress)
        return
    try:
        value = parse_answer(question, text, progress.answers, language=who.language(survey),
                             default_language=survey.default_language)
    except InvalidAnswer as error:
        # The reason and the question again, in one message; the reason may quote the
        # answer (up to Telegram's 4,096 characters), so it is clipped to fit. Only the
        # newest prompt keeps its buttons.
        if prompt is not None:
            await remove_keyboard_quietly(who.context.bot, *prompt)
        await ask(who, progress, question, progress.answers, notice=_refusal(error, who.tr))
        return
    await _record(who, progress, question, value, prompt)
