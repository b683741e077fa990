"""Consent: nothing about a participant is stored before they agree to the privacy notice.

Consent itself is the first thing stored, under the participant pseudonym
(HMAC of their user id), with the day it was given. A deep-linked survey id travels in the
consent button's data, so agreeing leads straight into that survey without storing it; an
invite code brought before consent is spent only now (``bot.invitations``).
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import BotContext, Services, Translator
from bot.invitations import spend_held_code
from bot.survey_progress import find_open_by_ref
from handlers.shared.button_data import Consent
from handlers.shared.buttons import Record, button_data, pressed, refuse_button, survey_ref
from handlers.shared.render import edit_text_quietly
from handlers.shared.router import Router
from handlers.survey.flow import Participant, open_survey, show_survey_list

__all__ = [
    "ask_consent",
    "has_consented",
    "participant",
    "participant_button",
    "register",
    "text_before_consent",
]

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
    target = survey_ref(survey_id) if survey_id else None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(
        _("I agree"), callback_data=button_data(context.services, user.id, Consent(target)))]])
    text = _("Welcome! This bot runs consultations: short surveys whose results help "
             "organisations act on what people like you say.") + "\n\n" + privacy_notice(tr)
    # Understood in any language, for someone Telegram gave the wrong one.
    text += "\n\n" + LANGUAGE_HINT
    await context.bot.send_message(chat.id, text, reply_markup=keyboard)
    context.services.session(user.id).consent_asked = True


async def text_before_consent(update: Update, context: BotContext) -> None:
    """A typed message while the notice waits for "I agree": show the notice again.

    The owner of typed text in the consent mode. Nothing of the message is kept; the
    notice comes in the language the message was written in, when that was detected.
    """
    await ask_consent(update, context)


async def participant(update: Update, context: BotContext) -> Participant | None:
    """The participant behind an update in a chat, or None (channel posts, etc.)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    tr = await context.translator(update)
    return Participant(context, user.id, chat.id, tr, await context.wished_languages(update),
                       update.update_id)


async def participant_button(update: Update, context: BotContext, kind: type[Record], *,
                             fits: Callable[[Record], bool] | None = None,
                             ) -> tuple[CallbackQuery, Participant, Record] | None:
    """A genuine button of ``kind`` (see :func:`handlers.shared.buttons.pressed`) and its presser.

    Args:
        update: An update with a callback query.
        context: The handler's context.
        kind: The record the button must carry.
        fits: A further check of the record (an operation, a language …).

    Returns:
        ``(query, participant, record)``; ``None`` when the button was refused (also when
        it was pressed outside a chat), so the handler only returns.
    """
    press = await pressed(update, context, kind)
    if press is None:
        return None
    query, record, tr = press
    who = await participant(update, context)
    if who is None or (fits is not None and not fits(record)):
        await refuse_button(query, tr)
        return None
    return query, who, record


async def on_consent(update: Update, context: BotContext) -> None:
    """The "I agree" button: store consent, then open the deep-linked survey or the list."""
    found = await participant_button(update, context, Consent)
    if found is None:
        return
    query, who, record = found
    _ = (await context.translator(update)).gettext
    storage = context.services.storage
    key = storage.secret.participant_key(who.user_id)
    await storage.preferences.set_consent(key)
    session = context.services.session(who.user_id)
    session.consent_asked = False
    chosen, session.chosen_language = session.chosen_language, None
    if chosen:  # picked with /language before agreeing: stored only now
        await storage.preferences.set_language(key, chosen)
    await query.answer(_("Thank you."))
    if query.message is not None:
        await edit_text_quietly(context.bot, who.chat_id, query.message.message_id,
                                _("Thank you. You agreed to the privacy notice."))
    if await spend_held_code(context.services, who.user_id) is False:
        await context.bot.send_message(who.chat_id, _(
            "This invitation code is not valid, or it was already used."))
    elif record.survey_ref is not None:
        survey = await find_open_by_ref(context.services, record.survey_ref)
        if survey is not None:
            await open_survey(who, survey.survey_id)
            return
    await show_survey_list(who)


def register(router: Router) -> None:
    """The consent button (the /start command that shows it is in handlers.participant.start)."""
    router.own_buttons(Consent, on_consent)
