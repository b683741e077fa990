"""/status <receipt> from any account, wrong codes, slowing down guessers, follow-ups."""

from __future__ import annotations

from tests.handlers.conftest import BotEnv
from tests.handlers.report_helpers import file_report, jpeg_with_exif, report_id_of


async def test_status_from_another_account_and_a_follow_up(env: BotEnv) -> None:
    reporter = env.user(7_200_001)
    receipt = await file_report(reporter)
    other = env.user(7_200_002, first_name="Other", username="other_acc")
    calls = await other.command("/status", receipt.lower().replace("-", " "))
    shown = other.last_message().text or ""
    assert "Status: new" in shown and "No reply from the moderators yet." in shown
    # The message holding the code is deleted from the chat (where Telegram allows it).
    assert any(c.method == "deleteMessage" for c in calls)
    await other.press("Add information")
    await other.send_text("It happened again on Friday.")
    assert "Added to your report." in (other.last_message().text or "")
    await other.send_photo(jpeg_with_exif())
    report = await env.services.storage.reports.get(await report_id_of(env, receipt))
    assert [i.kind for i in report.items] == ["followup", "file"]
    assert report.items[0].text == "It happened again on Friday."
    await other.press("Done")
    await other.send_text("this is not a follow-up any more")
    report = await env.services.storage.reports.get(await report_id_of(env, receipt))
    assert len(report.items) == 2


async def test_status_never_shows_the_reporters_own_words(env: BotEnv) -> None:
    reporter = env.user(7_200_003)
    receipt = await file_report(reporter, "Secret details about the depot")
    await reporter.command("/status", receipt)
    assert all("Secret details" not in (m.text or "") for m in reporter.messages())


async def test_wrong_codes_are_answered_alike_then_slowed_down(env: BotEnv) -> None:
    reporter = env.user(7_200_004)
    receipt = await file_report(reporter)
    guesser = env.user(7_200_005)
    answers = []
    for attempt in ("0000-0000-0000-0000", "not a code", "ZZZZ-ZZZZ-ZZZZ-ZZZZ",
                    "1111-1111-1111-1111", "2222-2222-2222-2222"):
        await guesser.command("/status", attempt)
        answers.append(guesser.last_message().text)
    assert len(set(answers)) == 1 and "No report matches" in (answers[0] or "")
    await guesser.command("/status", receipt)  # even the right code waits now
    assert "Too many wrong codes" in (guesser.last_message().text or "")
    # Kept in memory only, by pseudonym, and not affecting other people.
    assert set(env.services.report_limits.guesses._failures) == {
        env.services.storage.secret.participant_key(guesser.user_id)}
    await reporter.command("/status", receipt)
    assert "Status: new" in (reporter.last_message().text or "")


async def test_forget_does_not_reset_the_wrong_code_throttle(env: BotEnv) -> None:
    reporter = env.user(7_200_007)
    receipt = await file_report(reporter)
    guesser = env.user(7_200_008)
    for number in range(5):
        await guesser.command("/status", f"{number}{number}{number}{number}-0000-0000-0000")
    await guesser.command("/forget")
    await guesser.press("Yes, erase everything")
    await guesser.command("/status", receipt)
    assert "Too many wrong codes" in (guesser.last_message().text or "")


async def test_status_without_a_code_explains_usage(env: BotEnv) -> None:
    user = env.user(7_200_006)
    await user.command("/status")
    assert "/status XXXX-XXXX-XXXX-XXXX" in (user.last_message().text or "")
