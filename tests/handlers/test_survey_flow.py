"""The survey conversation through a real Application, real Update JSON and the offline fake."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from storage import DATABASE_FILE_NAME
from tests.fakebot import ChatUser
from tests.handlers.conftest import BotEnv, callbacks, in_survey, stored_response


async def test_first_question_after_the_note_with_choices_and_no_back(env: BotEnv) -> None:
    user = await in_survey(env)
    texts = user.texts()
    assert "Thank you for taking part." in texts  # the note is shown without waiting
    question = user.last_message()
    assert "Which sector do you work in?" in (question.text or "")
    assert question.button_labels() == ["Garment", "Mining"]  # first question: no Back
    response = await stored_response(env, user)
    assert response is not None and response.current_question == "sector"
    assert dict(response.answers) == {}


async def test_every_question_type_to_submission(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")  # single
    assert "For how many weeks" in (user.last_message().text or "")
    assert "« Back" in user.last_message().button_labels()
    await user.send_text("5")  # number, typed
    await user.press("Pay")  # multi: toggles, nothing stored yet
    assert (await stored_response(env, user)).answers.get("issues") is None
    assert user.last_message().button_labels()[:3] == ["✓ Pay", "Safety", "Hours"]
    await user.press("Safety")
    await user.press("Done")
    assert user.last_message().button_labels()[:5] == ["1", "2", "3", "4", "5"]  # scale row
    await user.press("4")
    assert "Skip" in user.last_message().button_labels()  # optional date
    await user.send_text("2024-02-29")  # date, typed
    await user.send_text("Freedom to organise")  # text, typed
    review = user.last_message()
    assert review.button_labels() == ["Submit", *(f"Change {n}" for n in range(1, 7)), "« Back"]
    for shown in ("Garment", "5", "Pay, Safety", "4", "February 29, 2024", "Freedom to organise"):
        assert shown in (review.text or "")
    calls = await user.press("Submit")
    assert callbacks(calls)[0]["text"] == "Submitted. Thank you!"
    # (other features, e.g. update subscriptions, may add their own message after it)
    # The review keeps the record of what was sent and says thank you under it, in one edit.
    assert review.buttons() == []
    thanks = (review.text or "").split("Thank you! Your answers were submitted.")
    assert len(thanks) == 2 and "Your deletion code:" in thanks[1]
    assert thanks[1].endswith("Use /surveys to see other open surveys.")
    assert "Freedom to organise" in (review.text or "")
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText",
                                         *(c.method for c in calls[2:])]
    response = await stored_response(env, user)
    assert response.submitted
    assert dict(response.answers) == {
        "sector": "garment", "unpaid_weeks": 5, "issues": ("pay", "safety"), "safe": 4,
        "started": "2024-02-29", "remedy": "Freedom to organise",
    }


async def test_a_button_answer_turns_the_question_into_the_next_one(env: BotEnv) -> None:
    user = await in_survey(env)
    question = user.last_message()
    calls = await user.press("Mining")
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]
    assert callbacks(calls)[0]["text"] == "✓ Mining"  # the toast names the answer taken
    assert "Which issues matter most?" in (question.text or "")
    assert user.last_message() is question


async def test_a_typed_answer_costs_one_call_and_the_next_question_follows_it(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    question = user.last_message()
    before = question.text
    calls = await user.send_text("6")
    # The person's own "6" under the question is the record; the question is left alone.
    assert [c.method for c in calls] == ["sendMessage"]
    assert question.text == before
    assert "Which issues" in (user.last_message().text or "")


async def test_skip_logic_passes_irrelevant_questions(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    assert "Which issues matter most?" in (user.last_message().text or "")
    response = await stored_response(env, user)
    assert response.current_question == "issues"


async def test_changed_answer_drops_answers_that_no_longer_apply(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    await user.send_text("3")
    await user.press("« Back")  # back to unpaid_weeks
    await user.press("« Back")  # back to sector
    assert "Which sector" in (user.last_message().text or "")
    assert user.last_message().button_labels()[:2] == ["✓ Garment", "Mining"]
    await user.press("Mining")
    assert "Which issues" in (user.last_message().text or "")
    await user.press("Hours")
    await user.press("Done")
    await user.press("2")
    await user.press("Skip")
    await user.press("Skip")
    review = user.last_message().text or ""
    assert "For how many weeks" not in review
    await user.press("Submit")
    response = await stored_response(env, user)
    assert "unpaid_weeks" not in response.answers
    assert response.answers["started"] is None and response.answers["remedy"] is None


async def test_constraint_error_on_typed_answer_is_shown_and_question_asked_again(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    old_prompt = user.last_message()
    await user.send_text("60")
    asked_again = user.last_message().text or ""
    assert asked_again.startswith("Enter a number between 0 and 52\n\n")  # one message
    assert "For how many weeks" in asked_again
    assert old_prompt.buttons() == []  # only the newest prompt keeps buttons
    response = await stored_response(env, user)
    assert "unpaid_weeks" not in response.answers and response.current_question == "unpaid_weeks"


async def test_not_a_number_is_refused(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    await user.send_text("many")
    assert user.texts()[-1].startswith("Please enter a number, for example 12 or 12.5.")
    assert "unpaid_weeks" not in (await stored_response(env, user)).answers


async def test_constraint_error_on_buttons_is_an_alert_and_nothing_is_stored(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    for label in ("Pay", "Safety", "Hours"):
        await user.press(label)
    calls = await user.press("Done")
    assert callbacks(calls) == [{"callback_query_id": callbacks(calls)[0]["callback_query_id"],
                                 "text": "Choose at most two", "show_alert": True}]
    assert "issues" not in (await stored_response(env, user)).answers
    assert user.last_message().button_labels()[:3] == ["✓ Pay", "✓ Safety", "✓ Hours"]


async def test_required_multi_select_needs_a_choice(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    calls = await user.press("Done")
    assert callbacks(calls)[0]["text"] == "This question needs an answer."


async def test_text_too_long_and_invalid_date(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await user.press("3")
    await user.send_text("31/02/2024")
    assert "date" in user.texts()[-1].split("\n")[0].lower()
    await user.press("Skip")
    await user.send_text("x" * 201)
    assert "201 characters" in user.texts()[-1]
    await user.send_text("short")
    assert user.last_message().button_labels()[0] == "Submit"


async def test_back_keeps_the_answer_and_offers_to_keep_it(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    await user.send_text("8")
    await user.press("« Back")
    prompt = user.last_message()
    assert "Your current answer: 8" in (prompt.text or "")
    assert "Keep answer" in prompt.button_labels()
    assert (await stored_response(env, user)).current_question == "unpaid_weeks"
    await user.press("Keep answer")
    assert "Which issues" in (user.last_message().text or "")
    assert (await stored_response(env, user)).answers["unpaid_weeks"] == 8


async def test_back_from_review_goes_to_the_last_question(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await user.press("1")
    await user.press("Skip")
    await user.press("Skip")
    await user.press("« Back")
    assert "What one reform" in (user.last_message().text or "")
    await user.send_text("Safe exits")
    assert "Safe exits" in (user.last_message().text or "")


async def test_submitting_twice_is_refused(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await user.press("5")
    await user.press("Skip")
    await user.press("Skip")
    review = user.last_message()
    submit = next(b["callback_data"] for b in review.buttons() if b["text"] == "Submit")
    await user.press("Submit")
    first = await stored_response(env, user)
    calls = await user.press_data(submit, review)
    assert callbacks(calls)[0]["text"] == "You have already submitted this survey."
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert await stored_response(env, user) == first


async def test_submitted_participant_is_told_so_instead_of_a_new_survey(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Hours")
    await user.press("Done")
    await user.press("2")
    await user.press("Skip")
    await user.send_text("More inspectors")
    await user.press("Submit")
    await user.command("/start", "workers-voice")
    shown = user.texts()[-1]
    assert shown.startswith("You already submitted “Workers' voice”")
    assert "More inspectors" not in shown  # stored under no pseudonym: only the code finds it
    assert "deletion code" in shown
    await user.command("/surveys")
    assert user.last_message().button_labels() == ["Workers' voice (submitted)"]


async def test_typing_outside_a_survey_explains_what_to_do(env: BotEnv) -> None:
    user = env.user()
    calls = await user.send_text("hello")
    assert [c.text for c in calls] == ["To take a survey, use /surveys. For help, use /help."]


async def test_typing_on_the_review_points_to_submit(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await user.press("5")
    await user.press("Skip")
    await user.press("Skip")
    await user.send_text("one more thing")
    assert "press Submit" in user.texts()[-1]
    assert user.last_message().button_labels()[0] == "Submit"
    assert not (await stored_response(env, user)).submitted


async def test_cancel_leaves_the_survey_and_keeps_the_answers(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Garment")
    prompt = user.last_message()
    await user.command("/cancel")
    assert "You left the survey" in user.texts()[-1]
    assert prompt.buttons() == []
    assert (await stored_response(env, user)).answers["sector"] == "garment"
    await user.send_text("12")  # not taken as an answer while paused
    assert user.texts()[-1] == "Your survey is paused. Use /surveys to continue it."
    assert "unpaid_weeks" not in (await stored_response(env, user)).answers
    await user.command("/cancel")
    assert user.texts()[-1] == "You are not taking a survey right now."
    await user.command("/surveys")
    assert user.last_message().button_labels() == ["Workers' voice (continue)"]
    await user.press("Workers' voice (continue)")
    assert user.texts()[-2] == "Continue where you left off."
    assert "For how many weeks" in user.texts()[-1]


async def test_each_answer_is_committed_before_it_is_acknowledged(env: BotEnv) -> None:
    """When the bot answers the button press, a separate reader already sees the answer."""
    database = env.config.data_dir / DATABASE_FILE_NAME
    seen_at_ack: list[dict[str, Any]] = []
    original = env.telegram.handle

    def handle(method: str, params: dict[str, Any], files: Any) -> Any:
        if method in ("answerCallbackQuery", "editMessageText"):
            with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as reader:
                rows = reader.execute("SELECT answers FROM responses").fetchall()
            seen_at_ack.append(json.loads(rows[0][0]) if rows else {})
        return original(method, params, files)

    user = await in_survey(env)
    env.telegram.handle = handle  # type: ignore[method-assign]  # the fake's answer is replaced
    await user.press("Mining")
    assert seen_at_ack and all(s.get("sector") == "mining" for s in seen_at_ack)


async def test_french_participant_sees_french_labels(env: BotEnv) -> None:
    user = await in_survey(env, title="La voix des travailleurs", language_code="fr-CA")
    assert "Merci de participer." in user.texts()
    assert "Dans quel secteur travaillez-vous ?" in (user.last_message().text or "")
    assert user.last_message().button_labels() == ["Textile", "Mines"]
    response = await stored_response(env, user)
    assert response.language == "fr"


async def test_unknown_language_gets_the_survey_default(env: BotEnv) -> None:
    user = await in_survey(env, language_code="pt-BR")
    assert user.last_message().button_labels() == ["Garment", "Mining"]


async def test_a_stored_language_choice_wins_over_telegram(env: BotEnv) -> None:
    user = await in_survey(env, language_code="en")
    storage = env.services.storage
    await storage.preferences.set_language(storage.secret.participant_key(user.user_id), "fr")
    await user.press("Garment")
    assert "Combien de semaines" in (user.last_message().text or "")


async def finish_to_review(user: ChatUser) -> None:
    await user.press("Garment")
    await user.send_text("5")
    await user.press("Pay")
    await user.press("Done")
    await user.press("3")
    await user.press("Skip")
    await user.press("Skip")


async def test_change_from_the_review_returns_to_the_review(env: BotEnv) -> None:
    user = await in_survey(env)
    await finish_to_review(user)
    review = user.last_message()
    assert review.text is not None and "3. Which issues matter most?" in review.text
    await user.press("Change 3")
    assert "Which issues matter most?" in (user.last_message().text or "")
    await user.press("Hours")
    await user.press("Done")
    review = user.last_message()  # every later question still has its answer: back to review
    assert review.button_labels()[0] == "Submit"
    assert "Pay, Hours" in (review.text or "")
    await user.press("Submit")
    assert (await stored_response(env, user)).answers["issues"] == ("pay", "hours")


async def test_change_that_makes_a_question_relevant_asks_it(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.press("Pay")
    await user.press("Done")
    await user.press("3")
    await user.press("Skip")
    await user.press("Skip")
    await user.press("Change 1")
    await user.press("Garment")
    assert "For how many weeks" in (user.last_message().text or "")  # newly relevant
    await user.send_text("2")
    assert user.last_message().button_labels()[0] == "Submit"


async def test_change_button_of_an_older_review_is_refused(env: BotEnv) -> None:
    user = await in_survey(env)
    await finish_to_review(user)
    old_review = user.last_message()
    change = next(b["callback_data"] for b in old_review.buttons() if b["text"] == "Change 2")
    await user.press("Change 1")
    before = await stored_response(env, user)
    calls = await user.press_data(change, old_review)
    assert callbacks(calls)[0]["text"] == "Please answer the current question first."
    assert await stored_response(env, user) == before
