"""Putting a test person into each input mode, through the real bot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.sessions import InputMode
from tests.fakebot import ChatUser
from tests.handlers.conftest import SURVEY_ID, BotEnv, consented_user, in_survey
from tests.handlers.moderator_helpers import fresh_code
from tests.handlers.report_helpers import MODERATOR_ID, file_report, report_id_of, start_report


def mode_of(env: BotEnv, user: ChatUser) -> InputMode:
    """The input mode the bot holds for ``user``."""
    return env.services.sessions.mode(env.services.session_key(user.user_id))


Setup = Callable[[BotEnv], Awaitable[ChatUser]]


async def idle(env: BotEnv) -> ChatUser:
    return await consented_user(env)


async def consent(env: BotEnv) -> ChatUser:
    user = env.user()
    await user.command("/start")
    return user


async def survey(env: BotEnv) -> ChatUser:
    user = await in_survey(env)
    await user.press("Garment")
    return user


async def draft(env: BotEnv) -> ChatUser:
    user = env.user()
    await start_report(user)
    await user.send_text("words that must not outlive the draft")
    return user


async def status(env: BotEnv) -> ChatUser:
    receipt = await file_report(env.user(7_500_001))
    user = env.user(7_500_002)
    await user.command("/status", receipt)
    await user.press("Add information")
    return user


async def announcement(env: BotEnv) -> ChatUser:
    admin = env.user(MODERATOR_ID)
    await admin.command("/announce", SURVEY_ID)
    return admin


async def reply(env: BotEnv) -> ChatUser:
    report_id = await report_id_of(env, await file_report(env.user(7_500_003)))
    moderator = env.user(MODERATOR_ID)
    await fresh_code(env, moderator)
    await moderator.command("/reports")
    await moderator.press(f"Open {report_id}")
    await moderator.press("Reply")
    return moderator


async def recommendation_input(env: BotEnv) -> ChatUser:
    from bot import recommendations as recs
    from storage.audit import CLI_ACTOR
    from surveys.model import Text

    await recs.add_recommendation(
        env.services.storage, CLI_ACTOR, recommendation_id="fair-pay", survey_id=SURVEY_ID,
        title=Text({"en": "Fair pay"}), body=Text({"en": "Pay on time."}))
    moderator = env.user(MODERATOR_ID)
    await moderator.command("/recs")
    await moderator.press(moderator.last_message().button_labels()[0])
    await moderator.press(moderator.last_message().button_labels()[0])
    await moderator.press("Set progress")
    return moderator


CASES: list[tuple[InputMode, Setup, str]] = [
    (InputMode.IDLE, idle, "You are not taking a survey right now."),
    (InputMode.CONSENT, consent, "You are not taking a survey right now."),
    (InputMode.SURVEY_ANSWER, survey, "You left the survey."),
    (InputMode.REPORT_DRAFT, draft, "Cancelled. Nothing was stored."),
    (InputMode.REPORT_STATUS, status, "Stopped. Nothing more was added."),
    (InputMode.ANNOUNCEMENT_DRAFT, announcement, "The update was not sent."),
    (InputMode.MODERATOR_REPLY, reply, "Reply cancelled."),
    (InputMode.RECOMMENDATION_INPUT, recommendation_input, "Nothing was changed."),
]
