"""Invite-only surveys through the bot: a code is needed, spent once, never stored in clear."""

from __future__ import annotations

from tests.fakebot import sent_texts
from tests.handlers.conftest import SURVEY_ID, BotEnv, consented_user, stored_response

REFUSED = "This survey is by invitation. Open it with the link or code you were given."
SPENT = "This invitation code is not valid, or it was already used."
FIRST_QUESTION = "Which sector do you work in?"


async def _invite_only(env: BotEnv, count: int = 2) -> tuple[str, ...]:
    """What ``consultbot invites workers-voice --count N`` does to storage."""
    invites = env.services.storage.invites
    batch = await invites.create_batch(SURVEY_ID, count)
    await invites.set_mode(SURVEY_ID, "invite")
    return batch.codes


async def test_an_invite_survey_needs_a_code_and_a_code_works_once(env: BotEnv) -> None:
    first, second = await _invite_only(env)
    member = await consented_user(env, 7_700_001)
    assert sent_texts(await member.command("/start", SURVEY_ID))[-1] == REFUSED
    await member.press("Workers' voice")  # the survey list does not bypass it either
    assert member.last_message().text == REFUSED
    assert await stored_response(env, member) is None

    texts = sent_texts(await member.command("/start", first))
    assert any(FIRST_QUESTION in text for text in texts)
    assert await stored_response(env, member) is not None
    # Someone else with the same code: refused; the code was spent on first use.
    other = await consented_user(env, 7_700_002)
    assert sent_texts(await other.command("/start", first)) == [SPENT]
    assert await stored_response(env, other) is None
    # The member resumes without a code: their answers in progress admit them.
    assert any("Continue where you left off" in t
               for t in sent_texts(await member.command("/start", SURVEY_ID)))

    # A new person follows the deep link before agreeing to the privacy notice.
    newcomer = env.user(7_700_003)
    await newcomer.command("/start", second)
    assert sent_texts(await newcomer.press("I agree"))
    assert await stored_response(env, newcomer) is not None


async def test_revoked_codes_and_open_surveys(env: BotEnv) -> None:
    codes = await _invite_only(env, 3)
    [batch] = await env.services.storage.invites.batches(SURVEY_ID)
    assert await env.services.storage.invites.revoke(batch.batch_id) == 3
    member = await consented_user(env, 7_700_010)
    assert sent_texts(await member.command("/start", codes[0])) == [SPENT]
    await env.services.storage.invites.set_mode(SURVEY_ID, "open")
    texts = sent_texts(await member.command("/start", SURVEY_ID))
    assert any(FIRST_QUESTION in text for text in texts)


async def test_codes_are_stored_only_as_hashes_and_spending_leaves_no_trace(
        env: BotEnv) -> None:
    codes = await _invite_only(env, 5)
    member = await consented_user(env, 7_700_020)
    await member.command("/start", codes[0])
    await env.stop()
    raw = b"".join(p.read_bytes() for p in env.config.data_dir.iterdir()
                   if p.name.startswith("consultbot.sqlite3"))
    assert not any(code.encode() in raw for code in codes)
    await env.start()
    [batch] = await env.services.storage.invites.batches(SURVEY_ID)
    assert (batch.total, batch.spent) == (5, 1)
    entries = await env.services.storage.audit.entries()
    assert not [e for e in entries if "invite" in e.action]  # spending is never logged
