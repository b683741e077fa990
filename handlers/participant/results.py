"""/results: the published results of the surveys a participant may see, in chat.

The figures are exactly the moderators' /summary: ``bot.publication.build_summary`` (the
protected snapshot: whole days, small groups hidden, noise) rendered by
``surveys.summary_text.render_summary`` in the reader's language, so a hidden cell says
it is hidden here too. Which surveys: ``bot.recommendation_updates.visible_surveys``
(published or closed; invite-only ones only for people who took part).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, ConsultbotApplication, Translator
from bot.publication import SurveyNotFound, build_summary
from bot.recommendation_updates import visible_surveys
from bot.survey_progress import survey_ref
from handlers.moderation.results import split_message
from handlers.shared.button_data import ShowResults
from handlers.shared.buttons import button_data, pressed, refuse_button
from handlers.shared.commands import add_command
from handlers.shared.router import Router
from storage.survey_records import SurveyRecord
from surveys.messages import N_
from surveys.summary_text import render_summary

__all__ = ["register", "results_command"]


def _title(record: SurveyRecord, tr: Translator) -> str:
    survey = record.survey
    return survey.title.get(survey.language_for(tr.language), survey.default_language)


async def results_command(update: Update, context: BotContext) -> None:
    """/results: a button per visible survey; ``/results <id>`` shows that one at once."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    visible = await visible_surveys(context.services, user.id)
    if context.args:
        wanted = [r for r in visible if r.survey_id == context.args[0]]
        if not wanted:
            await context.bot.send_message(chat.id, _("There are no published results with "
                                                      "that id."))
            return
        await _show(context, chat.id, tr, wanted[0])
        return
    if not visible:
        await context.bot.send_message(chat.id, _("No results are published yet."))
        return
    keyboard = InlineKeyboardMarkup([
        [InlineKeyboardButton(_title(record, tr)[:60], callback_data=button_data(
            context.services, user.id, ShowResults(survey_ref(record.survey_id))))]
        for record in visible])
    await context.bot.send_message(chat.id, _("Which survey's results would you like to see?"),
                                   reply_markup=keyboard)


async def on_button(update: Update, context: BotContext) -> None:
    """Show the results of the survey pressed (if the person may still see it)."""
    press = await pressed(update, context, ShowResults)
    if press is None:
        return
    query, button, tr = press
    for record in await visible_surveys(context.services, press.user_id):
        if survey_ref(record.survey_id) == button.ref:
            await query.answer()
            await _show(context, press.chat_id, tr, record)
            return
    await refuse_button(query, tr)


async def _show(context: BotContext, chat_id: int, tr: Translator, record: SurveyRecord) -> None:
    _ = tr.gettext
    services = context.services
    kept = await services.storage.retention.aggregate(record.survey_id)
    if kept is not None:  # aggregate-only after retention: the kept summary is all there is
        text = kept
    else:
        try:
            summary = await build_summary(services.storage, record.survey_id,
                                          min_cell=services.settings.min_cell)
        except SurveyNotFound:
            await context.bot.send_message(chat_id, _("No results are published yet."))
            return
        text = render_summary(summary, gettext=_, ngettext=tr.ngettext, locale=tr.language)
    for chunk in split_message(text):
        await context.bot.send_message(chat_id, chunk)


def register(application: ConsultbotApplication, router: Router) -> None:
    """/results and its survey buttons."""
    add_command(application, "results", N_("Published results of surveys"))
    application.add_handler(CommandHandler("results", results_command,
                                           filters=filters.ChatType.PRIVATE))
    router.own_buttons(ShowResults, on_button)
