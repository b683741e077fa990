"""Invite-only surveys through the bot: a code is needed, spent once, never stored in clear."""

from __future__ import annotations

from tests.fakebot import ChatUser, sent_texts
from tests.handlers.conftest import SURVEY_ID, BotEnv, consented_user, stored_response

#: Refused exactly as a survey that does not exist: nobody without access learns it exists.
REFUSED = "This survey is not open. Use /surveys to see the open ones."
SPENT = "This invitation code is not valid, or it was already used."
FIRST_QUESTION = "Which sector do you work in?"


async def _invite_only(env: BotEnv, count: int = 2) -> tuple[str, ...]:
    """What ``consultbot invites workers-voice --count N`` does to storage."""
    invites = env.services.storage.invites
    batch = await invites.create_batch(SURVEY_ID, count)
    await invites.set_mode(SURVEY_ID, "invite")
    return batch.codes


async def test_an_invite_survey_needs_a_code_and_a_code_works_once(env: BotEnv) -> None:
    member = await consented_user(env, 7_700_001)  # sees the survey while it is still open
    listed = member.message_with_button("Workers' voice")
    first, second = await _invite_only(env)
    assert sent_texts(await member.command("/start", SURVEY_ID))[-1] == REFUSED
    assert sent_texts(await member.command("/start", "no-such-survey"))[-1] == REFUSED
    await member.press("Workers' voice", listed)  # a button from before does not bypass it
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


NO_SURVEYS = "There are no open surveys right now. Please come back later."


def survey_buttons(user: ChatUser) -> list[str]:
    return [label for message in user.messages() for label in message.button_labels()
            if "Workers' voice" in label]


async def test_an_invite_survey_is_listed_only_to_people_who_may_open_it(env: BotEnv) -> None:
    [code] = await _invite_only(env, 1)
    outsider = await consented_user(env, 7_700_030)
    assert outsider.last_message().text == NO_SURVEYS  # the list after "I agree"
    assert sent_texts(await outsider.command("/surveys")) == [NO_SURVEYS]
    assert survey_buttons(outsider) == []  # not even its title
    invited = await consented_user(env, 7_700_031)
    texts = sent_texts(await invited.command("/start", code))
    assert any(FIRST_QUESTION in text for text in texts)
    # With answers in progress it is theirs to continue; still hidden from the outsider.
    await invited.command("/surveys")
    assert invited.last_message().button_labels() == ["Workers' voice (continue)"]
    assert sent_texts(await outsider.command("/surveys")) == [NO_SURVEYS]
    await env.services.storage.invites.set_mode(SURVEY_ID, "open")
    await outsider.command("/surveys")
    assert outsider.last_message().button_labels() == ["Workers' voice"]


async def spent(env: BotEnv) -> int:
    [batch] = await env.services.storage.invites.batches(SURVEY_ID)
    return batch.spent


async def test_a_code_is_spent_only_when_the_person_agrees(env: BotEnv) -> None:
    [code] = await _invite_only(env, 1)
    declines = env.user(7_700_040)
    texts = sent_texts(await declines.command("/start", code))
    assert any("I agree" in message.button_labels() for message in declines.messages())
    assert not any(SPENT in text for text in texts)
    assert await spent(env) == 0  # nothing written before consent, the code included
    # They never agree: the code still admits someone else, who agrees.
    agrees = env.user(7_700_041)
    await agrees.command("/start", code)
    assert await spent(env) == 0
    texts = sent_texts(await agrees.press("I agree"))
    assert any(FIRST_QUESTION in text for text in texts)
    assert await spent(env) == 1
    assert await stored_response(env, agrees) is not None
    # The first one agrees after all: the code is gone, and the survey stays closed to them.
    texts = sent_texts(await declines.press("I agree"))
    assert SPENT in texts and not any(FIRST_QUESTION in text for text in texts)
    assert await stored_response(env, declines) is None
    assert texts[-1] == NO_SURVEYS
