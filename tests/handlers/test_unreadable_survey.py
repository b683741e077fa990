"""A stored survey this release cannot read is skipped, and the admins are told about it."""

from __future__ import annotations

import sqlite3

from tests.handlers.conftest import BotEnv, consented_user, survey_file
from tests.handlers.test_more_surveys import SECOND

ADMIN = 4242  # an admin in the env fixture


async def test_an_unreadable_survey_is_skipped_and_reported_to_admins(env: BotEnv) -> None:
    await env.restart([survey_file(), survey_file(SECOND, "town.yaml")])

    def damage(connection: sqlite3.Connection) -> None:
        connection.execute("UPDATE surveys SET definition = '{\"format\": 99}' "
                           "WHERE survey_id = 'town-hall'")

    await env.services.storage.db.write(damage)
    await env.restart([survey_file()])  # the damaged one is no longer among the files
    told = [call.params["text"] for call in env.telegram.calls_to("sendMessage")
            if call.params.get("chat_id") == ADMIN]
    assert any("town-hall (version 1, published)" in text and "skipped" in text
               for text in told)
    # Everyone else goes on: the readable survey is listed and can be opened.
    user = await consented_user(env, 7_100_001)
    assert user.last_message().button_labels() == ["Workers' voice"]
    await user.press("Workers' voice")
    assert "Which sector do you work in?" in (user.last_message().text or "")


async def test_nothing_is_sent_when_every_survey_reads(env: BotEnv) -> None:
    await env.restart()
    told = [call for call in env.telegram.calls_to("sendMessage")
            if call.params.get("chat_id") == ADMIN]
    assert told == []
