"""/start, consent, deep links and /surveys: nothing is stored before consent."""

from __future__ import annotations

from tests.handlers.conftest import BotEnv, consented_user, stored_response


async def preferences_of(env: BotEnv, user_id: int):
    storage = env.services.storage
    return await storage.preferences.get(storage.secret.participant_key(user_id))


async def test_start_shows_welcome_notice_and_consent_and_stores_nothing(env: BotEnv) -> None:
    user = env.user()
    await user.command("/start")
    message = user.last_message()
    assert message.text is not None and message.text.startswith("Welcome!")
    assert "Nothing is stored until you agree." in message.text
    assert message.button_labels() == ["I agree"]
    assert await preferences_of(env, user.user_id) is None
    await user.command("/surveys")  # asks for consent again, still stores nothing
    assert user.last_message().button_labels() == ["I agree"]
    await user.send_text("hello")
    assert await preferences_of(env, user.user_id) is None
    assert await stored_response(env, user) is None


async def test_consent_is_stored_under_the_pseudonym_and_shows_the_surveys(env: BotEnv) -> None:
    user = await consented_user(env)
    preferences = await preferences_of(env, user.user_id)
    assert preferences is not None and preferences.consented_on is not None
    assert user.texts()[-2] == "Thank you. You agreed to the privacy notice."
    assert user.last_message().button_labels() == ["Workers' voice"]


async def test_deep_link_asks_consent_then_opens_that_survey(env: BotEnv) -> None:
    user = env.user()
    await user.command("/start", "workers-voice")
    assert user.last_message().button_labels() == ["I agree"]
    assert await stored_response(env, user) is None
    await user.press("I agree")
    assert "Which sector do you work in?" in (user.last_message().text or "")
    assert (await stored_response(env, user)).current_question == "sector"


async def test_deep_link_after_consent_goes_straight_in(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/start", "workers-voice")
    assert "Which sector do you work in?" in (user.last_message().text or "")


async def test_deep_link_to_an_unknown_survey(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/start", "no-such-survey")
    assert user.texts()[-1] == "This survey is not open. Use /surveys to see the open ones."


async def test_returning_participant_is_welcomed_back(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/start")
    assert user.texts()[-2] == "Welcome back!"
    assert user.last_message().button_labels() == ["Workers' voice"]


async def test_no_open_surveys(env: BotEnv) -> None:
    await env.services.storage.surveys.close("workers-voice")
    user = await consented_user(env)
    assert user.texts()[-1] == "There are no open surveys right now. Please come back later."
