"""Participants' data rights: /mydata, /forget (with confirmation) and /privacy.

There is no index from a person to their responses (that is the point of the
pseudonyms), so /mydata and /forget compute the respondent key for every survey the bot
knows, open or closed, and look each one up: that finds drafts and "has responded"
markers. Submitted answers are stored under no pseudonym (ARCHITECTURE.md, Privacy
rules); only the deletion code shown at submission finds them: ``/mydata <code>`` shows
them and ``/forget <code>`` erases them. Wrong codes are throttled like report receipts.
"""

from __future__ import annotations

import datetime as _dt
import math

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CommandHandler, filters

from bot.context import BotContext, ConsultbotApplication, Translator
from bot.survey_progress import user_lock
from handlers.reports.draft import delete_quietly
from handlers.shared.button_data import Forget
from handlers.shared.buttons import button_data, pressed
from handlers.shared.commands import add_command
from handlers.shared.localized import format_day, isolate, language_name
from handlers.shared.render import clip, edit_text_quietly, send_long, survey_language
from handlers.shared.router import Router
from handlers.survey.render import review_lines
from storage.receipts import format_receipt
from surveys.messages import N_

__all__ = ["privacy_text", "register", "submitted_text"]


def submitted_text(tr: Translator, code: str) -> str:
    """The thanks after submitting, with the deletion code: shown once, never stored."""
    return tr.gettext(
        "Thank you! Your answers were submitted.\n\n"
        "Your deletion code: {code}\n\n"
        "Write it down and keep it safe: it is shown only this once. Your answers are "
        "stored without your name or Telegram account, so without this code nobody, not "
        "even the server, can find which answers are yours. To see them, send /mydata "
        "{code}; to erase them, send /forget {code}.\n\n"
        "Use /surveys to see other open surveys."
    ).format(code=format_receipt(code))


async def _code_allowed(context: BotContext, chat_id: int, user_id: int, tr: Translator) -> bool:
    """Whether this person may try a deletion code now (wrong codes slow them down)."""
    services = context.services
    wait = services.report_limits.guesses.wait_seconds(
        services.storage.secret.participant_key(user_id))
    if wait <= 0:
        return True
    minutes = max(1, math.ceil(wait / 60))
    await context.bot.send_message(chat_id, tr.ngettext(
        "Too many wrong codes were tried from this account. Please wait {minutes} "
        "minute, then try again.",
        "Too many wrong codes were tried from this account. Please wait {minutes} "
        "minutes, then try again.", minutes).format(minutes=minutes))
    return False


def _wrong_code(context: BotContext, user_id: int) -> None:
    services = context.services
    services.report_limits.guesses.failed(services.storage.secret.participant_key(user_id))


async def _submitted_by_code(update: Update, context: BotContext, code: str) -> None:
    """/mydata <code>: the submitted answers this deletion code belongs to."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None
    tr = await context.translator(update)
    _ = tr.gettext
    if message is not None:
        await delete_quietly(context, chat.id, [message.message_id])  # the code leaves the chat
    if not await _code_allowed(context, chat.id, user.id, tr):
        return
    storage = context.services.storage
    response = await storage.responses.find_by_code(code)
    record = None if response is None else await storage.surveys.get(
        response.survey_id, response.version)
    if response is None or record is None or response.submitted_on is None:
        if response is None:
            _wrong_code(context, user.id)
        await context.bot.send_message(chat.id, _(
            "No submitted answers match this code. Check it and try again."))
        return
    survey = record.survey
    language = survey_language(survey, await context.wished_languages(update))
    title = isolate(survey.title.get(language, survey.default_language), tr.language)
    header = _("“{title}”: submitted on {date}").format(
        title=title, date=format_day(response.submitted_on, tr.language))
    answers = review_lines(survey, dict(response.answers), language, tr)
    await send_long(context.bot, chat.id, [header, *(clip(line) for line in answers),
                                           _("To erase these answers, send /forget with the "
                                             "same code.")])


async def _forget_by_code(update: Update, context: BotContext, code: str) -> None:
    """/forget <code>: erase the submitted answers of this deletion code, at once."""
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    assert user is not None and chat is not None
    tr = await context.translator(update)
    _ = tr.gettext
    if message is not None:
        await delete_quietly(context, chat.id, [message.message_id])
    if not await _code_allowed(context, chat.id, user.id, tr):
        return
    storage = context.services.storage
    async with user_lock(user.id):
        erased = await storage.responses.delete_by_code(
            code, await storage.respondent_keys(user.id))
    if erased is None:
        _wrong_code(context, user.id)
        await context.bot.send_message(chat.id, _(
            "No submitted answers match this code. Check it and try again."))
        return
    await context.bot.send_message(chat.id, _(
        "Done: the answers of this code were erased. Nothing of them is left."))


def privacy_text(tr: Translator) -> str:
    """The privacy model in plain words."""
    _ = tr.gettext
    return _(
        "How this bot handles your data\n\n"
        "What is stored: your answers to each survey, and whether you agreed to this "
        "notice (and your language, if you choose one). Dates are kept to the day, not "
        "the time.\n\n"
        "How: while you answer, your answers are stored under a code computed from your "
        "Telegram account and a secret key kept outside the database, so you can continue "
        "later. When you submit, they are stored under a random number instead and you get "
        "a deletion code: without it nobody, not even the server, can find which answers "
        "are yours. Your name, username and Telegram id are never stored with your "
        "answers.\n\n"
        "Who sees what: moderators see totals and exports without names. Groups smaller "
        "than a minimum size are hidden, so nobody can be singled out.\n\n"
        "Unfinished answers are kept until the survey closes, then erased.\n\n"
        "Your rights: /mydata shows everything stored about you; /forget erases it. For "
        "submitted answers, add your deletion code: /mydata <code>, /forget <code>.\n\n"
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
    """/mydata: consent, language, drafts and markers; ``/mydata <code>``: submitted answers."""
    user, chat = update.effective_user, update.effective_chat
    if user is not None and chat is not None and context.args:
        await _submitted_by_code(update, context, " ".join(context.args))
        return
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
        # A marker holds no version: its title is the latest version's.
        record = await storage.surveys.get(response.survey_id,
                                           None if response.marker else response.version)
        if record is None:
            continue
        survey = record.survey
        language = survey_language(survey, wishes)
        title = isolate(survey.title.get(language, survey.default_language), tr.language)
        if response.marker:
            lines.append(_(
                "“{title}”: you submitted answers. They are stored without your name or "
                "account, so they are not listed here: send /mydata followed by your "
                "deletion code to see them.").format(title=title))
            continue
        header = _("“{title}”: in progress, last changed on {date}").format(
            title=title, date=format_day(response.updated_on or _dt.date.today(), tr.language))
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
    """/forget: ask for confirmation before erasing; ``/forget <code>``: erase those answers."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    if context.args:
        await _forget_by_code(update, context, " ".join(context.args))
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
        _("This erases your unfinished answers, your settings, your update "
          "subscriptions and the recommendations you follow. It cannot be undone. Submitted answers are stored without your "
          "name: to erase them, send /forget followed by their deletion code. That you "
          "took part in a survey is kept, so that each person answers only once. "
          "Are you sure?"),
        reply_markup=keyboard,
    )


async def forget_button(update: Update, context: BotContext) -> None:
    """The confirmation of /forget."""
    press = await pressed(update, context, Forget)
    if press is None:
        return
    query, button, tr = press
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

    async def drop_limits(user_id: int) -> None:
        # Rate limits count by pseudonym: the session key and the participant key.
        services.report_limits.forget(services.session_key(user_id),
                                      services.storage.secret.participant_key(user_id))

    services.erasers.append(drop_limits)
