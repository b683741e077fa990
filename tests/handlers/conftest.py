"""Fixtures for the handler tests: a real consultbot Application on the offline Bot API.

``bot_env`` builds the application exactly as ``consultbot run`` does (same builder, same
handlers, same storage on a temporary data directory), with python-telegram-bot's request
layer replaced by :class:`tests.fakebot.OfflineRequest`. ``restart()`` shuts it down and
builds a new one on the same data directory, the way an operator restarts the bot.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.application import build_application
from bot.config import Config
from bot.context import ConsultbotApplication
from bot.sessions import ActiveSurvey, ReportDraft, Session
from bot.survey_files import SurveyFile
from surveys.loading import load_survey_bytes
from tests.fakebot import BOT_TOKEN, ChatUser, FakeTelegram, OfflineRequest

#: Every question type, skip logic, a constraint, an optional question and notes.
SURVEY_YAML = b"""
id: workers-voice
title: {en: Workers' voice, fr: La voix des travailleurs}
languages: [en, fr]
questions:
  - id: intro
    type: note
    label: {en: Thank you for taking part., fr: Merci de participer.}
  - id: sector
    type: single
    label: {en: "Which sector do you work in?", fr: "Dans quel secteur travaillez-vous ?"}
    choices:
      - {id: garment, label: {en: Garment, fr: Textile}}
      - {id: mining, label: {en: Mining, fr: Mines}}
  - id: unpaid_weeks
    type: number
    label: {en: "For how many weeks were wages unpaid?", fr: "Combien de semaines impayees ?"}
    relevant: "${sector} = 'garment'"
    constraint: ". >= 0 and . <= 52"
    constraint_message: {en: "Enter a number between 0 and 52", fr: "Entrez un nombre entre 0 et 52"}
  - id: issues
    type: multi
    label: {en: "Which issues matter most?", fr: "Quels sujets comptent le plus ?"}
    constraint: "count-selected(.) <= 2"
    constraint_message: {en: Choose at most two, fr: Deux au maximum}
    choices:
      - {id: pay, label: {en: Pay, fr: Salaire}}
      - {id: safety, label: {en: Safety, fr: Securite}}
      - {id: hours, label: {en: Hours, fr: Horaires}}
  - id: safe
    type: scale
    min: 1
    max: 5
    label: {en: "How safe do you feel raising concerns?", fr: "Vous sentez-vous en securite ?"}
  - id: started
    type: date
    required: false
    label: {en: "When did you start this job?", fr: "Depuis quand ?"}
  - id: remedy
    type: text
    required: false
    max_length: 200
    label: {en: "What one reform would help most?", fr: "Quelle reforme aiderait le plus ?"}
"""


def survey_file(data: bytes = SURVEY_YAML, name: str = "workers.yaml") -> SurveyFile:
    return SurveyFile(Path(name), load_survey_bytes(data, name), data)


class BotEnv:
    """A running application on the fake Bot API, restartable on the same data dir."""

    def __init__(self, data_dir: Path, survey_files: list[SurveyFile], admins: frozenset[int]) -> None:
        self.telegram = FakeTelegram()
        self.config = Config(token=BOT_TOKEN, data_dir=data_dir, admins=admins,
                             key_file=data_dir.parent / "key" / "secret.key")
        self.survey_files = survey_files
        self.app: ConsultbotApplication | None = None

    async def start(self) -> ConsultbotApplication:
        self.app = build_application(self.config, request=OfflineRequest(self.telegram),
                                     survey_files=self.survey_files)
        await self.app.initialize()
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.shutdown()
            self.app = None

    async def restart(self, survey_files: list[SurveyFile] | None = None) -> None:
        await self.stop()
        if survey_files is not None:
            self.survey_files = survey_files
        await self.start()
        for user in self.users:
            user.app = self.app

    users: list[ChatUser]

    def user(self, user_id: int = 7_000_001, **kwargs: Any) -> ChatUser:
        assert self.app is not None
        user = ChatUser(self.app, self.telegram, user_id, **kwargs)
        self.users.append(user)
        return user

    @property
    def services(self):
        assert self.app is not None
        return self.app.services


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[BotEnv]:
    environment = BotEnv(tmp_path / "data", [survey_file()], frozenset({4242}))
    environment.users = []
    await environment.start()
    try:
        yield environment
    finally:
        await environment.stop()


SURVEY_ID = "workers-voice"


def deletion_code(user: ChatUser) -> str | None:
    """The last deletion code the bot showed ``user`` (at submission), if any."""
    for text in reversed(user.texts()):
        found = re.search(r"/forget ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text)
        if found:
            return found.group(1)
    return None


async def stored_response(env: BotEnv, user: ChatUser, survey_id: str = SURVEY_ID) -> Any:
    """The response storage holds for ``user``: the draft found by pseudonym, as the bot
    does; once submitted, the answers found with the deletion code the user was shown (the
    pseudonym finds only the "has responded" marker)."""
    storage = env.services.storage
    found = await storage.responses.get(
        survey_id, storage.secret.respondent_key(survey_id, user.user_id))
    code = deletion_code(user)
    if found is not None and found.marker and code is not None:
        return await storage.responses.find_by_code(code)
    return found


async def consented_user(env: BotEnv, user_id: int = 7_000_001, **kwargs: Any) -> ChatUser:
    """A user who agreed to the privacy notice and sees the survey list."""
    user = env.user(user_id, **kwargs)
    await user.command("/start")
    await user.press(bot_text(env, user, "I agree"))
    return user


def bot_text(env: BotEnv, user: ChatUser, msgid: str) -> str:
    """``msgid`` as the bot writes it to ``user`` (their Telegram language, if catalogued)."""
    code = (user.language_code or "").lower()
    language = env.services.bot_language((code, code.split("-")[0]))
    return env.services.translations.translator(language).gettext(msgid)


async def in_survey(env: BotEnv, user_id: int = 7_000_001, title: str = "Workers' voice",
                    **kwargs: Any) -> ChatUser:
    """A consented user looking at the first question of the test survey."""
    user = await consented_user(env, user_id, **kwargs)
    await user.press(title)
    return user


def sessions(env: BotEnv) -> dict[str, Session]:
    """Every live session, by pseudonym."""
    store = env.services.sessions
    return {key: session for key in list(store.keys()) if (session := store.get(key)) is not None}


def report_drafts(env: BotEnv) -> dict[str, ReportDraft]:
    """The report drafts held in memory, by pseudonym."""
    return {key: session.dialog for key, session in sessions(env).items()
            if isinstance(session.dialog, ReportDraft)}


def detected_languages(env: BotEnv) -> dict[str, str]:
    """The languages detected from first messages, by pseudonym."""
    return {key: session.detected_language for key, session in sessions(env).items()
            if session.detected_language}


def active_surveys(env: BotEnv) -> dict[str, ActiveSurvey]:
    """The surveys people are answering, by pseudonym."""
    return {key: session.survey for key, session in sessions(env).items()
            if session.survey is not None}


def callbacks(calls: list[Any]) -> list[dict[str, Any]]:
    """The answerCallbackQuery parameters among ``calls``."""
    return [c.params for c in calls if c.method == "answerCallbackQuery"]
