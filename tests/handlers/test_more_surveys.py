"""Several open surveys, wide scales, decimals, and surveys that start or end unusually."""

from __future__ import annotations

from tests.handlers.conftest import (
    BotEnv,
    callbacks,
    consented_user,
    in_survey,
    stored_response,
    survey_file,
)

SECOND = b"""
id: town-hall
title: Town hall
languages: [en]
questions:
  - id: rating
    type: scale
    min: 0
    max: 20
    label: "How would you rate the meeting, from 0 to 20?"
  - id: cost
    type: number
    required: false
    label: "How much did you spend on travel?"
  - id: bye
    type: note
    label: "That was all."
"""


async def with_second_survey(env: BotEnv) -> None:
    await env.restart([survey_file(), survey_file(SECOND, "town.yaml")])


async def test_survey_list_shows_every_open_survey(env: BotEnv) -> None:
    await with_second_survey(env)
    user = await consented_user(env)
    assert user.last_message().button_labels() == ["Town hall", "Workers' voice"]


async def test_a_wide_scale_is_typed_and_checked(env: BotEnv) -> None:
    await with_second_survey(env)
    user = await in_survey(env, title="Town hall")
    prompt = user.last_message()
    assert "Type a whole number from 0 to 20." in (prompt.text or "")
    assert prompt.button_labels() == []  # 21 buttons would not fit; no Back on the first
    await user.send_text("25")
    assert "0 to 20" in user.texts()[-1].split("\n\n")[0]  # the reason, then the question
    await user.send_text("17")
    assert (await stored_response(env, user, "town-hall")).answers == {"rating": 17}


async def test_decimal_number_then_a_final_note_before_the_review(env: BotEnv) -> None:
    await with_second_survey(env)
    user = await in_survey(env, title="Town hall")
    await user.send_text("12")
    await user.send_text("7.5")
    texts = user.texts()
    assert texts[-2] == "That was all."
    assert user.last_message().button_labels() == ["Submit", "Change 1", "Change 2", "« Back"]
    assert (await stored_response(env, user, "town-hall")).answers == {"rating": 12, "cost": 7.5}


async def test_after_a_restart_typing_with_two_surveys_in_progress_asks_which(env: BotEnv) -> None:
    await with_second_survey(env)
    user = await in_survey(env, title="Town hall")
    await user.command("/surveys")
    await user.press("Workers' voice")
    await env.restart()
    calls = await user.send_text("13")
    assert [c.text for c in calls if c.method == "sendMessage"] == ["Which survey would you like to take?"]
    assert user.last_message().button_labels() == ["Town hall (continue)", "Workers' voice (continue)"]
    assert (await stored_response(env, user, "town-hall")).answers == {}  # the text was not guessed
    await user.press("Town hall (continue)")
    await user.send_text("13")
    assert (await stored_response(env, user, "town-hall")).answers == {"rating": 13}


async def test_progress_in_one_survey_does_not_answer_another(env: BotEnv) -> None:
    await with_second_survey(env)
    user = await in_survey(env)
    await user.press("Garment")
    await user.command("/surveys")
    await user.press("Town hall")
    await user.send_text("4")
    assert (await stored_response(env, user, "town-hall")).answers == {"rating": 4}
    assert (await stored_response(env, user)).answers == {"sector": "garment"}


async def test_skip_is_refused_on_a_required_question_even_if_forged(env: BotEnv) -> None:
    user = await in_survey(env)
    question = user.last_message()
    from handlers.shared.buttons import pack

    garment = next(b["callback_data"] for b in question.buttons() if b["text"] == "Garment")
    skip = pack(env.services, user.user_id, *garment.split("|")[:4], "s", "")
    calls = await user.press_data(skip, question)
    assert callbacks(calls)[0]["text"] == "This question needs an answer."
    assert (await stored_response(env, user)).answers == {}
