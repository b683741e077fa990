"""Shared steps of the report handler tests."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from tests.fakebot import ApiCall, ChatUser
from tests.handlers.conftest import BotEnv

MODERATOR_ID = 4242  # an admin in the env fixture
RECEIPT = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")
BODY = "The night-shift manager at Depot 9 withheld overtime pay from the whole crew."


def jpeg_with_exif() -> bytes:
    """A photo as a phone makes it: with camera, software and GPS-ish metadata."""
    image = Image.new("RGB", (80, 60), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "ReporterPhoneMaker"
    exif[0x0131] = "CameraAppSecret"
    exif[0x8825] = {2: (52.0, 31.0, 12.0), 4: (13.0, 24.0, 36.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def no_parse_mode(calls: list[ApiCall]) -> bool:
    return all("parse_mode" not in call.params for call in calls)


async def start_report(user: ChatUser, category: str = "Labour rights") -> None:
    await user.command("/report")
    await user.press("I understand, continue")
    await user.press(category)


async def file_report(user: ChatUser, body: str = BODY, photo: bytes | None = None,
                      category: str = "Labour rights") -> str:
    """Go through /report and return the receipt code shown at the end."""
    await start_report(user, category)
    await user.send_text(body)
    if photo is not None:
        await user.send_photo(photo)
    await user.press("Review")
    await user.press("Send report")
    match = RECEIPT.search(user.last_message().text or "")
    assert match, user.last_message().text
    return match.group(1)


async def report_id_of(env: BotEnv, receipt: str) -> str:
    report_id = await env.services.storage.reports.find_by_receipt(receipt)
    assert report_id is not None
    return report_id


def texts_to(env: BotEnv, chat_id: int, calls: list[Any] | None = None) -> list[str]:
    source = env.telegram.calls if calls is None else calls
    return [c.params.get("text", "") for c in source
            if c.method == "sendMessage" and c.params.get("chat_id") == chat_id]
