"""/language, and guessing the language of people Telegram tells us nothing useful about.

Which language the bot speaks is negotiated in this order (see
``bot.context.Services.wished_languages``):

1. the language picked with /language, stored under the participant pseudonym (before
   consent it is only held in memory, and stored when they agree: nothing is stored first);
2. their Telegram ``language_code``, through babel's negotiation (``fr-CA`` → ``fr``,
   ``pt-BR`` → ``pt`` if there is a catalog, else on);
3. the language langdetect sees in their first message long enough to be trusted, only
   when 1 and 2 give no language we have a catalog for;
4. the default language (English).

The detected language is kept in memory only: it is a guess, cheap to make again after a
restart, and not worth storing next to anything.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.ext import CommandHandler, MessageHandler, filters

from bot.context import BotContext, ConsultbotApplication, Services
from handlers.participant.consent import has_consented, participant_button
from handlers.shared.button_data import ChooseLanguage
from handlers.shared.buttons import button_data
from handlers.shared.commands import add_command
from handlers.shared.localized import language_name
from handlers.shared.render import edit_text_quietly
from handlers.shared.router import Router
from handlers.survey.flow import Participant, open_survey
from surveys.messages import N_
from surveys.tally import MIN_DETECTABLE_LENGTH, UNDETERMINED, detect_language

__all__ = ["DETECTION_GROUP", "detect_first_message", "register"]

logger = logging.getLogger(__name__)

#: Detection looks at a message before any feature does (they run in later groups), so
#: the reply to that very message is already in the detected language.
DETECTION_GROUP = -100
_CHECK = "✓"


async def language_command(update: Update, context: BotContext) -> None:
    """/language: one button per catalog, each labelled in its own language."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    services = context.services
    rows = []
    for language in services.translations.languages:
        label = language_name(language)
        if language == tr.language:
            label = f"{_CHECK} {label}"
        rows.append([InlineKeyboardButton(
            label, callback_data=button_data(services, user.id, ChooseLanguage(language)))])
    await context.bot.send_message(chat.id, _("Which language should I use?"),
                                   reply_markup=InlineKeyboardMarkup(rows))


async def language_button(update: Update, context: BotContext) -> None:
    """A language button: remember the choice and answer in that language at once."""
    services = context.services
    pressed = await participant_button(
        update, context, ChooseLanguage,
        fits=lambda button: button.language in services.translations.languages)
    if pressed is None:
        return
    query, who, button = pressed
    language = button.language
    await remember_choice(services, who.user_id, language)
    tr = services.translations.translator(language)
    _ = tr.gettext
    await query.answer()
    if query.message is not None:
        await edit_text_quietly(context.bot, who.chat_id, query.message.message_id,
                                _("From now on I will write to you in English."))
    active = services.session(who.user_id).survey
    if active is not None:
        # Ask the current question again, so its labels and buttons switch too.
        wishes = await services.wished_languages(update.effective_user)  # with the new choice
        switched = Participant(context, who.user_id, who.chat_id, tr, wishes, who.update_id)
        await open_survey(switched, active.survey_id)


async def remember_choice(services: Services, user_id: int, language: str) -> None:
    """Store a /language choice under the pseudonym, or hold it until consent."""
    if await has_consented(services, user_id):
        storage = services.storage
        await storage.preferences.set_language(storage.secret.participant_key(user_id), language)
        services.session(user_id).chosen_language = None
    else:
        services.session(user_id).chosen_language = language


async def detect_first_message(update: Update, context: BotContext) -> None:
    """Guess the language of someone for whom neither /language nor Telegram gives one.

    Runs before every feature and never answers: it only records the guess (in memory)
    that ``Services.wished_languages`` then offers after the Telegram language.
    """
    user, message = update.effective_user, update.effective_message
    if user is None or message is None:
        return
    text = message.text or message.caption or ""
    services = context.services
    if len(text.strip()) < MIN_DETECTABLE_LENGTH or not await needs_detection(services, user):
        return
    detected = await asyncio.to_thread(detect_language, text)
    if detected == UNDETERMINED:
        return
    services.session(user.id).detected_language = detected.lower()
    logger.debug("Language detected for a participant without a supported one")


async def needs_detection(services: Services, user: User) -> bool:
    """Whether nothing better than a guess tells us this user's language.

    Cheapest checks first: the Telegram language and the session need no database.
    """
    translations = services.translations
    if translations.negotiate(user.language_code) is not None:
        return False
    if not services.has_storage:
        return False  # nowhere to keep a guess before the bot is initialized
    session = services.peek_session(user.id)
    if session is not None and (session.detected_language or session.chosen_language):
        return False
    storage = services.storage
    preference = await storage.preferences.get(storage.secret.participant_key(user.id))
    return preference is None or not preference.language


def register(application: ConsultbotApplication, router: Router) -> None:
    """/language, its buttons, and first-message detection (before every feature).

    Detection is middleware, not an input owner: it looks at every message in a group of
    its own before the router and never answers, so the reply to that very message is
    already in the detected language. Its guess lives in the session, which /forget drops.
    """
    add_command(application, "language", N_("Choose the language I write in"))
    router.own_buttons(ChooseLanguage, language_button)
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("language", language_command, filters=private))
    application.add_handler(
        MessageHandler(private & (filters.TEXT | filters.CAPTION) & ~filters.COMMAND,
                       detect_first_message, block=True),
        group=DETECTION_GROUP,
    )
