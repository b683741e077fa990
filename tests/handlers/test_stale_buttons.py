"""Stale, forged, foreign and closed-survey buttons get a polite answer and change nothing."""

from __future__ import annotations

import asyncio

from tests.fakebot import BotMessage, ChatUser
from tests.handlers.conftest import BotEnv, callbacks, in_survey, stored_response

NOT_VALID = "This button is not valid any more."
EARLIER = "That was for an earlier question. Here is the current one."


def data_of(message: BotMessage, label: str) -> str:
    return next(b["callback_data"] for b in message.buttons() if b["text"] == label)


async def assert_nothing_changed(env: BotEnv, user: ChatUser, calls: list, text: str,
                                 before: object) -> None:
    assert callbacks(calls)[0].get("text") == text
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert await stored_response(env, user) == before


async def test_button_of_an_answered_question(env: BotEnv) -> None:
    user = await in_survey(env)
    question = user.last_message()
    mining = data_of(question, "Mining")
    await user.press("Garment")
    before = await stored_response(env, user)
    calls = await user.press_data(mining, question)
    # The pressed message already shows the current question: the toast says so, nothing more.
    await assert_nothing_changed(env, user, calls, EARLIER, before)


async def test_button_of_an_older_message_after_going_back(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    issues = user.last_message()
    pay = data_of(issues, "Pay")
    await user.press("« Back")
    before = await stored_response(env, user)
    calls = await user.press_data(pay, issues)
    await assert_nothing_changed(env, user, calls, EARLIER, before)


async def test_forged_data_is_refused(env: BotEnv) -> None:
    user = await in_survey(env)
    question = user.last_message()
    before = await stored_response(env, user)
    genuine = data_of(question, "Garment")
    fields = genuine.split("|")
    altered = "|".join([*fields[:5], "1", fields[6]])  # choose "Mining" with Garment's tag
    for forged in (altered, "a|x|1|1|v|0|AAAAAAAA", "garbage", "r|x|1|submit|zzzz", "o||"):
        calls = await user.press_data(forged, question)
        await assert_nothing_changed(env, user, calls, NOT_VALID, before)


async def test_a_button_made_for_someone_else_is_refused(env: BotEnv) -> None:
    alice = await in_survey(env, 7_000_001)
    bob = await in_survey(env, 7_000_002, first_name="Bob", username="bob")
    bobs_before = await stored_response(env, bob)
    alices_button = data_of(alice.last_message(), "Garment")
    calls = await bob.press_data(alices_button, bob.last_message())
    await assert_nothing_changed(env, bob, calls, NOT_VALID, bobs_before)


async def test_button_of_a_closed_survey(env: BotEnv) -> None:
    user = await in_survey(env)
    question = user.last_message()
    await env.services.storage.surveys.close("workers-voice")
    calls = await user.press("Garment", question)
    assert callbacks(calls)[0]["text"] == "This survey is closed."
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert await stored_response(env, user) is None  # closing erased unfinished answers


async def test_survey_list_button_of_a_closed_survey(env: BotEnv) -> None:
    user = env.user()
    await user.command("/start")
    await user.press("I agree")
    listing = user.last_message()
    await env.services.storage.surveys.close("workers-voice")
    calls = await user.press("Workers' voice", listing)
    assert callbacks(calls)[0]["text"] == "This survey is closed."


async def test_review_button_while_a_question_is_current(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await user.press("3")
    await user.press("Skip")
    await user.press("Skip")
    review = user.last_message()
    submit = data_of(review, "Submit")
    await user.press("« Back", review)
    before = await stored_response(env, user)
    calls = await user.press_data(submit, review)
    assert callbacks(calls)[0]["text"] == "Please answer the current question first."
    assert await stored_response(env, user) == before and not before.submitted
    # The old review is not where the person is: the current question is shown again.
    shown = user.last_message()
    assert (shown.text or "").startswith("Please answer the current question first.\n\n")
    assert "What one reform would help most?" in (shown.text or "")
    assert "Skip" in shown.button_labels()


async def test_multi_select_mask_out_of_range_is_refused(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    question = user.last_message()
    before = await stored_response(env, user)
    # A genuine tag cannot be made for a forged mask, so build the data as the bot would.
    from handlers.shared.buttons import pack
    fields = data_of(question, "Done").split("|")[:5]
    forged = pack(env.services, user.user_id, *fields, "ff")
    calls = await user.press_data(forged, question)
    await assert_nothing_changed(env, user, calls, NOT_VALID, before)


async def test_double_tap_records_one_answer_and_asks_the_next_question_once(env: BotEnv) -> None:
    user = await in_survey(env)
    question = user.last_message()
    garment = data_of(question, "Garment")
    before = len(env.telegram.calls)
    await asyncio.gather(user.press_data(garment, question), user.press_data(garment, question))
    calls = env.telegram.calls[before:]
    asked = [c for c in calls if c.method in ("sendMessage", "editMessageText")
             and "For how many weeks" in (c.text or "")]
    assert len(asked) == 1
    texts = [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert sorted(texts) == [EARLIER, "✓ Garment"]
    assert (await stored_response(env, user)).current_question == "unpaid_weeks"


async def test_every_button_fits_in_64_bytes(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    await user.send_text("1")
    await user.press("Pay")
    await user.press("Done")
    await user.press("5")
    await user.press("Skip")
    await user.send_text("x")
    await user.command("/forget")
    markups = [c.params.get("reply_markup") for c in env.telegram.calls if c.params.get("reply_markup")]
    buttons = [b for m in markups for row in m["inline_keyboard"] for b in row]
    assert buttons
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)


async def test_double_tap_on_a_survey_button_asks_the_first_question_once(env: BotEnv) -> None:
    user = env.user()
    await user.command("/start")
    await user.press("I agree")
    listing = user.last_message()
    data = data_of(listing, "Workers' voice")
    before = len(env.telegram.calls)
    await asyncio.gather(user.press_data(data, listing), user.press_data(data, listing))
    asked = [c for c in env.telegram.calls[before:]
             if c.method == "sendMessage" and "Which sector" in (c.text or "")]
    assert len(asked) == 2  # the second tap re-shows the question ("Continue where you left off")
    live = [m for m in user.messages() if "Garment" in m.button_labels()]
    assert len(live) == 1  # but only the newest one keeps its buttons
