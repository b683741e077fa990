"""/audit: admins read the latest entries of the audit log in the chat.

Entries name moderators by pseudonym and never hold participant data, so showing them in
a chat exposes nothing new. The count and head hash are shown too: noted elsewhere, they
let anyone detect entries later cut off the end (``consultbot audit head`` prints them on
the server).
"""

from __future__ import annotations

import json

from telegram import Update

from bot.context import BotContext
from bot.moderation_access import Permission
from handlers.moderation.access import ModeratorCommand, audit, moderator_only
from handlers.shared.render import send_long

__all__ = ["SHOWN", "show_audit"]

#: Entries shown by /audit; the CLI lists and exports all of them.
SHOWN = 20


@moderator_only(Permission.READ_AUDIT)
async def show_audit(update: Update, context: BotContext, command: ModeratorCommand) -> None:
    """/audit: the last :data:`SHOWN` entries, and the count and head hash."""
    _ = command.tr.gettext
    log = context.services.storage.audit
    count, head = await log.head()
    entries = await log.entries(after=max(0, count - SHOWN), limit=SHOWN)
    lines = [_("Audit log: {count} entries; head hash {hash}").format(count=count, hash=head)]
    lines.extend(
        f"{entry.seq} · {entry.at} · {entry.actor} · {entry.action} · "
        f"{json.dumps(dict(entry.details), ensure_ascii=False, sort_keys=True)}"
        for entry in entries)
    await send_long(context.bot, command.chat_id, ["\n".join(lines)])
    await audit(context, command.user_id, "audit.read")
