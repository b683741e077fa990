"""Report words in the reader's language: categories, statuses, file counts, long texts."""

from __future__ import annotations

from bot.context import Translator
from bot.report_workflow import DEFAULT_CATEGORIES
from surveys.messages import N_

__all__ = ["category_label", "files_text", "split_text", "status_label"]

_STATUS_LABELS: dict[str, str] = {
    "new": N_("new"),
    "in_review": N_("in review"),
    "forwarded": N_("forwarded"),
    "resolved": N_("resolved"),
    "rejected": N_("rejected"),
}


def category_label(tr: Translator, category: str) -> str:
    """A category's label in the reader's language (configured ids are shown as written)."""
    if category in DEFAULT_CATEGORIES:
        return tr.gettext(DEFAULT_CATEGORIES[category])
    return category.replace("_", " ")


def status_label(tr: Translator, status: str) -> str:
    """A report status in the reader's language."""
    return tr.gettext(_STATUS_LABELS.get(status, status))


def files_text(tr: Translator, count: int) -> str:
    """``3 files`` in the reader's language, for the counts in report views and lists."""
    return tr.ngettext("{count} file", "{count} files", count).format(count=count)


def split_text(text: str, limit: int = 3800) -> list[str]:
    """Cut a long text into message-sized pieces, at paragraph or line breaks when possible.

    Report texts are never clipped: a moderator must read every word the reporter wrote.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit))
        if cut <= limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut <= limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    pieces.append(rest)
    return pieces
