"""Typed free-text answers are stored with the language detected in them."""

from __future__ import annotations

from surveys.tally import UNDETERMINED
from tests.fakebot import ChatUser
from tests.handlers.conftest import BotEnv, in_survey, stored_response


async def _to_the_text_question(env: BotEnv) -> ChatUser:
    user = await in_survey(env)
    await user.press("Garment")
    await user.send_text("5")
    await user.press("Pay")
    await user.press("Done")
    await user.press("4")
    await user.send_text("2024-02-29")
    return user


async def test_a_french_text_answer_is_stored_with_its_language(env: BotEnv) -> None:
    user = await _to_the_text_question(env)
    await user.send_text("Le droit de former un syndicat sans être licencié pour cela")

    response = await stored_response(env, user)
    assert response.answers["remedy"] == "Le droit de former un syndicat sans être licencié pour cela"
    assert dict(response.text_languages) == {"remedy": "fr"}
    await user.press("Submit")
    assert dict((await stored_response(env, user)).text_languages) == {"remedy": "fr"}


async def test_a_short_text_answer_is_stored_as_undetermined(env: BotEnv) -> None:
    user = await _to_the_text_question(env)
    await user.send_text("Safe exits")

    response = await stored_response(env, user)
    assert response.answers["remedy"] == "Safe exits"
    assert dict(response.text_languages) == {"remedy": UNDETERMINED}
    # Answers that are not text carry no language.
    assert set(response.text_languages) == {"remedy"}
