"""One owner per input: each mode's text, photo, button and /cancel reach one feature.

Every test puts a real person (real Update JSON through the real Application) into one
:class:`bot.sessions.InputMode`, then checks that a typed message, a photo and a button
press each have the effect of that mode's owner, and that no other feature reacted
(the survey answers, the report, the outbox stay as they were).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from telegram.ext import CommandHandler, MessageHandler

from bot.sessions import InputMode
from handlers.shared.router import ModeOwner, Router
from tests.fakebot import sent_texts
from tests.handlers.conftest import (
    SURVEY_ID,
    BotEnv,
    consented_user,
    in_survey,
    report_drafts,
    stored_response,
)
from tests.handlers.moderator_helpers import fresh_code
from tests.handlers.modes import CASES, Setup, mode_of
from tests.handlers.report_helpers import (
    MODERATOR_ID,
    file_report,
    jpeg_with_exif,
    report_id_of,
    start_report,
)

NOT_TAKEN = ("Photos and files are only taken with a report (/report). Nothing of this one "
             "was kept.")
USE_BUTTONS = "Please use the buttons above first."


async def nothing_queued(env: BotEnv) -> bool:
    return await env.services.storage.outbox.due(now=1e12) == []


async def test_idle(env: BotEnv) -> None:
    user = await consented_user(env)
    assert mode_of(env, user) is InputMode.IDLE
    assert sent_texts(await user.send_text("hello there")) == [
        "To take a survey, use /surveys. For help, use /help."]
    assert sent_texts(await user.send_photo(jpeg_with_exif())) == [NOT_TAKEN]
    assert await stored_response(env, user) is None
    await user.press("Workers' voice")  # a button of the survey list: the survey opens
    assert mode_of(env, user) is InputMode.SURVEY_ANSWER
    assert "Which sector" in (user.last_message().text or "")


async def test_consent(env: BotEnv) -> None:
    user = env.user()
    await user.command("/start")
    assert mode_of(env, user) is InputMode.CONSENT
    calls = await user.send_text("what is this?")
    assert len(sent_texts(calls)) == 1 and user.last_message().button_labels() == ["I agree"]
    assert sent_texts(await user.send_photo(jpeg_with_exif())) == [NOT_TAKEN]
    storage = env.services.storage
    assert await storage.preferences.get(storage.secret.participant_key(user.user_id)) is None
    await user.press("I agree")
    assert mode_of(env, user) is InputMode.IDLE
    preferences = await storage.preferences.get(storage.secret.participant_key(user.user_id))
    assert preferences is not None and preferences.consented_on is not None


async def test_survey_answer(env: BotEnv) -> None:
    user = await in_survey(env)
    assert mode_of(env, user) is InputMode.SURVEY_ANSWER
    await user.press("Garment")
    await user.send_text("12")
    assert (await stored_response(env, user)).answers["unpaid_weeks"] == 12
    assert sent_texts(await user.send_photo(jpeg_with_exif())) == [NOT_TAKEN]
    assert (await stored_response(env, user)).answers == {"sector": "garment", "unpaid_weeks": 12}
    assert report_drafts(env) == {}


async def test_report_draft_takes_everything_while_a_survey_waits(env: BotEnv) -> None:
    user = await in_survey(env)
    await start_report(user)
    assert mode_of(env, user) is InputMode.REPORT_DRAFT
    await user.send_text("Mining")  # would answer the survey's question outside the draft
    assert (user.last_message().text or "").startswith("Added.")
    await user.send_photo(jpeg_with_exif())
    [draft] = report_drafts(env).values()
    assert draft.parts == ["Mining"] and len(draft.attachments) == 1
    assert (await stored_response(env, user)).answers == {}  # the survey saw nothing
    await user.press("Review")
    assert "Please check your report" in (user.last_message().text or "")
    await user.press("Send report")
    assert mode_of(env, user) is InputMode.SURVEY_ANSWER  # back to the survey
    await user.send_text("2")
    assert (await stored_response(env, user)).answers == {"sector": "mining"}


async def test_report_status(env: BotEnv) -> None:
    receipt = await file_report(env.user(7_400_001))
    report_id = await report_id_of(env, receipt)
    user = await consented_user(env, 7_400_002)
    await user.command("/status", receipt)
    assert mode_of(env, user) is InputMode.REPORT_STATUS
    assert sent_texts(await user.send_text("not yet")) == [USE_BUTTONS]
    assert sent_texts(await user.send_photo(jpeg_with_exif())) == [USE_BUTTONS]
    assert (await env.services.storage.reports.get(report_id)).items == ()
    await user.press("Add information")
    await user.send_text("It happened again.")
    await user.send_photo(jpeg_with_exif())
    report = await env.services.storage.reports.get(report_id)
    assert [item.kind for item in report.items] == ["followup", "file"]
    assert await stored_response(env, user) is None


async def test_announcement_draft(env: BotEnv) -> None:
    admin = env.user(MODERATOR_ID)
    await admin.command("/announce", SURVEY_ID)
    assert mode_of(env, admin) is InputMode.ANNOUNCEMENT_DRAFT
    assert sent_texts(await admin.send_photo(jpeg_with_exif())) == [NOT_TAKEN]
    await admin.send_text("We took your proposal to the ministry.")
    preview = admin.last_message()
    assert "We took your proposal" in (preview.text or "")
    assert sent_texts(await admin.send_text("a second text")) == [USE_BUTTONS]
    assert "a second text" not in (admin.last_message().text or "")
    await admin.press("Send to 0", preview)
    assert mode_of(env, admin) is InputMode.IDLE
    announcements = await env.services.storage.outbox.announcements([SURVEY_ID])
    assert [a.body for a in announcements] == ["We took your proposal to the ministry."]


async def test_moderator_reply(env: BotEnv) -> None:
    report_id = await report_id_of(env, await file_report(env.user(7_400_003)))
    moderator = env.user(MODERATOR_ID)
    await fresh_code(env, moderator)
    await moderator.command("/reports")
    await moderator.press(f"Open {report_id}")
    await moderator.press("Reply")
    assert mode_of(env, moderator) is InputMode.MODERATOR_REPLY
    assert sent_texts(await moderator.send_photo(jpeg_with_exif())) == [NOT_TAKEN]
    await moderator.press("in review")  # a /reports button: its status changes, the reply waits
    summary = await env.services.storage.reports.summary(report_id)
    assert summary.status.value == "in_review"
    assert mode_of(env, moderator) is InputMode.MODERATOR_REPLY
    await moderator.send_text("Which date did this start?")
    assert "Reply saved" in (moderator.last_message().text or "")
    assert mode_of(env, moderator) is InputMode.IDLE
    report = await env.services.storage.reports.get(report_id)
    assert [item.kind for item in report.items] == ["reply"]
    assert await nothing_queued(env)


async def test_a_survey_file_is_an_upload_whatever_the_moderators_mode(env: BotEnv) -> None:
    admin = env.user(MODERATOR_ID)
    await admin.command("/announce", SURVEY_ID)
    yaml = (b"id: other\ntitle: {en: Other}\nlanguages: [en]\nquestions:\n"
            b"  - {id: q, type: text, label: {en: Why?}}\n")
    await admin.send_document(yaml, "other.yaml")
    assert "Saved as a draft" in (admin.last_message().text or "")
    assert mode_of(env, admin) is InputMode.ANNOUNCEMENT_DRAFT  # the draft is still open


async def test_cancel_is_registered_once(env: BotEnv) -> None:
    assert env.app is not None
    cancels = [handler for handlers in env.app.handlers.values() for handler in handlers
               if isinstance(handler, CommandHandler) and "cancel" in handler.commands]
    assert len(cancels) == 1
    assert [c.name for c in env.services.commands].count("cancel") == 1


def router_of(env: BotEnv) -> Router:
    """The one router the application installed (the owner of its message handler)."""
    assert env.app is not None
    [router] = {handler.callback.__self__ for handlers in env.app.handlers.values()
                for handler in handlers if isinstance(handler, MessageHandler)
                and isinstance(getattr(handler.callback, "__self__", None), Router)}
    return router


@pytest.mark.parametrize(("mode", "setup"), [(mode, setup) for mode, setup, _said in CASES],
                         ids=[mode.value for mode, _setup, _said in CASES])
async def test_each_input_reaches_exactly_the_owner_of_the_mode(
        env: BotEnv, monkeypatch: pytest.MonkeyPatch, mode: InputMode, setup: Setup) -> None:
    user = await setup(env)
    assert mode_of(env, user) is mode
    router = router_of(env)
    reached: list[tuple[InputMode, str]] = []

    def spy(owner_mode: InputMode, part: str,
            callback: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def recorded(*args: Any) -> None:
            reached.append((owner_mode, part))
            await callback(*args)
        return recorded

    for each in InputMode:
        owner = router.owner_of(each)
        monkeypatch.setitem(router._modes, each, ModeOwner(  # the router's own table
            text=spy(each, "text", owner.text), file=spy(each, "file", owner.file),
            cancel=spy(each, "cancel", owner.cancel)))
    await user.send_photo(jpeg_with_exif())
    assert reached == [(mode, "file")]
    reached.clear()
    await user.send_text("some words")
    assert reached == [(mode, "text")]
