"""Restarting the bot mid-survey loses nothing: progress lives in storage, not in memory."""

from __future__ import annotations

from tests.handlers.conftest import (
    SURVEY_YAML,
    BotEnv,
    active_surveys,
    in_survey,
    stored_response,
    survey_file,
)


async def test_live_button_of_the_current_question_works_after_a_restart(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    question = user.last_message()  # "Which issues…", buttons still live
    await env.restart()
    await user.press("Hours", question)
    await user.press("Done", question)
    assert "How safe" in (user.last_message().text or "")
    response = await stored_response(env, user)
    assert response.answers == {"sector": "mining", "issues": ("hours",)}


async def test_typed_answer_after_a_restart_shows_the_question_again_first(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    await env.restart()
    assert active_surveys(env) == {}
    await user.send_text("12")
    # The bot cannot know what was on screen before the restart: nothing is stored, and the
    # current question is shown again (see README, "Answering a survey").
    assert "unpaid_weeks" not in (await stored_response(env, user)).answers
    assert "For how many weeks" in (user.last_message().text or "")
    await user.send_text("12")
    assert (await stored_response(env, user)).answers["unpaid_weeks"] == 12
    assert "Which issues" in (user.last_message().text or "")


async def test_reopening_after_a_restart_continues_where_they_left_off(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await env.restart()
    await user.command("/start", "workers-voice")
    texts = user.texts()
    assert texts[-2] == "Continue where you left off."
    assert "How safe do you feel" in texts[-1]
    assert user.last_message().button_labels() == ["1", "2", "3", "4", "5", "« Back"]


async def test_restart_does_not_republish_an_unchanged_survey(env: BotEnv) -> None:
    before = await env.services.storage.surveys.published("workers-voice")
    await env.restart()
    after = await env.services.storage.surveys.published("workers-voice")
    assert before is not None and after is not None and after.version == before.version


async def test_a_new_survey_version_keeps_the_answers_that_still_apply(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    await user.send_text("4")
    changed = SURVEY_YAML.replace(b"max: 5", b"max: 7").replace(
        b"- {id: mining, label: {en: Mining, fr: Mines}}",
        b"- {id: mining, label: {en: Mining, fr: Mines}}\n      - {id: farming, label: {en: Farming}}")
    await env.restart([survey_file(changed)])
    record = await env.services.storage.surveys.published("workers-voice")
    assert record is not None and record.version == 2
    await user.command("/surveys")
    await user.press("Workers' voice (continue)")
    assert "This survey was updated since you started" in user.texts()[-2]
    assert "Which issues" in (user.last_message().text or "")
    response = await stored_response(env, user)
    assert response.version == 2
    assert response.answers == {"sector": "garment", "unpaid_weeks": 4}


async def test_answers_survive_a_stop_and_start(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    await env.stop()
    await env.start()
    assert (await stored_response(env, user)).answers == {"sector": "garment"}


async def test_typing_after_a_new_version_moves_the_answers_over_first(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    changed = SURVEY_YAML.replace(b"max: 5", b"max: 7")
    await env.restart([survey_file(changed)])
    await user.send_text("4")
    assert "This survey was updated since you started" in user.texts()[-2]
    assert "For how many weeks" in user.texts()[-1]
    response = await stored_response(env, user)
    assert response.version == 2 and response.answers == {"sector": "garment"}
    await user.send_text("4")
    assert (await stored_response(env, user)).answers["unpaid_weeks"] == 4
