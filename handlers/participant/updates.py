"""The feedback loop for participants: opt in to updates, and read them.

After submitting, a participant is offered updates about that survey (:func:`offer_updates`,
run on :class:`bot.events.SurveySubmitted`). Pressing the button stores (survey id, chat
id): the only place a participant's raw id is kept, never linked to their response.
``/updates`` lists what the followed surveys announced and lets them unsubscribe;
``/forget`` erases the subscriptions. Delivery is :mod:`bot.delivery`'s.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, ConsultbotApplication, Services, Translator, services_of
from bot.delivery import start_delivery, survey_title, translator_for
from bot.events import SurveySubmitted
from bot.recommendation_updates import history_text
from handlers.shared.button_data import FollowSurvey
from handlers.shared.buttons import button_data, pressed, refuse_button, survey_ref
from handlers.shared.commands import add_command
from handlers.shared.localized import isolate
from handlers.shared.render import send_long
from handlers.shared.router import Router
from surveys.messages import N_

__all__ = ["offer_updates", "register"]

logger = logging.getLogger(__name__)


async def offer_updates(context: BotContext, chat_id: int, user_id: int, survey_id: str,
                        translator: Translator | None = None) -> None:
    """Ask a participant who just submitted whether they want updates (stores nothing yet).

    ``translator``: the reader's, when an update is at hand (it knows their Telegram
    language, which a bare user id does not).
    """
    services = context.services
    translator = translator or await translator_for(services, user_id)
    _ = translator.gettext
    if await services.storage.subscriptions.is_subscribed(survey_id, chat_id):
        return
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
        _("Get updates"), callback_data=button_data(
            services, user_id, FollowSurvey.of(True, survey_ref(survey_id))))]])
    try:
        await context.bot.send_message(
            chat_id,
            _("Would you like to hear what happens with the results of “{title}”? The organisers "
              "may send a few updates. Your chat is then kept on a list of people to inform, "
              "separate from your answers.").format(
                title=await survey_title(services, survey_id, translator.language)),
            reply_markup=keyboard)
    except TelegramError as error:
        logger.info("Could not offer updates (%s)", type(error).__name__)


async def _survey_by_ref(services: Services, ref: str) -> str | None:
    for record in await services.storage.surveys.list_all():
        if survey_ref(record.survey_id) == ref:
            return record.survey_id
    return None


async def on_button(update: Update, context: BotContext) -> None:
    """Subscribe ("s") or unsubscribe ("u") the chat of the person who pressed."""
    press = await pressed(update, context, FollowSurvey)
    if press is None:
        return
    query, button, tr = press
    _ = tr.gettext
    user_id = press.user_id
    survey_id = await _survey_by_ref(context.services, button.ref)
    if survey_id is None:
        await refuse_button(query, tr)
        return
    subscriptions = context.services.storage.subscriptions
    title = await survey_title(context.services, survey_id, tr.language)
    # In a private chat the chat id is the user id; updates only ever go to private chats.
    if button.subscribe:
        await subscriptions.subscribe(survey_id, user_id, tr.language)
        text = _("You will get updates about “{title}”. /updates shows them and lets you stop.")
    else:
        await subscriptions.unsubscribe(survey_id, user_id)
        text = _("You will no longer get updates about “{title}”.")
    await query.answer()
    with contextlib.suppress(TelegramError):  # the buttons only tidy the chat
        await query.edit_message_reply_markup(reply_markup=None)
    await context.bot.send_message(user_id, text.format(title=title))


async def list_updates(update: Update, context: BotContext) -> None:
    """/updates: past updates of the surveys this chat follows, with "Stop" buttons."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    storage = context.services.storage
    followed = await storage.subscriptions.surveys_of(chat.id)
    if not followed:
        await context.bot.send_message(chat.id, _(
            "You do not follow any survey. After you submit a survey, you can ask for updates "
            "about it."))
        return
    announcements = await storage.outbox.announcements(followed)
    lines: list[str] = []
    buttons = []
    for survey_id in followed:
        title = await survey_title(context.services, survey_id, tr.language)
        lines.append(_("Updates about “{title}”:").format(title=title))
        own = [a for a in announcements if a.survey_id == survey_id][:5]
        wishes = await context.wished_languages(update)
        lines.extend([f"{a.created_on.isoformat()}: "
                      f"{await history_text(context.services, a, tr, wishes)}" for a in own])
        if not own:
            lines.append(_("No update yet."))
        lines.append("")
        buttons.append([InlineKeyboardButton(
            _("Stop updates about “{title}”").format(title=title)[:60],
            callback_data=button_data(context.services, user.id,
                                      FollowSurvey.of(False, survey_ref(survey_id))))])
    await send_long(context.bot, chat.id, ["\n".join(lines).strip()],
                    InlineKeyboardMarkup(buttons))


def register(application: ConsultbotApplication, router: Router) -> None:
    """/updates, the opt-in buttons and offer, the /forget eraser and the delivery job."""
    add_command(application, "updates", N_("Updates about surveys you follow"))
    application.add_handler(CommandHandler("updates", list_updates,
                                           filters=filters.ChatType.PRIVATE))
    router.own_buttons(FollowSurvey, on_button)
    services = services_of(application)

    async def offer(event: SurveySubmitted) -> None:
        # In a private chat the chat id is the user id.
        await offer_updates(BotContext(application), event.user_id, event.user_id,
                            event.survey_id, services.translations.translator(event.language))

    async def erase(user_id: int) -> None:
        await services.storage.subscriptions.forget_chat(user_id)

    async def describe(user_id: int, tr: Translator) -> list[str]:
        # A subscription holds the raw chat id (ARCHITECTURE.md, "Privacy rules", allows
        # it), so /mydata must show it: it is data about this person like any other.
        return [
            tr.gettext("You receive updates about “{title}” (/updates to stop them).").format(
                title=isolate(await survey_title(services, survey_id, tr.language), tr.language))
            for survey_id in await services.storage.subscriptions.surveys_of(user_id)
        ]

    services.events.subscribe(SurveySubmitted, offer)
    services.erasers.append(erase)
    services.describers.append(describe)
    application.on_initialize.append(start_delivery)
