"""Consent: nothing about a participant is stored before they agree to the privacy notice.

Consent itself is the first thing stored, under the participant pseudonym
(HMAC of their user id), with the day it was given. A deep-linked survey id travels in the
consent button's data, so agreeing leads straight into that survey without storing it.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from handlers.callback_data import pack, pressed_button, refuse_button, survey_ref
from handlers.common import edit_text_quietly
from handlers.context import BotContext, ConsultbotApplication, Services, Translator
from handlers.survey_flow import Participant, open_survey, show_survey_list
from handlers.survey_state import find_open_by_ref

__all__ = ["ask_consent", "has_consented", "participant", "participant_button", "register"]

_NO_SURVEY = "-"
#: The way to another language, readable without reading the current one.
LANGUAGE_HINT = "🌐 /language"


async def has_consented(services: Services, user_id: int) -> bool:
    """Whether this user agreed to the privacy notice (and has not used /forget since)."""
    storage = services.storage
    preferences = await storage.preferences.get(storage.secret.participant_key(user_id))
    return preferences is not None and preferences.consented_on is not None


def privacy_notice(tr: Translator) -> str:
    """The short notice shown before consent (/privacy has the long version)."""
    _ = tr.gettext
    return _(
        "Before you start, how your answers are handled:\n"
        "• Your answers are stored under a code made from your Telegram account with a "
        "secret key. Your name, username and Telegram id are never stored with them.\n"
        "• Moderators see totals with a little random noise, never for groups so small that "
        "someone could be recognised. They can download answers to the choice questions, "
        "without written answers or dates, and only where several people answered alike. "
        "Written answers can be downloaded only by an administrator on the server, and "
        "every such download is logged.\n"
        "• You can see everything stored about you with /mydata and erase it with /forget.\n"
        "• Telegram itself can see that you talk to this bot.\n\n"
        "Nothing is stored until you agree. Read more with /privacy."
    )


async def ask_consent(update: Update, context: BotContext, survey_id: str | None = None) -> None:
    """Welcome, the short privacy notice and the "I agree" button."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    target = survey_ref(survey_id) if survey_id else _NO_SURVEY
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
        _("I agree"), callback_data=pack(context.services, user.id, "c", target))]])
    text = _("Welcome! This bot runs consultations: short surveys whose results help "
             "organisations act on what people like you say.") + "\n\n" + privacy_notice(tr)
    # Understood in any language, for someone Telegram gave the wrong one.
    text += "\n\n" + LANGUAGE_HINT
    await context.bot.send_message(chat.id, text, reply_markup=keyboard)


async def participant(update: Update, context: BotContext) -> Participant | None:
    """The participant behind an update in a chat, or None (channel posts, etc.)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    tr = await context.translator(update)
    return Participant(context, user.id, chat.id, tr, await context.wished_languages(update))


async def participant_button(update: Update, context: BotContext, size: int, *,
                             fits: Callable[[list[str]], bool] | None = None,
                             ) -> tuple[CallbackQuery, Participant, list[str]] | None:
    """A genuine button (see :func:`handlers.callback_data.pressed_button`) and its presser.

    Returns:
        ``(query, participant, fields)``; ``None`` when the button was refused (also when
        it was pressed outside a chat), so the handler only returns.
    """
    pressed = await pressed_button(update, context, size, fits=fits)
    if pressed is None:
        return None
    query, fields = pressed
    who = await participant(update, context)
    if who is None:
        await refuse_button(query, await context.translator(update))
        return None
    return query, who, fields


async def on_consent(update: Update, context: BotContext) -> None:
    """The "I agree" button: store consent, then open the deep-linked survey or the list."""
    pressed = await participant_button(update, context, 2)
    if pressed is None:
        return
    query, who, fields = pressed
    _ = (await context.translator(update)).gettext
    storage = context.services.storage
    key = storage.secret.participant_key(who.user_id)
    await storage.preferences.set_consent(key)
    chosen = context.services.chosen_languages.pop(who.user_id, None)
    if chosen:  # picked with /language before agreeing: stored only now
        await storage.preferences.set_language(key, chosen)
    await query.answer(_("Thank you."))
    if query.message is not None:
        await edit_text_quietly(context.bot, who.chat_id, query.message.message_id,
                                _("Thank you. You agreed to the privacy notice."))
    if fields[1] != _NO_SURVEY:
        record = await find_open_by_ref(context.services, fields[1])
        if record is not None:
            await open_survey(who, record.survey_id)
            return
    await show_survey_list(who)


def register(application: ConsultbotApplication) -> None:
    """The consent button (the /start command that shows it is in handlers.start)."""
    application.add_handler(CallbackQueryHandler(on_consent, pattern=r"^c\|"))
