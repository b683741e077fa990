"""/report through a real Application, real Update JSON and the offline Bot API fake."""

from __future__ import annotations

import dataclasses
import io

from PIL import Image

from tests.handlers.conftest import BotEnv, report_drafts
from tests.handlers.report_helpers import (
    BODY,
    MODERATOR_ID,
    RECEIPT,
    file_report,
    jpeg_with_exif,
    no_parse_mode,
    report_id_of,
    start_report,
    texts_to,
)


def _receipt_in(text: str | None) -> str:
    match = RECEIPT.search(text or "")
    assert match is not None, text
    return match.group(1)


async def test_warning_comes_first_and_says_what_telegram_sees(env: BotEnv) -> None:
    user = env.user(7_100_001)
    await user.command("/report")
    warning = user.last_message()
    assert "What Telegram can see" in (warning.text or "")
    assert "delete this chat" in (warning.text or "")
    assert warning.button_labels() == ["I understand, continue", "Cancel"]
    await user.press("I understand, continue")
    assert user.last_message().button_labels() == [
        "Labour rights", "Freedom of expression", "Safety of defenders", "Discrimination",
        "Corruption", "Other", "Cancel"]


async def test_report_with_text_and_photo_gives_a_receipt_and_strips_exif(env: BotEnv) -> None:
    user = env.user(7_100_002)
    before = len(env.telegram.calls)
    photo = jpeg_with_exif()
    receipt = await file_report(user, photo=photo)
    calls = env.telegram.calls[before:]
    assert no_parse_mode(calls)
    receipt_message = user.last_message()
    assert "only way back" in (receipt_message.text or "")
    # The flow's prompts (warning, categories, review with the reporter's words) are gone.
    assert [m.text for m in user.messages()] == [receipt_message.text]
    report = await env.services.storage.reports.get(await report_id_of(env, receipt))
    assert report.body == BODY and report.summary.category == "labour_rights"
    [item] = report.items
    assert item.attachment is not None and item.attachment.mime == "image/jpeg"
    stored = item.attachment.data
    for marker in (b"ReporterPhoneMaker", b"CameraAppSecret", b"Exif"):
        assert marker in photo and marker not in stored
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}
    # Moderators are not told at filing time: only the digest does that.
    assert texts_to(env, MODERATOR_ID, calls) == []
    # The receipt message can be removed by the reporter.
    await user.press("I have written it down: remove this message")
    assert user.messages() == []


async def test_description_over_several_messages_and_forwarded_text(env: BotEnv) -> None:
    user = env.user(7_100_003)
    await start_report(user)
    await user.send_text("First part.")
    origin = {"type": "user", "date": 1_700_000_000,
              "sender_user": {"id": 555_000_111, "is_bot": False, "first_name": "Boris",
                              "username": "boris_supervisor"}}
    await user.send_text("Forwarded threat text", forward_origin=origin)
    assert "forwarded from were not kept" in (user.last_message().text or "")
    await user.press("Review")
    assert "First part.\n\nForwarded threat text" in (user.last_message().text or "")
    await user.press("Send report")
    receipt = _receipt_in(user.last_message().text)
    report = await env.services.storage.reports.get(await report_id_of(env, receipt))
    assert report.body == "First part.\n\nForwarded threat text"
    assert "Boris" not in report.body and "boris" not in report.body


async def test_forwarded_files_are_refused(env: BotEnv) -> None:
    user = env.user(7_100_004)
    await start_report(user)
    file_id, unique = env.telegram.add_file(b"data")
    origin = {"type": "hidden_user", "date": 1_700_000_000, "sender_user_name": "X"}
    message = user._message_json(document={"file_id": file_id, "file_unique_id": unique,
                                           "file_name": "a.pdf", "file_size": 4},
                                 forward_origin=origin)
    await user.process({"update_id": env.telegram.next_update_id(), "message": message})
    assert "Forwarded files are not accepted" in (user.last_message().text or "")


async def test_oversized_text_and_file_are_refused_and_nothing_is_half_stored(
    env: BotEnv,
) -> None:
    env.config = dataclasses.replace(env.config, report_max_file_mb=0.01)  # 10 KB
    await env.restart()
    user = env.user(7_100_005)
    await start_report(user)
    await user.send_text("x" * 9_000)
    await user.send_text("y" * 2_000)
    assert "longer than 10000 characters" in (user.last_message().text or "")
    await user.send_document(b"%PDF" + b"0" * 20_000, "payroll.pdf", "application/pdf")
    assert "larger than" in (user.last_message().text or "")
    assert env.telegram.calls_to("getFile") == []  # refused before downloading
    await user.press("Cancel")
    assert "Nothing was stored" in (user.last_message().text or "")
    assert await env.services.storage.reports.list_reports() == []


async def test_documents_are_kept_under_a_neutral_name(env: BotEnv) -> None:
    user = env.user(7_100_006)
    await start_report(user)
    await user.send_text("See the attached payslip.")
    await user.send_document(b"%PDF-1.4 payslip", "Jane_Doe_payslip.pdf", "application/pdf")
    await user.press("Review")
    await user.press("Send report")
    receipt = _receipt_in(user.last_message().text)
    report = await env.services.storage.reports.get(await report_id_of(env, receipt))
    attachment = report.items[0].attachment
    assert attachment is not None and attachment.name == "document.pdf"
    assert attachment.data == b"%PDF-1.4 payslip"


async def test_reports_per_hour_are_limited(env: BotEnv) -> None:
    env.config = dataclasses.replace(env.config, reports_per_hour=2)
    await env.restart()
    user = env.user(7_100_007)
    await file_report(user, "one")
    await file_report(user, "two")
    await start_report(user)
    await user.send_text("three")
    await user.press("Review")
    await user.press("Send report")
    assert "many reports in the last hour" in (user.last_message().text or "")
    assert len(await env.services.storage.reports.list_reports()) == 2
    other = env.user(7_100_008)  # the limit is per person
    await file_report(other, "four")


async def test_drafts_live_in_memory_only(env: BotEnv) -> None:
    user = env.user(7_100_009)
    await start_report(user)
    await user.send_text("a draft that must never reach the disk")
    key = env.services.storage.secret.participant_key(user.user_id)
    assert set(report_drafts(env)) == {key}  # keyed by pseudonym, not user id
    await env.restart()
    await user.press("Review")
    assert "drafts are never saved to disk" in (user.last_message().text or "")


async def test_cancel_command_drops_the_draft(env: BotEnv) -> None:
    user = env.user(7_100_010)
    await start_report(user)
    await user.send_text("never mind")
    await user.command("/cancel")
    assert "Nothing was stored" in (user.last_message().text or "")
    assert report_drafts(env) == {}


async def test_a_double_tap_on_send_files_one_report(env: BotEnv) -> None:
    import asyncio

    user = env.user(7_100_011)
    await start_report(user)
    await user.send_text("only once")
    await user.press("Review")
    review = user.message_with_button("Send report")
    await asyncio.gather(user.press("Send report", review), user.press("Send report", review))
    assert len(await env.services.storage.reports.list_reports()) == 1


async def test_forget_drops_a_draft_in_memory(env: BotEnv) -> None:
    user = env.user(7_100_012)
    await start_report(user)
    await user.send_text("draft")
    for eraser in env.services.erasers:
        await eraser(user.user_id)
    assert report_drafts(env) == {}
