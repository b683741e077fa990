"""The static public results site: published results and what became of recommendations.

:func:`build_site` reads everything through the publication layer (``bot.publication``,
``bot.recommendations``) and writes plain HTML, CSS and inline SVG: no JavaScript, no
request to any other server, so the pages open from any static host or a copied folder.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bot.site.content import AuditLogBroken, Progress, SiteContent, gather
from bot.site.render import SiteFiles, survey_page, write_site
from surveys import model

__all__ = ["AuditLogBroken", "SiteContent", "SiteFiles", "build_site", "survey_page"]


async def build_site(storage: Any, output: Path, *, languages: Iterable[str],
                     translator: Callable[[str], Any], min_cell: int = 5,
                     today: _dt.date | None = None,
                     include_invite_only: bool = False,
                     progress: Progress | None = None) -> SiteFiles:
    """Build the whole site into ``output``.

    Args:
        languages: The site's languages (the bot's catalogs), the default first.
        translator: Language -> an object with ``gettext`` and ``ngettext``.
        min_cell: ``CONSULTBOT_MIN_CELL``.
        today: The current day (tests); publications never cover it.
        include_invite_only: Also publish invite-only surveys (their existence with them).
        progress: Told each survey as its figures are read (the long part of a build).

    Raises:
        AuditLogBroken: The audit log does not verify; nothing is written.
    """
    content = await gather(storage, min_cell=min_cell, today=today or model.today(),
                           include_invite_only=include_invite_only, progress=progress)
    return await asyncio.to_thread(write_site, content, Path(output), languages=languages,
                                   translator=translator)
