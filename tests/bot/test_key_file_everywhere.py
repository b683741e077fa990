"""Every command that opens storage names the configured key file.

``Storage.open`` without ``key_file`` falls back to an older installation's key inside the
data directory (and would create one there): a command that forgot the argument would hash
invite codes or pseudonyms with a different key than the bot, and leave a key beside the data.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _storage_opens(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "open" and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "Storage"]


def test_every_storage_open_in_the_bot_passes_the_key_file() -> None:
    missing = [f"{path.relative_to(ROOT)}:{call.lineno}"
               for path in sorted((ROOT / "bot").rglob("*.py"))
               for call in _storage_opens(path)
               if not any(keyword.arg == "key_file" for keyword in call.keywords)]
    assert _storage_opens(ROOT / "bot" / "application.py")  # the check sees the real calls
    assert missing == []
