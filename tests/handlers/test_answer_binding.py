"""An answer belongs to the question it answered: doubles, stale buttons and restarts.

Each test drives the real application with real ``Update`` JSON. A message "written" before
the bot's next question is built (and so numbered by Telegram) before that question exists,
then processed later, which is what a double tap, a flaky connection or a redelivery after a
restart look like to the bot.
"""

from __future__ import annotations

from typing import Any

from tests.fakebot import ChatUser
from tests.handlers.conftest import BotEnv, callbacks, in_survey, stored_response
from tests.handlers.moderator_helpers import fresh_code

EARLIER = "That was for an earlier question. Here is the current one."
UNKNOWN = ("I cannot tell which question your message was meant for, so it was not saved. "
           "Here is the current question; please answer it again.")


def written(user: ChatUser, text: str) -> dict[str, Any]:
    """The update of a message typed now, to be processed later."""
    return {"update_id": user.telegram.next_update_id(), "message": user._message_json(text=text)}


async def at_the_date_question(env: BotEnv) -> ChatUser:
    """A user looking at the optional date question, followed by the free-text one."""
    user = await in_survey(env)
    for label in ("Mining", "Pay", "Done", "3"):
        await user.press(label)
    assert "When did you start this job?" in (user.last_message().text or "")
    return user


async def test_a_date_sent_twice_is_not_stored_as_the_next_free_text_answer(env: BotEnv) -> None:
    user = await at_the_date_question(env)
    first, second = written(user, "2024-02-29"), written(user, "2024-02-29")
    await user.process(first)
    assert "What one reform would help most?" in (user.last_message().text or "")
    await user.process(second)
    response = await stored_response(env, user)
    assert response.answers["started"] == "2024-02-29"
    assert "remedy" not in response.answers
    assert response.current_question == "remedy"
    shown = user.last_message()
    assert (shown.text or "").startswith(EARLIER + "\n\n")
    assert "What one reform would help most?" in (shown.text or "")
    # Their real answer to the free-text question is then taken.
    await user.send_text("Freedom to organise")
    assert (await stored_response(env, user)).answers["remedy"] == "Freedom to organise"
    assert user.last_message().button_labels()[0] == "Submit"


async def test_a_message_typed_before_a_button_press_is_not_taken_for_the_next_question(
        env: BotEnv) -> None:
    user = await in_survey(env)
    typed = written(user, "Garment")  # typed, then the button pressed; processed in reverse
    await user.press("Garment")
    assert "For how many weeks" in (user.last_message().text or "")
    await user.process(typed)
    response = await stored_response(env, user)
    assert "unpaid_weeks" not in response.answers
    assert (user.last_message().text or "").startswith(EARLIER)


async def test_a_button_of_an_older_question_shows_the_current_one(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    weeks = user.last_message()
    back = next(b["callback_data"] for b in weeks.buttons() if b["text"] == "« Back")
    await user.send_text("4")  # typed: "Which issues…" comes as a new message
    issues = user.last_message()
    before = await stored_response(env, user)
    calls = await user.press_data(back, weeks)
    assert callbacks(calls)[0]["text"] == EARLIER
    assert await stored_response(env, user) == before
    assert weeks.buttons() == []  # the stale message no longer invites presses
    shown = user.last_message()
    assert shown is not issues and "Which issues matter most?" in (shown.text or "")
    assert shown.button_labels()[:3] == ["Pay", "Safety", "Hours"]
    await user.press("Safety", shown)
    await user.press("Done", shown)
    assert (await stored_response(env, user)).answers["issues"] == ("safety",)


async def test_after_a_restart_a_stale_button_shows_the_current_question(env: BotEnv) -> None:
    user = await in_survey(env)
    first = user.last_message()
    mining = next(b["callback_data"] for b in first.buttons() if b["text"] == "Mining")
    await user.press("Garment")
    await user.send_text("4")
    await env.restart()
    before = await stored_response(env, user)
    calls = await user.press_data(mining, first)
    assert callbacks(calls)[0]["text"] == EARLIER
    assert await stored_response(env, user) == before
    assert "Which issues matter most?" in (user.last_message().text or "")
    await user.press("Hours")
    await user.press("Done")
    assert (await stored_response(env, user)).answers["issues"] == ("hours",)


async def test_an_update_redelivered_after_a_restart_is_not_stored_again(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await user.press("3")
    date = written(user, "2024-02-29")
    await user.process(date)  # stored; the bot is killed before Telegram learns it was handled
    await env.restart()
    await user.process(date)  # Telegram delivers the same update again
    response = await stored_response(env, user)
    assert response.answers["started"] == "2024-02-29" and "remedy" not in response.answers
    shown = user.last_message().text or ""
    assert shown.startswith(UNKNOWN) and "What one reform would help most?" in shown


async def test_after_a_restart_a_typed_message_shows_the_question_and_the_next_is_taken(
        env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    await env.restart()
    calls = await user.send_text("4")
    assert [c.method for c in calls] == ["sendMessage"]
    assert (calls[0].text or "").startswith(UNKNOWN)
    assert "unpaid_weeks" not in (await stored_response(env, user)).answers
    await user.send_text("4")
    assert (await stored_response(env, user)).answers["unpaid_weeks"] == 4


async def test_a_4096_character_answer_to_a_multi_select_gets_a_clear_refusal(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    calls = await user.send_text("z" * 4096)
    sent = [c for c in calls if c.method == "sendMessage"]
    assert len(sent) == 1 and len(sent[0].text or "") <= 4096
    assert "is not one of the options" in (sent[0].text or "")
    assert "Which issues matter most?" in (sent[0].text or "")
    assert "issues" not in (await stored_response(env, user)).answers


async def test_forged_button_data_with_other_bytes_is_refused(env: BotEnv) -> None:
    user = await in_survey(env)
    question = user.last_message()
    before = await stored_response(env, user)
    for forged in ("a|é|1|1|v|0|AAAAAAAA", "ü", "a|x|99999999999999999999|1|v|0|tag",
                   "\x00|\x01", "o|" + "x" * 60):
        calls = await user.press_data(forged, question)
        assert [c.method for c in calls] == ["answerCallbackQuery"]
        assert callbacks(calls)[0]["text"] == "This button is not valid any more."
    assert await stored_response(env, user) == before


async def test_addmod_with_an_id_too_large_for_telegram_gets_the_usage(env: BotEnv) -> None:
    admin = env.user(4242, first_name="Admin", username="admin")
    await fresh_code(env, admin)  # adding moderators needs a fresh second factor
    for argument in (str(2**63), str(2**64 + 5), "9" * 400, "-5", "0"):
        calls = await admin.command("/addmod", argument, "analyst")
        texts = [c.text or "" for c in calls if c.method == "sendMessage"]
        assert texts and texts[-1].startswith("Usage: /addmod <user id>"), texts
    assert await env.services.storage.moderators.list() == []
