"""Anonymous reports end to end: the real ``consultbot run`` against the emulator.

Issue 4's "Done when": a report with text and a photo and its receipt; another account reads
the status and a moderator's reply with /status and adds a follow-up; a moderator sets the
status; in sealed mode the report text is nowhere in the data directory and
``consultbot reports --key`` shows it; and no byte of the data directory or the log holds
the reporter's id, name or username.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyotp
from PIL import Image

from tests.e2e.harness import BotProcess, TelegramUser, find_bytes, find_leaks

BODY = "Quarry foreman Xylotrek withheld wages from the Tuesday crew for nine weeks"
REPLY = "Thank you. We have contacted the regional inspectorate."
FOLLOW_UP = "Two more colleagues confirm this happened in March too"
RECEIPT = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


def photo_with_exif(path: Path) -> Path:
    image = Image.new("RGB", (120, 90), (200, 160, 20))
    exif = Image.Exif()
    exif[0x010F] = "WhistleblowerPhoneModel"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


def consultbot(*args: str, env: dict[str, str] | None = None
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, **(env or {})})


def file_report(reporter: TelegramUser, photo: Path | None) -> str:
    """Walk /report as a person does; return the receipt code shown at the end."""
    reporter.send_command("/report")
    reporter.wait_for_bot(contains="What Telegram can see")
    reporter.press("I understand, continue")
    reporter.wait_for_bot(predicate=lambda m: "Labour rights" in m.button_labels)
    reporter.press("Labour rights")
    reporter.wait_for_bot(contains="Describe what happened")
    reporter.send_text(BODY)
    reporter.wait_for_bot(contains="Added.")
    if photo is not None:
        reporter.send_photo(photo)
        reporter.wait_for_bot(contains="1 file.")
    reporter.press("Review")
    reporter.wait_for_bot(contains="Please check your report")
    reporter.press("Send report")
    receipt_message = reporter.wait_for_bot(contains="receipt code")
    match = RECEIPT.search(receipt_message.text)
    assert match, receipt_message.text
    return match.group(1)


def enrol_second_factor(moderator: TelegramUser) -> None:
    """/2fa, "scan" the key from the caption, confirm with the current code (RFC 6238)."""
    moderator.send_command("/2fa")
    enrolment = moderator.wait_for_bot(contains="authenticator app")
    match = re.search(r"\b([A-Z2-7]{32})\b", enrolment.text)
    assert match, enrolment.text
    moderator.send_command("/2fa", pyotp.TOTP(match.group(1)).now())
    moderator.wait_for_bot(contains="Your second factor is set up")


def open_newest_report(moderator: TelegramUser) -> str:
    enrol_second_factor(moderator)
    moderator.send_command("/reports")
    listing = moderator.wait_for_bot(contains="reports (newest first)")
    [label] = [b for b in listing.button_labels if b.startswith("Open ")]
    moderator.press(label)
    return label.removeprefix("Open ")


def test_report_status_reply_follow_up_and_triage(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
    data_dir: Path, tmp_path: Path,
) -> None:
    moderator, reporter, other_account = make_user(), make_user(), make_user()
    bot = start_bot(admins=[moderator])

    receipt = file_report(reporter, photo_with_exif(tmp_path / "evidence.jpg"))
    # Only the receipt is left of the flow in the reporter's chat.
    assert [m.text for m in reporter.bot_messages()] == [reporter.last_bot_message().text]

    other_account.send_command("/status", receipt)
    other_account.wait_for_bot(contains="Status: new")

    report_id = open_newest_report(moderator)
    opened = moderator.wait_for_bot(contains=BODY)
    assert f"Report {report_id}" in opened.text
    photo = moderator.wait_for_bot(predicate=lambda m: m.document is not None)
    assert b"WhistleblowerPhoneModel" not in moderator.download(photo)
    moderator.press("in review", opened.message_id)
    moderator.wait_for_callback_answer()
    moderator.press("Reply", opened.message_id)
    moderator.wait_for_bot(contains="Write your reply")
    moderator.send_text(REPLY)
    moderator.wait_for_bot(contains="Reply saved")

    other_account.send_command("/status", receipt)
    status = other_account.wait_for_bot(contains=REPLY)
    assert "Status: in review" in status.text
    other_account.press("Add information")
    other_account.wait_for_bot(contains="Send your message")
    other_account.send_text(FOLLOW_UP)
    other_account.wait_for_bot(contains="Added to your report")

    moderator.press("resolved", opened.message_id)
    moderator.wait_for_callback_answer()
    moderator.send_command("/reports")
    assert "None." in moderator.wait_for_bot(contains="Open reports").text  # closed now
    moderator.send_command("/reports", "all")
    assert f"{report_id} · Labour rights · resolved" in moderator.wait_for_bot(
        contains="All reports").text

    assert bot.stop() == 0
    assert find_leaks([data_dir, bot.log_path], [reporter, other_account],
                      extra={"report text": BODY.encode(), "follow-up": FOLLOW_UP.encode()}) == []
    assert "Traceback" not in bot.log_text()
    verified = consultbot("audit", "verify", "--data-dir", str(data_dir),
                          env={"CONSULTBOT_KEY_FILE": bot.env["CONSULTBOT_KEY_FILE"]})
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_sealed_reports_are_unreadable_on_the_server(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
    data_dir: Path, tmp_path: Path,
) -> None:
    keys = tmp_path / "moderator-laptop"
    made = consultbot("keygen", "--output", str(keys))
    assert made.returncode == 0, made.stderr
    public_key, private_key = keys / "consultbot-reports.pub", keys / "consultbot-reports.key"
    moderator, reporter = make_user(), make_user()
    bot = start_bot(admins=[moderator], env={"CONSULTBOT_REPORT_KEY": str(public_key)})

    receipt = file_report(reporter, photo=None)
    report_id = open_newest_report(moderator)
    shown = moderator.wait_for_bot(contains=f"Report {report_id}")
    assert "sealed" in shown.text and BODY not in shown.text
    reporter.send_command("/status", receipt)
    reporter.wait_for_bot(contains="Status: new")

    assert bot.stop() == 0
    assert find_bytes([data_dir, bot.log_path], {"report text": BODY.encode()}) == []
    assert find_leaks([data_dir, bot.log_path], [reporter]) == []
    listed = consultbot("reports", "--key", str(private_key), "--data-dir", str(data_dir))
    assert listed.returncode == 0, listed.stderr
    assert BODY in listed.stdout and report_id in listed.stdout
