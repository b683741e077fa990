"""Participants' data rights: /mydata, /forget (with confirmation) and /privacy.

There is no index from a person to their responses (that is the point of the
pseudonyms), so /mydata and /forget compute the respondent key for every survey the bot
knows, open or closed, and look each one up.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, ConsultbotApplication, Translator
from bot.survey_progress import user_lock
from handlers.shared.button_data import Forget
from handlers.shared.buttons import button_data, pressed
from handlers.shared.commands import add_command
from handlers.shared.localized import format_day, isolate, language_name
from handlers.shared.render import clip, edit_text_quietly, send_long, survey_language
from handlers.shared.router import Router
from handlers.survey.render import review_lines
from surveys.messages import N_

__all__ = ["privacy_text", "register"]


def privacy_text(tr: Translator) -> str:
    """The privacy model in plain words."""
    _ = tr.gettext
    return _(
        "How this bot handles your data\n\n"
        "What is stored: your answers to each survey, and whether you agreed to this "
        "notice (and your language, if you choose one). Dates are kept to the day, not "
        "the time.\n\n"
        "How: your answers are stored under a code computed from your Telegram account "
        "and a secret key kept outside the database. Each survey gets a different code, so "
        "your answers to different surveys cannot be linked. Your name, username and "
        "Telegram id are never stored with your answers.\n\n"
        "Who sees what: moderators see totals and exports without names. Groups smaller "
        "than a minimum size are hidden, so nobody can be singled out.\n\n"
        "Unfinished answers are kept until the survey closes, then erased.\n\n"
        "Your rights: /mydata shows everything stored about you; /forget erases it.\n\n"
        "What Telegram sees: Telegram knows that your account talks to this bot and can "
        "see the messages, as with any chat. For anonymous concerns, use /report."
    )


async def privacy_command(update: Update, context: BotContext) -> None:
    """/privacy: the privacy model."""
    if update.effective_chat is None:
        return
    tr = await context.translator(update)
    await context.bot.send_message(update.effective_chat.id, privacy_text(tr))


async def mydata_command(update: Update, context: BotContext) -> None:
    """/mydata: consent, language and every response stored under this user's pseudonyms."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    storage = context.services.storage
    wishes = await context.wished_languages(update)
    lines: list[str] = []
    preferences = await storage.preferences.get(storage.secret.participant_key(user.id))
    if preferences is not None and preferences.consented_on is not None:
        lines.append(_("You agreed to the privacy notice on {date}.").format(
            date=format_day(preferences.consented_on, tr.language)))
    if preferences is not None and preferences.language:
        lines.append(_("Your chosen language: {language}").format(
            language=language_name(preferences.language)))
    for response in await storage.responses.find_all(await storage.respondent_keys(user.id)):
        # Show the answers against the version they were given to, whose labels match them.
        record = await storage.surveys.get(response.survey_id, response.version)
        if record is None:
            continue
        survey = record.survey
        language = survey_language(survey, wishes)
        title = isolate(survey.title.get(language, survey.default_language), tr.language)
        if response.submitted and response.submitted_on is not None:
            header = _("“{title}”: submitted on {date}").format(
                title=title, date=format_day(response.submitted_on, tr.language))
        else:
            header = _("“{title}”: in progress, last changed on {date}").format(
                title=title, date=format_day(response.updated_on, tr.language))
        answers = review_lines(survey, dict(response.answers), language, tr)
        lines.append("\n".join([header, *(clip(line) for line in answers)])
                     if answers else header + "\n" + _("(no answers yet)"))
    for describer in context.services.describers:
        lines += await describer(user.id, tr)
    if not lines:
        lines.append(_("Nothing is stored about you."))
    else:
        lines.insert(0, _("This is everything stored about you:"))
        lines.append(_("To erase all of it, use /forget."))
    await send_long(context.bot, chat.id, lines)


async def forget_command(update: Update, context: BotContext) -> None:
    """/forget: ask for confirmation before erasing."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    tr = await context.translator(update)
    _ = tr.gettext
    services = context.services
    keyboard = InlineKeyboardMarkup([
        [InlineKeyboardButton(_("Yes, erase everything"),
                              callback_data=button_data(services, user.id, Forget.of(True)))],
        [InlineKeyboardButton(_("No, keep my data"),
                              callback_data=button_data(services, user.id, Forget.of(False)))],
    ])
    await context.bot.send_message(
        chat.id,
        _("This erases all your answers (also submitted ones) and your settings. "
          "It cannot be undone. Are you sure?"),
        reply_markup=keyboard,
    )


async def forget_button(update: Update, context: BotContext) -> None:
    """The confirmation of /forget."""
    found = await pressed(update, context, Forget)
    if found is None:
        return
    query, button = found
    tr = await context.translator(update)
    _ = tr.gettext
    user = query.from_user
    message = query.message
    if not button.confirmed:
        await query.answer()
        if message is not None:
            await edit_text_quietly(context.bot, message.chat.id, message.message_id,
                                    _("Nothing was erased."))
        return
    async with user_lock(user.id):
        erased = await erase_user(context, user.id)
    await query.answer(_("Erased."))
    if message is not None:
        await edit_text_quietly(
            context.bot, message.chat.id, message.message_id,
            tr.ngettext("Done: {count} survey response and your settings were erased.",
                        "Done: {count} survey responses and your settings were erased.",
                        erased).format(count=erased))


async def erase_user(context: BotContext, user_id: int) -> int:
    """Erase responses, preferences and whatever features registered; returns responses erased."""
    services = context.services
    storage = services.storage
    # One transaction and one WAL checkpoint for every survey, so a crash cannot leave a
    # person half-forgotten and the erased answers do not linger in the write-ahead log.
    erased = await storage.responses.forget(await storage.respondent_keys(user_id))
    await storage.preferences.delete(storage.secret.participant_key(user_id))
    for eraser in services.erasers:
        await eraser(user_id)
    return erased


def register(application: ConsultbotApplication, router: Router) -> None:
    """/privacy, /mydata, /forget and its confirmation button."""
    add_command(application, "privacy", N_("How your data is handled"))
    add_command(application, "mydata", N_("See everything stored about you"))
    add_command(application, "forget", N_("Erase everything stored about you"))
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("privacy", privacy_command, filters=private))
    application.add_handler(CommandHandler("mydata", mydata_command, filters=private))
    application.add_handler(CommandHandler("forget", forget_command, filters=private))
    router.own_buttons(Forget, forget_button)
    services = application.services

    async def drop_session(user_id: int) -> None:
        # The session: the survey being answered, an open draft, a held language choice.
        services.sessions.drop(services.session_key(user_id))

    services.erasers.append(drop_session)
