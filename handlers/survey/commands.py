"""The survey conversation: /surveys, answering by button or by message, review, submit.

Each handler reads like a sentence: check the button is genuine and current, let the
engine judge the answer, commit it, then acknowledge and show what comes next (see
:mod:`handlers.survey.flow`). A stale, forged or closed-survey button gets a polite
``answerCallbackQuery`` and changes nothing.

Button data (signed, see :mod:`handlers.shared.buttons`):

* ``o|<ref>`` open a survey from the list;
* ``a|<ref>|<version>|<question index>|<op>|<arg>`` answer the question at that index:
  ``v`` choose value (choice index or scale number), ``t`` toggle a multi-select (arg:
  the selection mask it leads to, hex), ``d`` done with a multi-select (arg: mask),
  ``s`` skip, ``b`` back, ``k`` keep the current answer;
* ``r|<ref>|<version>|<op>`` on the review: ``submit``, ``back``, or ``c<question index>``
  to change one answer.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, ConsultbotApplication
from bot.survey_progress import find_open_by_ref
from handlers.participant.consent import ask_consent, has_consented, participant, participant_button
from handlers.shared.button_data import AnswerQuestion, OpenSurvey, Review
from handlers.shared.commands import add_command
from handlers.shared.render import remove_keyboard_quietly
from handlers.shared.router import Router
from handlers.survey.answers import answer_button
from handlers.survey.flow import open_survey, show_survey_list
from handlers.survey.review import review_button
from surveys.messages import N_

__all__ = ["cancel_command", "register"]


async def surveys_command(update: Update, context: BotContext) -> None:
    """/surveys: the open surveys as buttons (after consent)."""
    who = await participant(update, context)
    if who is None:
        return
    if not await has_consented(context.services, who.user_id):
        await ask_consent(update, context)
        return
    await show_survey_list(who)


async def open_button(update: Update, context: BotContext) -> None:
    """A survey button of the /surveys list."""
    found = await participant_button(update, context, OpenSurvey)
    if found is None:
        return
    query, who, button = found
    _ = (await context.translator(update)).gettext
    record = await find_open_by_ref(context.services, button.ref)
    if record is None:
        await query.answer(_("This survey is closed."))
        return
    if not await has_consented(context.services, who.user_id):
        await query.answer()
        await ask_consent(update, context, record.survey_id)
        return
    await query.answer()
    await open_survey(who, record.survey_id)


async def cancel_command(update: Update, context: BotContext) -> None:
    """/cancel outside a dialog: pause the current survey; the answers so far are kept.

    The owner of ``/cancel`` in the survey-answer, idle and consent modes (idle and consent
    have nothing to cancel, and say so).
    """
    tr = await context.translator(update)
    _ = tr.gettext
    who = await participant(update, context)
    if who is None:
        return
    active = context.services.session(who.user_id).survey
    if active is None or active.paused:
        await context.bot.send_message(who.chat_id, _("You are not taking a survey right now."))
        return
    active.paused = True
    if active.prompt is not None:
        await remove_keyboard_quietly(context.bot, *active.prompt)
        active.prompt = None
    await context.bot.send_message(
        who.chat_id,
        _("You left the survey. Your answers so far are kept until the survey closes; "
          "use /surveys to continue later, or /forget to erase them."),
    )


def register(application: ConsultbotApplication, router: Router) -> None:
    """/surveys and the survey buttons (open, answer, review).

    Typed answers and /cancel reach :mod:`handlers.survey.answers` and
    :func:`cancel_command` through the router, as owners of the survey-answer mode.
    """
    add_command(application, "surveys", N_("See the open surveys and take one"))
    application.add_handler(CommandHandler("surveys", surveys_command,
                                           filters=filters.ChatType.PRIVATE))
    router.own_buttons(OpenSurvey, open_button)
    router.own_buttons(AnswerQuestion, answer_button)
    router.own_buttons(Review, review_button)
