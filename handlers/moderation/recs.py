"""/recs for moderators: recommendations per survey, their status, progress and milestones.

One command, two views: a moderator whose role manages surveys (admins, analysts; see
``bot.moderation_access``) gets this one, everyone else the participants' view
(``handlers.participant.recs``). Every button and typed message checks the role again,
so a moderator demoted meanwhile, or anyone pressing a button not made for them, changes
nothing. Changes go through ``bot.recommendations`` (the same rules and audit entries as
``consultbot recs``); a new status is queued there for followers and subscribers, and
:func:`bot.delivery.deliver_soon` sends it.

Progress, milestones and new recommendations are typed: the moderator's next messages
belong to the :class:`bot.sessions.RecommendationInput` or
:class:`bot.sessions.RecommendationDraft` dialog (their input mode is routed here by
``bot.application.route_inputs``; a new recommendation's steps are in
``handlers.moderation.new_recommendation``), and ``/cancel`` drops it with nothing stored.
"""

from __future__ import annotations

import datetime as _dt
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, ConsultbotApplication, Translator
from bot.delivery import deliver_soon, survey_title
from bot.moderation_access import AccessDenied, Grant, Permission, require
from bot.recommendation_texts import recordable_surveys
from bot.recommendation_updates import (
    any_recommendation_by_ref,
    localized,
    recommendation_ref,
    status_label,
)
from bot.recommendations import (
    RecommendationError,
    add_milestone,
    allowed_next,
    change_status,
    get_recommendation,
    list_recommendations,
    mark_milestone,
    set_progress,
)
from bot.sessions import RecommendationDraft, RecommendationInput
from bot.survey_progress import survey_ref
from handlers.moderation import new_recommendation
from handlers.moderation.access import REFUSAL
from handlers.participant import recs as participant_recs
from handlers.shared.button_data import RecsModeration, RecsModerationAction
from handlers.shared.buttons import button_data, pressed, refuse_button
from handlers.shared.commands import add_command
from handlers.shared.localized import language_name
from handlers.shared.render import send_long
from handlers.shared.router import Router, cancel_saying
from storage.audit import moderator_actor
from storage.recommendations import Recommendation
from surveys.messages import N_
from surveys.model import Text

__all__ = ["on_cancel", "on_text", "recs_command", "register"]

#: The typed milestone: a date, then its label.
_MILESTONE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s+(.+?)\s*$", re.DOTALL)


async def _grant(context: BotContext, user_id: int) -> Grant | None:
    """The moderator's role now, if it may change recommendations."""
    try:
        return await require(context.services, user_id, Permission.MANAGE_SURVEYS)
    except AccessDenied:
        return None


def _button(context: BotContext, user_id: int, label: str, action: RecsModerationAction,
            ref: str, arg: str | None = None) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label[:60], callback_data=button_data(
        context.services, user_id, RecsModeration(action, ref, arg)))]


async def recs_command(update: Update, context: BotContext) -> None:
    """/recs: the moderators' view for roles that manage surveys, else the participants'."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if await _grant(context, user.id) is None:
        await participant_recs.list_command(update, context)
        return
    tr = await context.translator(update)
    _ = tr.gettext
    storage = context.services.storage
    surveys = await recordable_surveys(storage)
    if not surveys:
        await context.bot.send_message(chat.id, _(
            "No survey has been published yet: recommendations are recorded for a "
            "published survey."))
        return
    counts = dict.fromkeys(surveys, 0)
    for rec in await list_recommendations(storage):
        counts[rec.survey_id] = counts.get(rec.survey_id, 0) + 1
    rows = []
    # Surveys with recommendations first: they are the ones worked on.
    for survey_id, count in sorted(counts.items(), key=lambda item: (item[1] == 0, item[0])):
        title = await survey_title(context.services, survey_id, tr.language)
        rows.append(_button(context, user.id, f"{title} ({count})",
                            RecsModerationAction.SURVEY, survey_ref(survey_id)))
    await context.bot.send_message(
        chat.id, _("Recommendations by survey (open one to change them or record a new "
                   "one):"), reply_markup=InlineKeyboardMarkup(rows))


async def _send_survey(context: BotContext, chat_id: int, user_id: int, tr: Translator,
                       survey_id: str) -> None:
    _ = tr.gettext
    found = await list_recommendations(context.services.storage, survey_id)
    title = await survey_title(context.services, survey_id, tr.language)
    rows = [_button(context, user_id, _("{title}: {status}, {progress}%").format(
                title=localized(rec.title, tr.language)[:30],
                status=status_label(rec.status, tr), progress=rec.progress),
                    RecsModerationAction.OPEN, recommendation_ref(rec.recommendation_id))
            for rec in found]
    rows.append(_button(context, user_id, _("New recommendation"), RecsModerationAction.NEW,
                        survey_ref(survey_id)))
    text = (_("Recommendations from “{title}”:") if found
            else _("No recommendations from “{title}” yet.")).format(title=title)
    await context.bot.send_message(chat_id, text, reply_markup=InlineKeyboardMarkup(rows))


async def _send_details(context: BotContext, chat_id: int, user_id: int, tr: Translator,
                        rec: Recommendation) -> None:
    _ = tr.gettext
    storage = context.services.storage
    ref = recommendation_ref(rec.recommendation_id)
    lines = participant_recs.details(rec, tr)
    followers = await storage.follows.count(rec.recommendation_id)
    lines.append(tr.ngettext("{count} person follows it.", "{count} people follow it.",
                             followers).format(count=followers))
    lines.append(_("Written in: {languages}.").format(languages=", ".join(
        language_name(code) for code in sorted(rec.title.languages))))
    rows = [_button(context, user_id, _("Move to: {status}").format(status=status_label(s, tr)),
                    RecsModerationAction.STATUS, ref, s.value)
            for s in allowed_next(rec.status)]
    rows.append(_button(context, user_id, _("Set progress"), RecsModerationAction.PROGRESS, ref))
    rows.append(_button(context, user_id, _("Add a milestone"), RecsModerationAction.MILESTONE,
                        ref))
    rows += [_button(context, user_id, _("Milestone {number} reached").format(
                number=milestone.number), RecsModerationAction.REACHED, ref,
                str(milestone.number))
             for milestone in rec.milestones if not milestone.reached]
    rows.append(_button(context, user_id, _("Add a translation"), RecsModerationAction.TRANSLATE,
                        ref))
    await send_long(context.bot, chat_id, ["\n\n".join(lines)], InlineKeyboardMarkup(rows))


async def on_button(update: Update, context: BotContext) -> None:
    """A moderator's /recs button; the role is checked before anything is read or changed."""
    press = await pressed(update, context, RecsModeration)
    if press is None:
        return
    query, button, tr = press
    _ = tr.gettext
    user_id, chat_id = press.user_id, press.chat_id
    if await _grant(context, user_id) is None:
        context.services.session(user_id).close()
        await query.answer(_(REFUSAL))
        return
    if (button.action not in (RecsModerationAction.PROGRESS, RecsModerationAction.MILESTONE)
            and (context.services.dialog(user_id, RecommendationInput) is not None
                 or context.services.dialog(user_id, RecommendationDraft) is not None)):
        context.services.session(user_id).close()  # another button: the typed step is over
    if button.action in (RecsModerationAction.SURVEY, RecsModerationAction.NEW):
        for survey_id in await recordable_surveys(context.services.storage):
            if survey_ref(survey_id) == button.ref:
                await query.answer()
                if button.action is RecsModerationAction.NEW:
                    await new_recommendation.ask_title(context, chat_id, user_id, tr,
                                                       survey_id)
                else:
                    await _send_survey(context, chat_id, user_id, tr, survey_id)
                return
        await refuse_button(query, tr)
        return
    pressed_rec = await any_recommendation_by_ref(context.services.storage, button.ref)
    if pressed_rec is None:
        await refuse_button(query, tr)
        return
    rec: Recommendation = pressed_rec
    actor = moderator_actor(context.services.storage.secret, user_id)
    try:
        if button.action is RecsModerationAction.STATUS:
            rec = await change_status(context.services.storage, actor, rec.recommendation_id,
                                      button.arg or "")
            await query.answer(_("Now: {status}.").format(status=status_label(rec.status, tr)))
            deliver_soon(context.application)
        elif button.action is RecsModerationAction.REACHED:
            await mark_milestone(context.services.storage, actor, rec.recommendation_id,
                                 int(button.arg or 0))
            await query.answer()
            rec = await get_recommendation(context.services.storage, rec.recommendation_id)
        elif button.action is RecsModerationAction.TRANSLATE:
            await query.answer()
            await _translation_step(context, chat_id, user_id, tr, rec, button.arg)
            return
        elif button.action in (RecsModerationAction.PROGRESS, RecsModerationAction.MILESTONE):
            await _ask(context, chat_id, user_id, tr, rec,
                       button.action is RecsModerationAction.MILESTONE)
            await query.answer()
            return
        else:
            await query.answer()
    except RecommendationError as error:
        await query.answer()
        await context.bot.send_message(chat_id, error.message.render(_))
        return
    await _send_details(context, chat_id, user_id, tr, rec)


async def _translation_step(context: BotContext, chat_id: int, user_id: int, tr: Translator,
                            rec: Recommendation, language: str | None) -> None:
    """"Add a translation": offer the bot's languages; a language: ask for the title."""
    languages = context.services.translations.languages
    if language in languages:
        await new_recommendation.ask_translation(context, chat_id, user_id, tr, rec, language)
        return
    ref = recommendation_ref(rec.recommendation_id)
    rows = [_button(context, user_id, language_name(code), RecsModerationAction.TRANSLATE,
                    ref, code) for code in languages]
    await context.bot.send_message(chat_id, tr.gettext("Which language is the translation in?"),
                                   reply_markup=InlineKeyboardMarkup(rows))


async def _ask(context: BotContext, chat_id: int, user_id: int, tr: Translator,
               rec: Recommendation, milestone: bool) -> None:
    _ = tr.gettext
    context.services.session(user_id).open(RecommendationInput(rec.recommendation_id, milestone))
    if milestone:
        text = _("Send the milestone as its date and its label, e.g. "
                 "“2026-09-01 Payroll audit published”. /cancel stops.")
    else:
        text = _("Send the progress as a number from 0 to 100. /cancel stops.")
    await context.bot.send_message(chat_id, text)


async def on_text(update: Update, context: BotContext) -> None:
    """The moderator's typed progress, milestone or new recommendation (owner of the
    recommendation-input mode)."""
    user, message = update.effective_user, update.effective_message
    if user is None or message is None or message.text is None:
        return
    dialog = context.services.dialog(user.id, RecommendationInput)
    draft = context.services.dialog(user.id, RecommendationDraft)
    if dialog is None and draft is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    if await _grant(context, user.id) is None:
        context.services.session(user.id).close()
        await message.reply_text(_(REFUSAL))
        return
    if draft is not None:
        stored = await new_recommendation.on_text(message, context, user.id, tr, draft)
        if stored is not None:
            context.services.session(user.id).close()
            await message.reply_text(_("Translation recorded.") if draft.recommendation_id
                                     else _("Recommendation recorded."))
            await _send_details(context, message.chat_id, user.id, tr, stored)
        return
    assert dialog is not None  # one of the two is open
    storage = context.services.storage
    actor = moderator_actor(storage.secret, user.id)
    try:
        if dialog.milestone:
            parsed = _MILESTONE.match(message.text)
            day = _day(parsed.group(1)) if parsed else None
            if parsed is None or day is None:
                await message.reply_text(_("Please send a date (YYYY-MM-DD), a space, then the "
                                           "label."))
                return
            await add_milestone(storage, actor, dialog.recommendation_id,
                                Text({tr.language: parsed.group(2)[:500]}), day)
        else:
            text = message.text.strip().rstrip("%").strip()
            if not text.isdigit():
                await message.reply_text(_("Please send a number from 0 to 100."))
                return
            await set_progress(storage, actor, dialog.recommendation_id, int(text))
    except RecommendationError as error:
        await message.reply_text(error.message.render(_))
        return
    context.services.session(user.id).close()
    rec = await get_recommendation(storage, dialog.recommendation_id)
    await _send_details(context, message.chat_id, user.id, tr, rec)


def _day(text: str) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        return None


#: /cancel while typing a progress, a milestone or a new recommendation.
on_cancel = cancel_saying(N_("Nothing was changed."))


def register(application: ConsultbotApplication, router: Router) -> None:
    """/recs (both views) and the moderators' buttons; the typed input is routed by
    ``bot.application.route_inputs``."""
    add_command(application, "recs", N_("What became of the recommendations"))
    application.add_handler(CommandHandler("recs", recs_command,
                                           filters=filters.ChatType.PRIVATE))
    router.own_buttons(RecsModeration, on_button)
