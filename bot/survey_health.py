"""Surveys stored in the database that this release cannot read: skip them, tell moderators.

A survey uploaded by a moderator is stored as its validated definition. If a later release
cannot decode one (a damaged row, or a definition this release refuses), storage leaves it
out of every listing so the other surveys keep working (ARCHITECTURE.md, "Data flow"); at
start-up the admins are told which one and why, so they can upload a corrected file.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.context import Services

__all__ = ["warn_about_unreadable_surveys"]

logger = logging.getLogger(__name__)


async def warn_about_unreadable_surveys(services: Services, bot: Bot) -> int:
    """Tell every configured admin about each unreadable draft or published survey.

    Returns:
        How many unreadable surveys there are (0: nothing was sent).
    """
    unreadable = await services.storage.surveys.unreadable()
    if not unreadable:
        return 0
    translations = services.translations
    _ = translations.translator(translations.default_language).gettext
    lines = [_("These surveys could not be loaded and are skipped; the other surveys keep "
               "working. Upload a corrected file to replace them:")]
    lines += [_("• {survey} (version {version}, {status}): {reason}").format(
        survey=item.survey_id, version=item.version, status=item.status.value,
        reason=item.reason[:300]) for item in unreadable]
    text = "\n".join(lines)[:4000]
    for admin in sorted(services.settings.admins):
        try:
            await bot.send_message(admin, text)
        except TelegramError as error:
            logger.warning("Could not tell an admin about unreadable surveys (%s)",
                           type(error).__name__)
    return len(unreadable)
