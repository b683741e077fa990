"""/start: welcome and consent, or straight into a deep-linked survey.

``/start`` alone shows the welcome and privacy notice with an "I agree" button to a new
participant, and the open surveys to one who already agreed. ``/start <survey_id>`` (a
``t.me/<bot>?start=<survey_id>`` link a moderator shared) does the same, then opens that
survey. ``/start <code>`` spends a one-use invite code and opens its (invite-only) survey
(``bot.invitations``); before consent the code is only checked, and spent on "I agree".
"""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import CommandHandler, filters

import handlers.participant.consent
from bot.context import BotContext, ConsultbotApplication
from bot.invitations import accept_code
from handlers.participant.consent import ask_consent, has_consented, participant
from handlers.shared.commands import add_command
from handlers.shared.router import Router
from handlers.survey.flow import open_survey, show_survey_list
from storage.invites import is_invite_code
from surveys.messages import N_

__all__ = ["register"]

#: Deep-link payloads Telegram allows, and survey ids are a subset of them.
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def start(update: Update, context: BotContext) -> None:
    """Welcome a participant; open the survey named in a deep link."""
    tr = await context.translator(update)
    who = await participant(update, context)
    if who is None:
        return
    survey_id = None
    consented = await has_consented(context.services, who.user_id)
    if context.args and is_invite_code(context.args[0]):
        survey_id = await accept_code(context.services, who.user_id, context.args[0],
                                      consented=consented)
        if survey_id is None:
            await context.bot.send_message(who.chat_id, tr.gettext(
                "This invitation code is not valid, or it was already used."))
            return
    elif context.args and _PAYLOAD.match(context.args[0]):
        survey_id = context.args[0].lower()
    if not consented:
        await ask_consent(update, context, survey_id)
        return
    if survey_id is not None:
        await open_survey(who, survey_id)
        return
    _ = tr.gettext
    await context.bot.send_message(who.chat_id, _("Welcome back!"))
    await show_survey_list(who)


def register(application: ConsultbotApplication, router: Router) -> None:
    """/start and the consent button."""
    add_command(application, "start", N_("Welcome, privacy notice and consent"))
    application.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
    handlers.participant.consent.register(router)
