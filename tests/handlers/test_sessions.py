"""Sessions: /cancel ends every mode, and a session left alone expires with its memory."""

from __future__ import annotations

import pytest

from bot.sessions import InputMode, ReportDraft, SessionStore
from tests.fakebot import sent_texts
from tests.handlers.conftest import (
    BotEnv,
    active_surveys,
    report_drafts,
    sessions,
    stored_response,
)
from tests.handlers.modes import CASES, Setup, mode_of
from tests.handlers.modes import draft as _draft
from tests.handlers.modes import status as _status
from tests.handlers.modes import survey as _survey


def test_every_mode_is_covered() -> None:
    assert [mode for mode, _setup, _text in CASES] == list(InputMode)


@pytest.mark.parametrize(("mode", "setup", "said"), CASES, ids=[m.value for m, _s, _t in CASES])
async def test_cancel_ends_each_mode(env: BotEnv, mode: InputMode, setup: Setup,
                                     said: str) -> None:
    user = await setup(env)
    assert mode_of(env, user) is mode
    calls = await user.command("/cancel")
    [text] = sent_texts(calls)
    assert text.startswith(said)
    after = mode_of(env, user)
    assert after in (InputMode.IDLE, InputMode.CONSENT)
    assert report_drafts(env) == {}


async def test_a_cancelled_survey_keeps_its_answers_and_ignores_typing(env: BotEnv) -> None:
    user = await _survey(env)
    await user.command("/cancel")
    await user.send_text("12")
    assert user.texts()[-1] == "Your survey is paused. Use /surveys to continue it."
    assert (await stored_response(env, user)).answers == {"sector": "garment"}


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_draft_left_alone_is_wiped_from_memory(env: BotEnv) -> None:
    clock = Clock()
    env.services.sessions.clock = clock
    user = await _draft(env)
    [draft] = report_drafts(env).values()
    assert draft.parts == ["words that must not outlive the draft"]
    clock.now += env.config.session_expiry_minutes * 60 - 1
    assert env.services.sessions.sweep() == 0  # still within the expiry
    clock.now += 2
    assert env.services.sessions.sweep() == 1  # what the periodic job does
    assert sessions(env) == {} and report_drafts(env) == {}
    assert draft.parts == [] and draft.attachments == [] and draft.category is None
    await user.press("Review")
    assert "drafts are never saved to disk" in (user.last_message().text or "")
    assert mode_of(env, user) is InputMode.IDLE


async def test_an_expired_status_session_takes_nothing(env: BotEnv) -> None:
    clock = Clock()
    env.services.sessions.clock = clock
    user = await _status(env)
    clock.now += env.config.session_expiry_minutes * 60 + 1
    assert mode_of(env, user) is InputMode.IDLE  # expired on the next look, without a sweep
    await user.send_text("too late")
    assert user.texts()[-1] == "To take a survey, use /surveys. For help, use /help."
    receipt_report = await env.services.storage.reports.list_reports()
    assert all(summary.followups == 0 for summary in receipt_report)


async def test_activity_keeps_a_session_alive(env: BotEnv) -> None:
    clock = Clock()
    env.services.sessions.clock = clock
    user = await _draft(env)
    for _ in range(3):
        clock.now += env.config.session_expiry_minutes * 60 - 5
        await user.send_text("more")
    assert env.services.sessions.sweep() == 0
    assert mode_of(env, user) is InputMode.REPORT_DRAFT


async def test_forget_drops_the_session(env: BotEnv) -> None:
    user = await _survey(env)
    assert active_surveys(env) != {}
    await user.command("/forget")
    await user.press("Yes, erase everything")
    assert sessions(env) == {}


async def test_the_sweep_runs_as_a_job(env: BotEnv) -> None:
    assert env.app is not None and env.app.job_queue is not None
    assert env.app.job_queue.get_jobs_by_name("session-sweep")


def test_store_keys_sessions_by_pseudonym_only() -> None:
    clock = Clock()
    store = SessionStore(60.0, clock)
    session = store.touch("pseudonym")
    session.open(ReportDraft(parts=["a"]))
    assert list(store.keys()) == ["pseudonym"]
    previous = session.open(ReportDraft())
    assert isinstance(previous, ReportDraft) and previous.parts == []  # replaced: wiped
    clock.now += 61
    assert store.get("pseudonym") is None and list(store.keys()) == []
