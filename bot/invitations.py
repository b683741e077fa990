"""Invite-only surveys: who may start one, and the sheets of codes to hand out.

A survey in ``invite`` mode (``storage.invites``) starts only for someone who came with a
one-use code: ``/start <code>`` (a ``t.me/<bot>?start=<code>`` link or QR code) spends the
code and leaves a pass for that survey in the person's in-memory session, which the survey
start consumes (:func:`admitted`). Nothing about the code is stored with the person or the
response: the code is merely marked spent, and the pass expires with the session. Someone
who already has answers in progress resumes without a code.

Someone who has not agreed to the privacy notice yet only has their code checked
(:func:`accept_code` with ``consented=False``): it waits in their session and is spent when they agree
(:func:`spend_held_code`), so a person who does not agree leaves it usable for someone
else, and nothing is written before consent. Invite-only surveys are listed only to people
who may open them (:func:`may_open`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from bot.second_factor import qr_png
from storage.invites import SurveyAccess, is_invite_code

if TYPE_CHECKING:
    from bot.context import Services

__all__ = [
    "accept_code",
    "admitted",
    "deep_link",
    "may_open",
    "spend_held_code",
    "write_invites",
]


async def accept_code(services: Services, user_id: int, code: str, *,
                      consented: bool = True) -> str | None:
    """Spend ``code`` and give ``user_id`` a pass for its survey; the survey id, or ``None``.

    Args:
        services: The bot's services.
        user_id: Who brought the code.
        code: The code as typed or linked.
        consented: ``False`` before the person agreed to the privacy notice: the code is
            then only checked and kept in their session, and spent when they agree
            (:func:`spend_held_code`).
    """
    if not is_invite_code(code):
        return None
    invites = services.storage.invites
    survey_id = await (invites.spend(code) if consented else invites.survey_of(code))
    if survey_id is not None:
        session = services.session(user_id)
        if consented:
            session.invited_to = survey_id
        else:
            session.held_invite = code
    return survey_id


async def spend_held_code(services: Services, user_id: int) -> bool | None:
    """At consent: spend the code kept since ``/start``, giving its pass.

    Returns:
        ``None`` when no code was held; ``False`` when it was spent or revoked meanwhile.
    """
    session = services.session(user_id)
    code, session.held_invite = session.held_invite, None
    if code is None:
        return None
    return await accept_code(services, user_id, code) is not None


async def may_open(services: Services, user_id: int, survey_id: str) -> bool:
    """Whether ``user_id`` may start ``survey_id`` now, without consuming a pass (lists)."""
    if await services.storage.invites.mode(survey_id) != SurveyAccess.INVITE:
        return True
    return services.session(user_id).invited_to == survey_id


async def admitted(services: Services, user_id: int, survey_id: str) -> bool:
    """Whether ``user_id`` may start ``survey_id`` now; consumes their pass if one is needed."""
    if await services.storage.invites.mode(survey_id) != SurveyAccess.INVITE:
        return True
    session = services.session(user_id)
    if session.invited_to == survey_id:
        session.invited_to = None
        return True
    return False


def deep_link(bot_username: str, code: str) -> str:
    """The ``t.me`` link that opens the bot with ``/start <code>``."""
    return f"https://t.me/{bot_username}?start={code}"


def write_invites(path: Path, codes: Sequence[str], bot_username: str | None) -> None:
    """Write the codes: ``.csv`` (code, link), ``.png`` (one QR sheet) or ``.pdf`` (pages).

    Without a bot username the link column says what to type (``/start CODE``) and the QR
    codes hold the code alone.
    """
    suffix = path.suffix.lower()
    links = [deep_link(bot_username, c) if bot_username else f"/start {c}" for c in codes]
    if suffix in (".png", ".pdf"):
        pages = _sheets(codes, links, per_page=len(codes) if suffix == ".png" else 20)
        if suffix == ".png":
            pages[0].save(path, format="PNG")
        else:
            pages[0].save(path, format="PDF", save_all=True, append_images=pages[1:],
                          resolution=150)
        return
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["code", "link"])
        writer.writerows(zip(codes, links, strict=True))


_CELL_W, _CELL_H, _COLUMNS = 300, 340, 4


def _sheets(codes: Sequence[str], links: Sequence[str], per_page: int) -> list[Image.Image]:
    """Grids of QR codes, each with its code printed below (to type if scanning fails)."""
    pages = []
    for start in range(0, max(len(codes), 1), max(per_page, 1)):
        chunk = list(zip(codes[start:start + per_page], links[start:start + per_page],
                         strict=True))
        rows = max(1, -(-len(chunk) // _COLUMNS))
        page = Image.new("RGB", (_CELL_W * _COLUMNS, _CELL_H * rows), "white")
        draw = ImageDraw.Draw(page)
        for index, (code, link) in enumerate(chunk):
            x, y = (index % _COLUMNS) * _CELL_W, (index // _COLUMNS) * _CELL_H
            png = qr_png(link if link.startswith("http") else code)
            qr = Image.open(io.BytesIO(png)).convert("RGB").resize((260, 260))
            page.paste(qr, (x + 20, y + 10))
            draw.text((x + 20, y + 285), code, fill="black")
        pages.append(page)
    return pages
