"""The configuration table as people read it: ``consultbot run --help`` and README.

Both are rendered from :data:`bot.config.SETTINGS`, so they cannot drift from what the
loader accepts; ``tests/bot/test_config_readme.py`` checks README's copy.
"""

from __future__ import annotations

import textwrap

from bot.config import SETTINGS

__all__ = ["describe_settings", "markdown_table"]


def describe_settings(width: int = 79) -> str:
    """The configuration table as plain text, for ``consultbot run --help``."""
    lines = ["settings (environment variable, or the TOML key in a --config file):"]
    for entry in SETTINGS:
        lines.append(f"  {entry.env_var}  (TOML: {entry.key})")
        body = f"{_plain(entry.help)}. Default: {_plain(entry.shown_default)}."
        lines.extend(textwrap.wrap(body, width=width, initial_indent=" " * 6,
                                   subsequent_indent=" " * 6, break_long_words=False,
                                   break_on_hyphens=False))
    return "\n".join(lines)


def markdown_table() -> str:
    """The configuration table as README shows it, between its settings-table markers."""
    rows = ["| variable | TOML key | meaning | default |", "|---|---|---|---|"]
    for entry in SETTINGS:
        cells = (f"`{entry.env_var}`", f"`{entry.key}`", entry.help, entry.shown_default)
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def _plain(markdown: str) -> str:
    return markdown.replace("`", "").replace("*", "")
