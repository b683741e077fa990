"""/recs for participants: what became of the recommendations, following one, and
"was this addressed?".

A participant sees the recommendations of the surveys they may see
(``bot.recommendation_updates.visible_recommendations``) with their status and progress,
opens one, and may follow it: its status changes then reach them through the outbox in their
language. Once it is implemented, the update carries one row of answer buttons; the answer
is stored without identity by ``bot.addressed_answers.record_addressed_answer``, once.
Moderators get their own /recs (``handlers.moderation.recs``), which hands everyone else
to :func:`list_command`.
"""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.addressed_answers import record_addressed_answer
from bot.context import BotContext, ConsultbotApplication, Translator, services_of
from bot.recommendation_updates import (
    any_recommendation_by_ref,
    asks_addressed,
    asks_late_follower,
    follow,
    localized,
    recommendation_by_ref,
    recommendation_ref,
    status_label,
    unfollow,
    visible_recommendations,
)
from bot.recommendations import SCALES, AddressedScale, RecommendationError
from handlers.shared.button_data import (
    AddressedAnswer,
    RecommendationAction,
    RecommendationButton,
)
from handlers.shared.buttons import button_data, pressed, refuse_button
from handlers.shared.localized import isolate
from handlers.shared.render import send_long
from handlers.shared.router import Router
from storage.outbox import OutboxItem
from storage.recommendations import Recommendation

__all__ = ["describe", "list_command", "register"]

#: Characters of a title on a button.
_BUTTON_TITLE = 48
#: Recommendations per page of /recs: a survey may have hundreds, and one button each
#: would make a keyboard nobody can scroll on a phone.
PAGE_SIZE = 20


def _summary_line(rec: Recommendation, tr: Translator) -> str:
    return tr.gettext("“{title}”: {status}, {progress}% done").format(
        title=isolate(localized(rec.title, tr.language), tr.language),
        status=status_label(rec.status, tr), progress=rec.progress)


def _button(context: BotContext, user_id: int, label: str, action: RecommendationAction,
            ref: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=button_data(
        context.services, user_id, RecommendationButton(action, ref)))


async def list_command(update: Update, context: BotContext) -> None:
    """/recs: every visible recommendation with its status, and a button to open each."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    await _send_list(context, chat.id, user.id, await context.translator(update))


async def _send_list(context: BotContext, chat_id: int, user_id: int, tr: Translator,
                     start: int = 0) -> None:
    """One page of the list (:data:`PAGE_SIZE` from ``start``), with "More" if there is."""
    _ = tr.gettext
    found = await visible_recommendations(context.services, user_id)
    if not found:
        await context.bot.send_message(chat_id, _("There are no recommendations to follow yet."))
        return
    start = start if 0 <= start < len(found) else 0
    page = found[start:start + PAGE_SIZE]
    lines = [_("What became of the recommendations (open one to follow it):")]
    lines += [f"• {_summary_line(rec, tr)}" for rec in page]
    if len(found) > PAGE_SIZE:
        lines.append(_("Recommendations {first} to {last} of {total}.").format(
            first=start + 1, last=start + len(page), total=len(found)))
    rows = [[_button(context, user_id, localized(rec.title, tr.language)[:_BUTTON_TITLE],
                     RecommendationAction.OPEN, recommendation_ref(rec.recommendation_id))]
            for rec in page]
    if start + PAGE_SIZE < len(found):
        rows.append([_button(context, user_id, _("More"), RecommendationAction.LIST,
                             str(start + PAGE_SIZE))])
    await send_long(context.bot, chat_id, ["\n".join(lines)], InlineKeyboardMarkup(rows))


def details(rec: Recommendation, tr: Translator) -> list[str]:
    """The lines that describe one recommendation (shared with the moderators' view)."""
    _ = tr.gettext
    lines = [localized(rec.title, tr.language)]
    body = localized(rec.body, tr.language)
    if body:
        lines.append(body)
    lines.append(_("Status: {status}. Progress: {progress}%.").format(
        status=status_label(rec.status, tr), progress=rec.progress))
    for milestone in rec.milestones:
        label = localized(milestone.label, tr.language)
        line = (_("Milestone {number} ({date}): {label}, reached") if milestone.reached
                else _("Milestone {number} ({date}): {label}, planned"))
        lines.append(line.format(number=milestone.number, date=milestone.due_on.isoformat(),
                                 label=label))
    return lines


async def _send_details(context: BotContext, chat_id: int, user_id: int, tr: Translator,
                        rec: Recommendation) -> None:
    _ = tr.gettext
    following = await context.services.storage.follows.is_following(rec.recommendation_id,
                                                                    user_id)
    lines = details(rec, tr)
    ref = recommendation_ref(rec.recommendation_id)
    if following:
        lines.append(_("You follow this recommendation: you are told when its status changes."))
        row = [_button(context, user_id, _("Stop following"), RecommendationAction.UNFOLLOW, ref)]
    else:
        lines.append(_("Follow it to be told when its status changes. Your chat is then kept "
                       "on a list of people to inform, separate from your answers."))
        row = [_button(context, user_id, _("Follow"), RecommendationAction.FOLLOW, ref)]
    row.append(_button(context, user_id, _("All recommendations"), RecommendationAction.LIST))
    await send_long(context.bot, chat_id, ["\n\n".join(lines)], InlineKeyboardMarkup([row]))


async def on_button(update: Update, context: BotContext) -> None:
    """Open, follow or unfollow a recommendation, or list them again."""
    press = await pressed(update, context, RecommendationButton)
    if press is None:
        return
    query, button, tr = press
    _ = tr.gettext
    user_id, chat_id = press.user_id, press.chat_id
    if button.action is RecommendationAction.LIST:
        await query.answer()
        start = int(button.ref) if button.ref and button.ref.isdigit() else 0
        await _send_list(context, chat_id, user_id, tr, start)
        return
    rec = await recommendation_by_ref(context.services, user_id, button.ref or "")
    if rec is None:
        await refuse_button(query, tr)
        return
    title = localized(rec.title, tr.language)
    if button.action is RecommendationAction.FOLLOW:
        # In a private chat the chat id is the user id; updates only go to private chats.
        added = await follow(context.services, rec, user_id, tr.language)
        await query.answer(_("You follow “{title}”.").format(title=title)[:200])
        if added and await asks_late_follower(context.services, rec, user_id):
            await _send_details(context, chat_id, user_id, tr, rec)
            await _ask_addressed(context, chat_id, tr, rec)
            return
    elif button.action is RecommendationAction.UNFOLLOW:
        await unfollow(context.services, rec, user_id)
        await query.answer(_("You no longer follow “{title}”.").format(title=title)[:200])
    else:
        await query.answer()
    await _send_details(context, chat_id, user_id, tr, rec)



async def on_addressed(update: Update, context: BotContext) -> None:
    """One tap answers "was this addressed?"; a second tap is refused."""
    press = await pressed(update, context, AddressedAnswer)
    if press is None:
        return
    query, button, tr = press
    _ = tr.gettext
    rec = await any_recommendation_by_ref(context.services.storage, button.ref)
    if rec is None:
        await refuse_button(query, tr)
        return
    try:
        first = await record_addressed_answer(context.services.storage, rec.recommendation_id,
                                              query.from_user.id, button.answer)
    except RecommendationError as error:
        await query.answer(error.message.render(_)[:200])
        return
    with contextlib.suppress(TelegramError):  # the buttons only tidy the chat
        await query.edit_message_reply_markup(reply_markup=None)
    if first:
        await query.answer(_("Thank you. Your answer is stored without your name or chat."))
    else:
        await query.answer(_("You already answered; your first answer counts."))


async def addressed_keyboard(context: BotContext, item: OutboxItem,
                             tr: Translator) -> InlineKeyboardMarkup | None:
    """The answer buttons under an "implemented" update to a follower who has not answered."""
    if item.recommendation_id is None or not await asks_addressed(context.services, item):
        return None
    rec = await context.services.storage.recommendations.get(item.recommendation_id)
    if rec is None:
        return None
    return _answer_buttons(context, item.chat_id, tr, rec)


def _answer_buttons(context: BotContext, chat_id: int, tr: Translator,
                    rec: Recommendation) -> InlineKeyboardMarkup:
    ref = recommendation_ref(rec.recommendation_id)
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(tr.gettext(label), callback_data=button_data(
            context.services, chat_id, AddressedAnswer(ref, key)))
        for key, label in SCALES[AddressedScale(rec.addressed_scale)]]])


async def _ask_addressed(context: BotContext, chat_id: int, tr: Translator,
                         rec: Recommendation) -> None:
    """Ask a late follower what an implemented update would have asked (same buttons)."""
    _ = tr.gettext
    text = "\n\n".join((
        _("“{title}” is now: {status} ({progress}% done).").format(
            title=isolate(localized(rec.title, tr.language), tr.language),
            status=status_label(rec.status, tr), progress=rec.progress),
        _("Was it actually addressed? Tap one answer below; you can answer once, "
          "and your answer is stored without your name or chat."),
    ))
    await context.bot.send_message(chat_id, text,
                                   reply_markup=_answer_buttons(context, chat_id, tr, rec))


async def describe(context: BotContext, user_id: int, tr: Translator) -> list[str]:
    """What /mydata shows: each followed recommendation (the follow holds the chat id)."""
    storage = context.services.storage
    lines = []
    for rec_id in await storage.follows.followed_by(user_id):
        rec = await storage.recommendations.get(rec_id)
        title = localized(rec.title, tr.language) if rec is not None else rec_id
        lines.append(tr.gettext("You follow the recommendation “{title}” (/recs to stop).")
                     .format(title=isolate(title, tr.language)))
    return lines


def register(application: ConsultbotApplication, router: Router) -> None:
    """The participants' buttons, the update keyboard, the /forget eraser and /mydata lines.

    The /recs command itself is registered by ``handlers.moderation.recs`` (one command,
    two views).
    """
    router.own_buttons(RecommendationButton, on_button)
    router.own_buttons(AddressedAnswer, on_addressed)
    services = services_of(application)

    async def keyboard(item: OutboxItem, tr: Translator) -> InlineKeyboardMarkup | None:
        return await addressed_keyboard(BotContext(application), item, tr)

    async def erase(user_id: int) -> None:
        await services.storage.follows.forget_chat(user_id)

    async def describe_user(user_id: int, tr: Translator) -> list[str]:
        return await describe(BotContext(application), user_id, tr)

    services.update_keyboard = keyboard
    services.erasers.append(erase)
    services.describers.append(describe_user)
