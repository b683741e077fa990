"""Moving a participant through a survey: commit where they are, then show it.

The order is always the same: compute the next step with the pure engine, **commit it**
to storage, then talk to Telegram. So an answer is acknowledged only once it is durable,
and a restart (or a lost message) can always resume from what storage says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.context import BotContext, Translator
from bot.invitations import admitted, may_open
from bot.sessions import ActiveSurvey, PromptMark
from bot.survey_progress import Progress, load_progress, user_lock
from handlers.shared.button_data import AnswerOp, AnswerQuestion, OpenSurvey, Review
from handlers.shared.buttons import button_data, survey_ref
from handlers.shared.localized import isolate
from handlers.shared.render import (
    MESSAGE_LIMIT,
    clip,
    edit_text_quietly,
    remove_keyboard_quietly,
    send_long,
    survey_language,
)
from handlers.survey.render import (
    answered_text,
    question_keyboard,
    question_text,
    review_keyboard,
    review_lines,
    reviewed_questions,
)
from surveys.engine import relevant_answers
from surveys.model import Answer, Question, Survey
from surveys.navigation import carry_over, walk

__all__ = [
    "Participant",
    "ask",
    "ask_current",
    "open_survey",
    "resync",
    "send_review",
    "send_submitted",
    "show_survey_list",
]


@dataclass(frozen=True, slots=True)
class Participant:
    """Who is answering, where, and in which language they read the bot.

    ``update_id`` is the update being handled: a question shown while handling it is
    marked with it (:class:`bot.sessions.PromptMark`), so a message sent before that
    update is never taken as the answer to the question.
    """

    context: BotContext
    user_id: int
    chat_id: int
    tr: Translator
    wishes: tuple[str, ...]
    update_id: int = 0

    def language(self, survey: Survey) -> str:
        """The language of the survey's labels for this participant."""
        return survey_language(survey, self.wishes)


def _answering(who: Participant, survey_id: str, prompt: tuple[int, int] | None,
               asked: str | None) -> None:
    """The person now sees ``asked`` (``None``: the review) of ``survey_id`` in ``prompt``.

    Only the question of this prompt takes typed answers, and only those sent after it
    was shown (see :class:`bot.sessions.ActiveSurvey`).
    """
    shown = PromptMark(prompt[1], who.update_id) if prompt is not None else None
    who.context.services.session(who.user_id).survey = ActiveSurvey(
        survey_id, prompt, asked=asked, shown=shown)


def _with_notice(notice: str | None, text: str) -> str:
    """``text`` after ``notice`` in one message (one Bot API call), within Telegram's limit."""
    if not notice:
        return text
    return clip(f"{clip(notice, 1000)}\n\n{text}", MESSAGE_LIMIT)


def _is_first(survey: Survey, answers: dict[str, Answer], question: Question) -> bool:
    return walk(survey, answers, None)[1] == question


async def ask(who: Participant, progress: Progress, question: Question,
              answers: dict[str, Answer], notes: Sequence[Question] = (),
              replace: tuple[int, int] | None = None, notice: str | None = None) -> None:
    """Show ``notes`` then ask ``question`` (already committed as the current question).

    Args:
        replace: The (chat id, message id) of the question whose button led here: it is
            edited into this question, so a survey answered by buttons stays one tidy
            message (and costs Telegram one call instead of two). Ignored when notes come
            in between, since they must be read before the question.
        notice: A line shown above the question in the same message (why it is asked
            again: a refused answer, a message meant for an earlier question).
    """
    bot = who.context.bot
    survey = progress.survey
    language = who.language(survey)
    for note in notes:
        await bot.send_message(who.chat_id, question_text(survey, note, language, who.tr))
    services = who.context.services
    ref = survey_ref(survey.id)
    index = survey.index_of(question.id)

    def make_data(op: str, arg: object = "") -> str:
        return button_data(services, who.user_id, AnswerQuestion(
            ref, progress.record.version, index, AnswerOp(op), str(arg)))

    has_current = question.id in answers
    current = answers.get(question.id)
    text = _with_notice(notice, question_text(survey, question, language, who.tr, current,
                                              has_current))
    keyboard = question_keyboard(survey, question, language, who.tr, make_data, current=current,
                                 has_current=has_current, first=_is_first(survey, answers, question),
                                 answers=answers)
    if replace is not None and not notes:
        try:
            await bot.edit_message_text(text, chat_id=replace[0], message_id=replace[1],
                                        reply_markup=keyboard)
        except BadRequest:
            pass  # too old to edit: ask in a new message instead
        else:
            _answering(who, survey.id, replace, question.id)
            return
    elif replace is not None:
        await remove_keyboard_quietly(bot, *replace)
    message = await bot.send_message(who.chat_id, text, reply_markup=keyboard)
    _answering(who, survey.id, (who.chat_id, message.message_id), question.id)


async def send_review(who: Participant, progress: Progress, answers: dict[str, Answer],
                      notes: Sequence[Question] = (), notice: str | None = None) -> None:
    """Show ``notes``, then every answer and the Submit / Back buttons (after ``notice``)."""
    _ = who.tr.gettext
    survey = progress.survey
    language = who.language(survey)
    for note in notes:
        await who.context.bot.send_message(who.chat_id, question_text(survey, note, language, who.tr))
    ref = survey_ref(survey.id)
    services = who.context.services

    def make_data(op: str) -> str:
        return button_data(services, who.user_id, Review(ref, progress.record.version, op))

    final = relevant_answers(survey, answers)
    lines = [*([clip(notice, 1000)] if notice else []), _("Please check your answers:")]
    lines += [clip(line) for line in review_lines(survey, final, language, who.tr, numbered=True)]
    lines.append(_("Press Submit to send them. After that they cannot be changed."))
    keyboard = review_keyboard(survey, reviewed_questions(survey, final), who.tr, make_data)
    message = await send_long(who.context.bot, who.chat_id, lines, keyboard)
    prompt = (who.chat_id, message.message_id) if message is not None else None
    _answering(who, survey.id, prompt, None)


async def send_submitted(who: Participant, progress: Progress) -> None:
    """Tell a participant they already submitted (they cannot submit twice).

    Their answers are not shown: they are stored under no pseudonym, so only the deletion
    code given at submission finds them (/mydata <code>).
    """
    _ = who.tr.gettext
    survey = progress.survey
    language = who.language(survey)
    await who.context.bot.send_message(who.chat_id, _(
        "You already submitted “{title}”. Thank you! Your answers are stored apart from your "
        "account: to see them, send /mydata followed by the deletion code you were given."
    ).format(title=isolate(survey.title.get(language, survey.default_language),
                           who.tr.language)))
    who.context.services.session(who.user_id).survey = None


async def ask_current(who: Participant, progress: Progress, notice: str | None = None) -> None:
    """Ask the question storage says is current, or show the review when there is none."""
    answers = progress.answers
    current = progress.response.current_question if progress.response else None
    question = progress.survey.question(current) if current else None
    if question is None:
        await send_review(who, progress, answers, notice=notice)
    else:
        await ask(who, progress, question, answers, notice=notice)


async def resync(who: Participant, progress: Progress, notice: str,
                 stale: tuple[int, int] | None = None) -> None:
    """Show the current question again after input meant for another one.

    The chat and storage can disagree: a message sent twice, a button of an older
    question, anything sent before a restart. Nothing of that input was stored; the
    person sees why (``notice``) and the question storage says is current, in one
    message that becomes the live prompt. ``stale`` is the message whose button was
    pressed: its buttons are removed so it cannot mislead again.
    """
    if stale is not None:
        await remove_keyboard_quietly(who.context.bot, *stale)
    await ask_current(who, progress, notice)


async def open_survey(who: Participant, record_id: str) -> None:
    """Start, resume or show a survey (the participant has consented).

    Starting twice resumes; a new survey version keeps the answers that still fit. Holds
    the participant's lock, so a double tap on a survey button asks the question once.
    """
    async with user_lock(who.user_id):
        previous = who.context.services.session(who.user_id).survey
        if previous is not None and previous.prompt is not None:
            # Only the newest question keeps live buttons.
            await remove_keyboard_quietly(who.context.bot, *previous.prompt)
        await _open_survey(who, record_id)


async def _open_survey(who: Participant, record_id: str) -> None:
    services = who.context.services
    _ = who.tr.gettext
    record = await services.storage.surveys.published(record_id)
    if record is None:
        await who.context.bot.send_message(
            who.chat_id, _("This survey is not open. Use /surveys to see the open ones."))
        return
    progress = await load_progress(services, record, who.user_id)
    language = who.language(record.survey)
    responses = services.storage.responses
    if progress.submitted:
        await send_submitted(who, progress)
        return
    if progress.response is None and not await admitted(services, who.user_id,
                                                             record.survey_id):
        # Invite-only (bot.invitations): answered exactly as a survey that does not exist,
        # so nobody without access learns that it does.
        await who.context.bot.send_message(
            who.chat_id, _("This survey is not open. Use /surveys to see the open ones."))
        return
    if progress.response is None:
        notes, question = walk(record.survey, {}, None)
        response = await responses.start(record.survey_id, record.version, progress.respondent_key,
                                         language=language,
                                         current_question=question.id if question else None)
        progress = Progress(record, progress.respondent_key, response)
        title = isolate(record.survey.title.get(language, record.survey.default_language),
                        who.tr.language)
        await who.context.bot.send_message(who.chat_id, _("“{title}”\n\nYou can go back and change "
                                                          "your answers until you submit them. "
                                                          "/cancel pauses the survey.").format(title=title))
        if question is None:
            await send_review(who, progress, {}, notes)
        else:
            await ask(who, progress, question, {}, notes)
        return
    if progress.response.version != record.version:
        kept, current = carry_over(record.survey, progress.answers, language)
        response = await responses.restart(record.survey_id, record.version, progress.respondent_key,
                                           language=language, current_question=current, answers=kept)
        progress = Progress(record, progress.respondent_key, response)
        await who.context.bot.send_message(
            who.chat_id, _("This survey was updated since you started. Your answers that still "
                           "apply are kept."))
    else:
        await who.context.bot.send_message(who.chat_id, _("Continue where you left off."))
    await ask_current(who, progress)


async def show_survey_list(who: Participant) -> None:
    """The open surveys as buttons, each marked with where this participant stands.

    An invite-only survey is listed only to someone who may open it (a code brought just
    now, or answers of theirs): to anyone else its title alone would say it exists.
    """
    _ = who.tr.gettext
    services = who.context.services
    rows = []
    for record in await services.storage.surveys.list_open():
        progress = await load_progress(services, record, who.user_id)
        if (progress.response is None and not progress.submitted
                and not await may_open(services, who.user_id, record.survey_id)):
            continue  # invite-only, and they have no code: not even its title
        title = isolate(record.survey.title.get(who.language(record.survey),
                                                record.survey.default_language), who.tr.language)
        if progress.submitted:
            title = _("{title} (submitted)").format(title=title)
        elif progress.response is not None:
            title = _("{title} (continue)").format(title=title)
        data = button_data(services, who.user_id, OpenSurvey(survey_ref(record.survey_id)))
        rows.append([InlineKeyboardButton(clip(title, 60), callback_data=data)])
    if not rows:
        await who.context.bot.send_message(
            who.chat_id, _("There are no open surveys right now. Please come back later."))
        return
    await who.context.bot.send_message(who.chat_id, _("Which survey would you like to take?"),
                                       reply_markup=InlineKeyboardMarkup(rows))


async def close_prompt(who: Participant, survey: Survey, question: Question,
                       answer: Answer, message: tuple[int, int] | None) -> None:
    """Turn an answered question's message into a record of the answer, without buttons."""
    if message is None:
        return
    text = answered_text(survey, question, who.language(survey), who.tr, answer)
    await edit_text_quietly(who.context.bot, message[0], message[1], text)
