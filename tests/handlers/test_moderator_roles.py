"""Moderator roles, report routing and the second factor, through the bot (fake Bot API)."""

from __future__ import annotations

import dataclasses

import pyotp

from bot.report_jobs import send_digest
from storage import DATABASE_FILE_NAME
from storage.audit import moderator_actor
from tests.fakebot import ChatUser, sent_texts
from tests.handlers.conftest import BotEnv
from tests.handlers.moderator_helpers import enrol, fresh_code, wall_clock
from tests.handlers.report_helpers import (
    BODY,
    MODERATOR_ID,
    file_report,
    report_id_of,
    texts_to,
)
from tests.moderation_fixtures import seed

REFUSAL = "Sorry, this command is for moderators."
ANALYST, HANDLER, WAGES_HANDLER, SAFETY_HANDLER = 7_600_001, 7_600_002, 7_600_003, 7_600_004


async def _with_categories(env: BotEnv) -> None:
    env.config = dataclasses.replace(env.config, report_categories=("wages", "safety"))
    await env.restart()


async def _add(env: BotEnv, admin: ChatUser, user_id: int, role: str) -> ChatUser:
    assert sent_texts(await admin.command("/addmod", str(user_id), role))[0].startswith(
        f"{user_id} is now")
    return env.user(user_id)


async def test_each_role_gets_only_its_commands_and_the_strangers_refusal(env: BotEnv) -> None:
    await seed(env.services.storage)
    admin = env.user(MODERATOR_ID)
    await fresh_code(env, admin)
    analyst = await _add(env, admin, ANALYST, "analyst")
    handler = await _add(env, admin, HANDLER, "handler")
    stranger = env.user(7_600_099)
    for command, args in [("/summary", ("wages-2026",)), ("/export", ("wages-2026", "csv")),
                          ("/publish", ("x",)), ("/announce", ("wages-2026",))]:
        refused = sent_texts(await stranger.command(command, *args))
        assert refused == [REFUSAL]
        # A handler cannot export or see summaries: byte for byte the stranger's refusal.
        assert sent_texts(await handler.command(command, *args)) == refused
    # An analyst cannot read reports, nor manage moderators or read the audit log.
    for command in ("/reports", "/mods", "/audit"):
        assert sent_texts(await analyst.command(command)) == [REFUSAL]
    assert sent_texts(await analyst.command("/addmod", "1", "admin")) == [REFUSAL]
    summary = await analyst.command("/summary", "wages-2026")
    assert sent_texts(summary) and sent_texts(summary)[0] != REFUSAL
    export = await analyst.command("/export", "wages-2026", "csv")
    assert [c.method for c in export].count("sendDocument") == 1
    assert sent_texts(await handler.command("/reports"))[0].startswith("Open reports")


async def test_a_handler_of_wages_never_sees_a_safety_report_or_its_digest(env: BotEnv) -> None:
    await _with_categories(env)
    assert env.app is not None
    admin = env.user(MODERATOR_ID)
    await fresh_code(env, admin)
    wages = await _add(env, admin, WAGES_HANDLER, "handler:wages")
    await _add(env, admin, SAFETY_HANDLER, "handler:safety")
    await _add(env, admin, ANALYST, "analyst")
    safety_id = await report_id_of(env, await file_report(env.user(7_600_010), category="safety"))
    await send_digest(env.app)
    # The digest is routed like the reports: counts of one's own categories only.
    assert texts_to(env, WAGES_HANDLER)[-1].startswith(
        "Reports digest. Waiting for triage: 0. Open in total: 0.")
    assert "Waiting for triage: 1. Open in total: 1." in texts_to(env, SAFETY_HANDLER)[-1]
    assert "Waiting for triage: 1." in texts_to(env, MODERATOR_ID)[-1]
    assert not [t for t in texts_to(env, ANALYST) if t.startswith("Reports digest")]

    await wages.command("/reports", "all")
    assert safety_id not in (wages.last_message().text or "")
    # Even with the button of another handler's listing, the report stays closed to them.
    safety = env.user(SAFETY_HANDLER)
    await fresh_code(env, safety)
    await safety.command("/reports")
    listing = safety.message_with_button(f"Open {safety_id}")
    await fresh_code(env, wages)
    button = next(b for b in listing.buttons() if b["text"] == f"Open {safety_id}")
    calls = await wages.press_data(button["callback_data"], listing)
    assert BODY not in " ".join(c.params.get("text", "") for c in calls)
    answered = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answered and answered[0].params.get("text") == "Sorry, this is for moderators."


async def test_opening_a_report_needs_a_valid_recent_code(env: BotEnv) -> None:
    report_id = await report_id_of(env, await file_report(env.user(7_600_020)))
    admin = env.user(MODERATOR_ID)

    async def opened() -> str:
        await admin.command("/reports")
        calls = await admin.press(f"Open {report_id}")
        return " ".join(c.params.get("text", "") for c in calls if c.method == "sendMessage")

    text = await opened()
    assert BODY not in text and "Set one up with /2fa" in text
    secret = await enrol(env, admin)
    clock = wall_clock(env)
    assert BODY in await opened()

    # The window closes after moderator_2fa_fresh_minutes (15 by default), and the sweep
    # forgets it from memory.
    codes = env.services.fresh_codes
    start = codes.clock()
    codes.clock = lambda: start + 15 * 60 + 1
    assert codes.verified
    codes.sweep(15 * 60)
    assert not codes.verified
    text = await opened()
    assert BODY not in text and "Send /2fa followed by the 6-digit code" in text
    # A wrong code, and a code already used, are refused.
    assert "not right" in sent_texts(await admin.command("/2fa", "000000"))[-1]
    used = pyotp.TOTP(secret).at(clock.now)
    assert "not right" in sent_texts(await admin.command("/2fa", used))[-1]
    assert BODY not in await opened()
    clock.tick()
    assert "Code accepted" in sent_texts(
        await admin.command("/2fa", pyotp.TOTP(secret).at(clock.now)))[-1]
    assert BODY in await opened()


async def test_enrolment_is_deleted_and_the_secret_is_never_stored_in_clear(
        env: BotEnv) -> None:
    admin = env.user(MODERATOR_ID)
    calls = await admin.command("/2fa")
    photo = next(c for c in calls if c.method == "sendPhoto")
    assert photo.files and next(iter(photo.files.values()))[1].startswith(b"\x89PNG")
    secret = await enrol(env, admin)  # a second /2fa before confirming starts over
    # Both enrolment messages (the abandoned one too) are gone from the chat.
    assert len(env.telegram.calls_to("sendPhoto")) == 2
    assert not [m for m in env.telegram.chat_messages(MODERATOR_ID) if m.method == "sendPhoto"]
    await env.stop()
    raw = b""
    for path in (env.config.data_dir).iterdir():
        if path.name.startswith(DATABASE_FILE_NAME):
            raw += path.read_bytes()
    assert secret.encode() not in raw
    await env.start()


async def test_a_removed_or_reset_moderator_loses_access_and_dialogs_at_once(
        env: BotEnv) -> None:
    report_id = await report_id_of(env, await file_report(env.user(7_600_030)))
    admin = env.user(MODERATOR_ID)
    await fresh_code(env, admin)
    handler = await _add(env, admin, HANDLER, "handler")
    await fresh_code(env, handler)
    await handler.command("/reports")
    await handler.press(f"Open {report_id}")
    await handler.press("Reply")  # a reply dialog waits for their text
    assert sent_texts(await admin.command("/delmod", str(HANDLER))) == [
        f"{HANDLER} is no longer a moderator."]
    assert env.services.peek_session(HANDLER) is None
    await handler.send_text("this must not be stored")
    report = await env.services.storage.reports.get(report_id)
    assert not [item for item in report.items if item.kind == "reply"]
    assert sent_texts(await handler.command("/reports")) == [REFUSAL]
    # Their factor went with them.
    actor = moderator_actor(env.services.storage.secret, HANDLER)
    assert await env.services.storage.second_factors.get(actor) is None

    # An admin resets a factor (e.g. a lost phone): the moderator must enrol again.
    handler = await _add(env, admin, HANDLER, "handler")
    await enrol(env, handler)
    reset = sent_texts(await admin.command("/2fa", "reset", str(HANDLER)))
    assert reset == [f"The second factor of {HANDLER} is erased; they set up a new one with /2fa."]
    assert await env.services.storage.second_factors.get(actor) is None
    actions = [e.action for e in await env.services.storage.audit.entries()]
    assert {"moderator.add", "moderator.remove", "2fa.reset"} <= set(actions)


async def test_notes_are_sealed_and_shown_only_to_handlers(env: BotEnv) -> None:
    report_id = await report_id_of(env, await file_report(env.user(7_600_040)))
    admin = env.user(MODERATOR_ID)
    await fresh_code(env, admin)
    await admin.command("/reports")
    await admin.press(f"Open {report_id}")
    await admin.press("Internal note")
    await admin.send_text("Called the union rep; waiting for payslips.")
    assert sent_texts(admin.telegram.calls[-1:]) == [f"Note saved to report {report_id}."]
    await admin.press("Assign to me")
    await admin.command("/reports")
    calls = await admin.press(f"Open {report_id}")
    text = " ".join(c.params.get("text", "") for c in calls if c.method == "sendMessage")
    assert "Called the union rep" in text and "Assigned to you." in text
    # The reporter sees replies, never notes.
    view = await env.services.storage.reports.reporter_view(report_id)
    assert not view.replies


async def test_the_audit_log_in_the_chat_names_no_moderator(env: BotEnv) -> None:
    admin = env.user(MODERATOR_ID)
    await fresh_code(env, admin)
    analyst = await _add(env, admin, ANALYST, "analyst")
    handler = await _add(env, admin, HANDLER, "handler:labour_rights")
    count, head = await env.services.storage.audit.head()
    shown = sent_texts(await admin.command("/audit"))[0]
    assert shown.startswith(f"Audit log: {count} entries; head hash {head}")
    assert "moderator.add" in shown and str(ANALYST) not in shown
    assert str(HANDLER) not in shown and analyst.user_id == ANALYST
    assert handler.user_id == HANDLER
