"""The layering of ARCHITECTURE.md, checked on every import of every module.

Imports go ``bot (composition root) → handlers → {bot services, surveys, storage}``:
``surveys/`` is pure (no Telegram, no asyncio, no storage), ``storage/`` is the only SQL and
knows nothing above it, ``handlers/`` never reaches back into the composition root, and no
bot service or CLI command imports ``handlers`` (only ``bot/application.py`` wires them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Modules that compose the application: the only ones allowed to import ``handlers``.
COMPOSITION_ROOT = frozenset({"bot/application.py"})

#: For each group of files, the modules (and everything below them) they must never import.
FORBIDDEN: dict[str, frozenset[str]] = {
    "surveys": frozenset({"telegram", "asyncio", "aiosqlite", "sqlite3", "storage", "handlers",
                          "bot"}),
    "storage": frozenset({"telegram", "handlers", "bot"}),
    "handlers": frozenset({"bot.application", "bot.cli", "bot.commands"}),
    "bot": frozenset({"handlers"}),
    "locales": frozenset({"telegram", "handlers", "bot", "storage", "surveys"}),
}


def imported_modules(path: Path) -> set[str]:
    """Dotted names of every module a file imports, including function-level imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value))
    return names


def breaks(module: str, forbidden: frozenset[str]) -> bool:
    """Whether ``module`` is one of ``forbidden`` or lies below one of them."""
    return any(module == name or module.startswith(name + ".") for name in forbidden)


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_the_layering(package: str) -> None:
    files = [path for path in package_files(package)
             if str(path.relative_to(ROOT)) not in COMPOSITION_ROOT]
    assert files, f"{package}/ has no Python files"
    violations = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imported_modules(path))
        if breaks(name, FORBIDDEN[package])
    ]
    assert violations == []


def test_the_checker_sees_nested_and_function_level_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from telegram.ext import Application\n    import asyncio.tasks\n")
    assert imported_modules(sample) == {"telegram.ext", "telegram.ext.Application", "asyncio.tasks"}
    assert breaks("telegram.ext", frozenset({"telegram"}))
    assert not breaks("bot.publication", frozenset({"bot.application"}))


def test_the_composition_root_is_the_only_bot_module_that_imports_handlers() -> None:
    root = ROOT / "bot" / "application.py"
    assert any(breaks(name, frozenset({"handlers"})) for name in imported_modules(root))
