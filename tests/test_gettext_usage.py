"""Every user-facing text in ``handlers/`` and ``bot/`` goes through gettext.

The catalogs can only translate what ``pybabel extract`` finds, and it only finds literals
inside ``_()``/``gettext``/``ngettext``/``N_``. This test reads the source (no import, so it
sees every branch) and fails on any call that sends text to a Telegram user, labels a
button or describes a command with a literal or f-string that bypasses gettext.

Texts without a single letter (an emoji, a check mark, "«", a number, ``f"{CHECK} {label}"``)
need no translation and pass. A technical string with letters that must stay as it is goes
into :data:`ALLOWED` with the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("handlers", "bot")

#: Callable name -> (position of the text argument, keyword names of text arguments).
TEXT_ARGUMENTS: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "reply_text": (0, ("text",)),
    "reply_html": (0, ("text",)),
    "reply_markdown": (0, ("text",)),
    "reply_markdown_v2": (0, ("text",)),
    "reply_document": (None, ("caption",)),
    "reply_photo": (None, ("caption",)),
    "send_message": (1, ("text",)),
    "send_document": (None, ("caption",)),
    "send_photo": (None, ("caption",)),
    "send_media_group": (None, ("caption",)),
    "edit_message_text": (0, ("text",)),
    "edit_message_caption": (None, ("caption",)),
    "edit_text": (0, ("text",)),
    "edit_text_quietly": (3, ("text",)),
    "send_long": (None, ()),
    "answer": (0, ("text",)),
    "answer_callback_query": (1, ("text",)),
    "InlineKeyboardButton": (0, ("text",)),
    "KeyboardButton": (0, ("text",)),
    "BotCommand": (1, ("description",)),
    "add_command": (2, ("description",)),
}
#: Calls whose result is translated text (or marked for translation).
GETTEXT_CALLS = frozenset({"_", "gettext", "ngettext", "N_", "pgettext", "npgettext"})

#: (file, text) pairs of deliberate untranslated texts with letters, and why.
ALLOWED: dict[tuple[str, str], str] = {
    ("bot/errors.py", "Sorry, something went wrong on our side. Please try again in a moment."):
        "the English fallback when a failing update has no consultbot context to translate "
        "with; the same text is translated through _() right below it",
}


@dataclass(frozen=True)
class Bypass:
    path: str
    line: int
    call: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.call}(…{self.text!r}…) is not wrapped in _()"


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


Assignments = dict[str, list[ast.expr]]


def _literal_parts(node: ast.expr, assigned: Assignments | None = None) -> Iterator[str]:
    """Literal text that would reach the user untranslated through ``node``.

    ``assigned`` maps local names to the values assigned to them in the enclosing function,
    so ``text = "Hello"; send_message(chat, text)`` is caught too.
    """
    assigned = assigned or {}
    if isinstance(node, ast.Name):
        for value in assigned.pop(node.id, []):  # pop: a name never recurses into itself
            yield from _literal_parts(value, assigned)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                yield value.value
            elif isinstance(value, ast.FormattedValue):
                yield from _literal_parts(value.value, assigned)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        yield from _literal_parts(node.left, assigned)
        yield from _literal_parts(node.right, assigned)
    elif isinstance(node, ast.IfExp):
        yield from _literal_parts(node.body, assigned)
        yield from _literal_parts(node.orelse, assigned)
    elif isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            yield from _literal_parts(element, assigned)
    elif isinstance(node, ast.Call):
        name = _name(node.func)
        if name in GETTEXT_CALLS:
            return
        # "literal {x}".format(...) and "sep".join([...]) carry their receiver's text.
        if isinstance(node.func, ast.Attribute) and name in ("format", "join"):
            yield from _literal_parts(node.func.value, assigned)
            if name == "join":
                for argument in node.args:
                    yield from _literal_parts(argument, assigned)


def _text_arguments(call: ast.Call, name: str) -> Iterator[ast.expr]:
    position, keywords = TEXT_ARGUMENTS[name]
    if name == "send_long":  # send_long(bot, chat_id, lines, ...)
        if len(call.args) > 2:
            yield call.args[2]
    elif position is not None and len(call.args) > position:
        yield call.args[position]
    for keyword in call.keywords:
        if keyword.arg in keywords or (name == "send_long" and keyword.arg == "lines"):
            yield keyword.value


def find_bypasses(path: Path, root: Path = ROOT) -> list[Bypass]:
    """Every call in ``path`` sending a literal with letters to a user."""
    relative = path.relative_to(root).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
    found = []
    scopes: list[ast.AST] = [tree, *(node for node in ast.walk(tree)
                                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))]
    for scope in scopes:
        assigned: Assignments = {}
        for node in ast.walk(scope):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value
                else [])
            for target in targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
        for node in _calls_of(scope):
            name = _name(node.func)
            if name not in TEXT_ARGUMENTS:
                continue
            for argument in _text_arguments(node, name):
                for text in _literal_parts(argument, {k: list(v) for k, v in assigned.items()}):
                    if any(ch.isalpha() for ch in text) and (relative, text) not in ALLOWED:
                        found.append(Bypass(relative, node.lineno, name, text))
    return sorted(set(found), key=lambda b: (b.line, b.text))


def _calls_of(scope: ast.AST) -> Iterator[ast.Call]:
    """Calls directly in ``scope`` (module level: outside any function), each seen once."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _sources() -> list[Path]:
    return sorted(path for top in SCANNED for path in (ROOT / top).rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_user_facing_text_goes_through_gettext(path: Path) -> None:
    bypasses = find_bypasses(path)
    assert not bypasses, "\n".join(map(str, bypasses))


def test_the_scanner_catches_literals_f_strings_and_concatenation(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    source = (
        "async def f(bot, query, tr, name, CHECK, label):\n"
        "    _ = tr.gettext\n"
        "    await bot.send_message(1, 'Hello')\n"
        "    await bot.send_message(1, text=f'Hi {name}')\n"
        "    await query.answer(_('Fine') + ' but not this')\n"
        "    await query.answer(_('Fine {x}').format(x=name))\n"
        "    InlineKeyboardButton(f'{CHECK} {label}', callback_data='x')\n"
        "    InlineKeyboardButton('Done', callback_data='d')\n"
        "    BotCommand('start', tr.gettext('Start'))\n"
        "    BotCommand('help', 'What it does')\n"
        "    await bot.send_message(1, '✓ 42 «»')\n"
        "    text = 'Sorry'\n"
        "    if name:\n"
        "        text = _('Sorry')\n"
        "    await query.answer(text)\n"
    )
    sample.write_text(source, encoding="utf-8")
    found = {(b.line, b.text) for b in find_bypasses(sample, tmp_path)}
    assert found == {(3, "Hello"), (4, "Hi "), (5, " but not this"), (8, "Done"),
                     (10, "What it does"), (15, "Sorry")}
