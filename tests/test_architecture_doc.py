"""ARCHITECTURE.md is the newcomer's map: every path it names must exist in the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "ARCHITECTURE.md"

#: A path into one of the project's top-level folders, as the page writes them.
PATH = re.compile(r"(?<![\w/.])((?:bot|handlers|surveys|storage|locales|tests|bench)/[\w./-]*)")
#: Files named relative to the folder of the layer map's previous line (``  sessions.py``).
MAP_ENTRY = re.compile(r"^  ([\w]+(?:\.py|/))")


def named_paths() -> set[str]:
    """Every path the page names: inline ones, and the entries of the layer map."""
    text = DOC.read_text(encoding="utf-8")
    paths = {match.rstrip(".,") for match in PATH.findall(text)}
    folder = ""
    in_map = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_map = not in_map
            continue
        if not in_map:
            continue
        top = re.match(r"^(\w+)/", line)
        if top:
            folder = top.group(1)
            continue
        entry = MAP_ENTRY.match(line)
        if entry and folder:
            for name in re.findall(r"[\w]+(?:\.py|/)", line.split("  ")[1] if "  " in line else line):
                paths.add(f"{folder}/{name}")
    return {path for path in paths if "<" not in path and "NNNN" not in path and "*" not in path}


def test_every_path_the_architecture_page_names_exists() -> None:
    missing = sorted(path for path in named_paths() if not (ROOT / path).exists())
    assert missing == []


def test_the_page_names_every_top_level_package() -> None:
    paths = named_paths()
    for package in ("bot", "handlers", "surveys", "storage", "locales", "tests", "bench"):
        assert any(path.startswith(package + "/") for path in paths), package
