"""/mydata, /forget, /privacy, /help, and what ends up in the data directory."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.handlers.conftest import (
    BotEnv,
    callbacks,
    consented_user,
    deletion_code,
    in_survey,
    stored_response,
)

USER_ID = 5_123_456_789  # needs more than 4 bytes, as many real Telegram ids do
NAME, USERNAME = "Zebulonia", "zeb_unique_handle"


async def finish_survey(env: BotEnv, user_id: int = USER_ID) -> object:
    user = await in_survey(env, user_id, first_name=NAME, username=USERNAME)
    await user.press("Garment")
    await user.send_text("7")
    await user.press("Safety")
    await user.press("Done")
    await user.press("2")
    await user.send_text("2025-01-15")
    await user.send_text("Written contracts")
    await user.press("Submit")
    return user


def id_patterns(user_id: int) -> dict[str, bytes]:
    """How a Telegram id could appear in a file: as text, or as a stored integer."""
    return {
        "decimal": str(user_id).encode(),
        "int64 big-endian": struct.pack(">q", user_id),
        "int64 little-endian": struct.pack("<q", user_id),
        "int48 big-endian (SQLite)": struct.pack(">q", user_id)[2:],
        "name": NAME.encode(),
        "username": USERNAME.encode(),
    }


async def test_no_telegram_id_or_name_in_the_data_directory(env: BotEnv) -> None:
    await finish_survey(env)
    other = await in_survey(env, USER_ID + 1)  # an in-progress response too
    await other.press("Mining")
    await env.stop()  # checkpoint: everything is in the files now
    files = [p for p in Path(env.config.data_dir).rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in files)
    # The scan looks at the right bytes: the answers themselves are there.
    assert any(b"Written contracts" in p.read_bytes() for p in files)
    for path in files:
        content = path.read_bytes()
        for what, pattern in id_patterns(USER_ID).items():
            assert pattern not in content, f"{what} of the participant found in {path.name}"
    await env.start()


async def test_mydata_shows_consent_and_that_answers_need_the_deletion_code(env: BotEnv) -> None:
    user = await finish_survey(env)
    await user.command("/mydata")
    shown = user.texts()[-1]
    assert shown.startswith("This is everything stored about you:")
    assert "You agreed to the privacy notice on" in shown
    assert "“Workers' voice”: you submitted answers." in shown
    assert "deletion code" in shown
    assert "Written contracts" not in shown  # the pseudonym does not lead to the answers


async def test_submission_shows_a_deletion_code_that_shows_and_erases_the_answers(
    env: BotEnv,
) -> None:
    user = await finish_survey(env)
    code = deletion_code(user)
    assert code is not None
    (thanks,) = [text for text in user.texts() if f"Your deletion code: {code}" in text]
    assert "nobody, not even the server, can find which answers are yours" in thanks

    await user.command("/mydata", code.lower().replace("-", " "))  # typed loosely
    shown = user.texts()[-1]
    assert "“Workers' voice”: submitted on" in shown
    assert "Written contracts" in shown and "Garment" in shown

    await user.command("/mydata", "0000-0000-0000-0000")
    assert user.texts()[-1] == "No submitted answers match this code. Check it and try again."

    await user.command("/forget", code)
    assert user.texts()[-1].startswith("Done: the answers of this code were erased.")
    assert (await env.services.storage.responses.counts("workers-voice")).submitted == 0
    await user.command("/mydata", code)
    assert user.texts()[-1] == "No submitted answers match this code. Check it and try again."


async def test_wrong_deletion_codes_are_throttled(env: BotEnv) -> None:
    user = await consented_user(env)
    for _ in range(5):
        await user.command("/mydata", "0000-0000-0000-0000")
    await user.command("/forget", "0000-0000-0000-0000")
    assert user.texts()[-1].startswith("Too many wrong codes were tried from this account.")


async def test_mydata_shows_answers_in_progress(env: BotEnv) -> None:
    user = await in_survey(env)
    await user.press("Mining")
    await user.command("/mydata")
    shown = user.texts()[-1]
    assert "“Workers' voice”: in progress, last changed on" in shown
    assert "Mining" in shown


async def test_mydata_for_a_stranger(env: BotEnv) -> None:
    user = env.user()
    await user.command("/mydata")
    assert user.texts()[-1] == "Nothing is stored about you."


async def test_forget_asks_first_and_no_keeps_everything(env: BotEnv) -> None:
    user = await finish_survey(env)
    await user.command("/forget")
    assert user.last_message().button_labels() == ["Yes, erase everything", "No, keep my data"]
    await user.press("No, keep my data")
    assert user.texts()[-1] == "Nothing was erased."
    assert (await stored_response(env, user)).submitted


async def test_forget_erases_responses_preferences_and_feature_data(env: BotEnv) -> None:
    erased_ids: list[int] = []

    async def eraser(user_id: int) -> None:
        erased_ids.append(user_id)

    env.services.erasers.append(eraser)
    user = await finish_survey(env)
    other = await in_survey(env, 42, first_name="Other", username="other")
    await other.press("Mining")
    await user.command("/forget")
    calls = await user.press("Yes, erase everything")
    assert callbacks(calls)[0]["text"] == "Erased."
    # The draft-less participant: no draft erased; the marker stays (one response each).
    assert user.texts()[-1] == "Done: 0 survey responses and your settings were erased."
    assert (await stored_response(env, user)).submitted
    storage = env.services.storage
    assert await storage.preferences.get(storage.secret.participant_key(user.user_id)) is None
    assert erased_ids == [USER_ID]
    assert (await stored_response(env, other)).answers == {"sector": "mining"}  # others untouched
    await user.command("/start")
    assert user.last_message().button_labels() == ["I agree"]  # consent is gone too


async def test_privacy_explains_the_model(env: BotEnv) -> None:
    user = env.user()
    await user.command("/privacy")
    text = user.texts()[-1]
    for phrase in ("never stored with your answers", "/mydata", "/forget", "What Telegram sees"):
        assert phrase in text


async def test_help_lists_participant_commands_and_moderator_ones_only_for_admins(env: BotEnv) -> None:
    user = env.user()
    await user.command("/help")
    text = user.texts()[-1]
    for command in ("/start", "/surveys", "/privacy", "/mydata", "/forget", "/cancel", "/help"):
        assert command in text
    assert "For moderators:" not in text


async def test_command_menus_are_set_in_every_language(env: BotEnv) -> None:
    calls = env.telegram.calls_to("setMyCommands")
    participant = [c for c in calls if c.params["scope"]["type"] == "all_private_chats"]
    assert {c.params.get("language_code") for c in participant} == {
        None, *[lang for lang in env.services.translations.languages if lang != "en"]}
    names = [c["command"] for c in participant[0].params["commands"]]
    assert names[:2] == ["start", "surveys"] and names[-1] == "help"
    assert {"privacy", "mydata", "forget", "cancel"} <= set(names)


async def test_consent_then_cancel_without_a_survey(env: BotEnv) -> None:
    user = await consented_user(env)
    await user.command("/cancel")
    assert user.texts()[-1] == "You are not taking a survey right now."


async def test_help_shows_moderator_commands_to_an_admin_only(env: BotEnv) -> None:
    from bot.context import CommandScope
    from handlers.shared.commands import add_command

    assert env.app is not None
    add_command(env.app, "testmod", "Moderate the test", CommandScope.MODERATOR)
    admin = env.user(4242, first_name="Admin", username="admin")  # in CONSULTBOT_ADMINS
    await admin.command("/help")
    assert "For moderators:" in admin.texts()[-1]
    assert "/testmod \N{EN DASH} Moderate the test" in admin.texts()[-1]
    participant = env.user(99)
    await participant.command("/help")
    assert "/testmod" not in participant.texts()[-1]


async def test_mydata_includes_what_other_features_keep(env: BotEnv) -> None:
    async def describer(user_id: int, tr: object) -> list[str]:
        return [f"You follow 1 survey ({user_id == USER_ID})"]

    env.services.describers.append(describer)
    user = await consented_user(env, USER_ID)
    await user.command("/mydata")
    assert "You follow 1 survey (True)" in user.texts()[-1]
