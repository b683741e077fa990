"""DESIGN.md §4: imports go bot → handlers → {surveys, storage}; only bot/handlers see Telegram."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Top-level modules each package must never import.
FORBIDDEN: dict[str, frozenset[str]] = {
    "surveys": frozenset({"telegram", "asyncio", "aiosqlite", "sqlite3", "storage", "handlers", "bot"}),
    "storage": frozenset({"telegram", "handlers", "bot"}),
    "handlers": frozenset({"bot"}),
    "locales": frozenset({"telegram", "handlers", "bot", "storage", "surveys"}),
}


def imported_top_levels(path: Path) -> set[str]:
    """Top-level names of every module a file imports, including function-level imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value).split(".")[0])
    return names


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_layering(package: str) -> None:
    files = package_files(package)
    assert files, f"{package}/ has no Python files"
    violations = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imported_top_levels(path) & FORBIDDEN[package])
    ]
    assert violations == []


def test_the_checker_sees_nested_and_function_level_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from telegram.ext import Application\n    import asyncio.tasks\n")
    assert imported_top_levels(sample) == {"telegram", "asyncio"}
