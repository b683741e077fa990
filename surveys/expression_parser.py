"""Syntax of the XLSForm expression language: tokenizer, AST and recursive-descent parser.

Split from :mod:`surveys.expressions` (the evaluator) so each stays short; import the
public names from there. Survey files come from outside, so the source is only ever
tokenized and parsed, never handed to ``eval``/``exec``.

Operator precedence, loosest first: ``or``; ``and``; ``= !=``; ``< <= > >=``; ``+ -``;
``* div mod``; unary ``-``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from surveys.messages import N_, Message

__all__ = [
    "FUNCTIONS",
    "BinaryOp",
    "Call",
    "Current",
    "Expr",
    "ExpressionError",
    "Literal",
    "Negate",
    "Reference",
    "parse",
    "references",
    "uses_current",
]


class ExpressionError(ValueError):
    """A syntax error in an expression.

    Attributes:
        position: 0-based index into the source where the problem starts.
        message: What is wrong, as a translatable :class:`Message`.
    """

    def __init__(self, position: int, message: Message) -> None:
        super().__init__(f"{message.render()} (at character {position + 1})")
        self.position = position
        self.message = message


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Literal:
    """A string or number written in the expression."""

    value: str | float
    position: int = 0


@dataclass(frozen=True, slots=True)
class Reference:
    """``${name}``: the answer to another question."""

    name: str
    position: int = 0


@dataclass(frozen=True, slots=True)
class Current:
    """``.``: the answer being checked (in a constraint)."""

    position: int = 0


@dataclass(frozen=True, slots=True)
class Negate:
    """Unary minus."""

    operand: Expr
    position: int = 0


@dataclass(frozen=True, slots=True)
class BinaryOp:
    """``left operator right`` for comparisons, ``and``/``or`` and arithmetic."""

    operator: str
    left: Expr
    right: Expr
    position: int = 0


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of :data:`FUNCTIONS`."""

    function: str
    args: tuple[Expr, ...]
    position: int = 0


Expr = Literal | Reference | Current | Negate | BinaryOp | Call

# ---------------------------------------------------------------------- tokenizer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # ref, dot, string, number, op, name, lparen, rparen, comma, end
    text: str
    position: int


_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_REF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*")
_PUNCTUATION = {"(": "lparen", ")": "rparen", ",": "comma"}


def _tokens(source: str) -> Iterator[_Token]:
    """Split ``source`` into tokens, raising on the first character that fits nothing."""
    index = 0
    while index < len(source):
        char = source[index]
        if char.isspace():
            index += 1
        elif source.startswith("${", index):
            yield _reference_token(source, index)
            index = source.index("}", index) + 1
        elif char in "'\"":
            end = source.find(char, index + 1)
            if end < 0:
                raise ExpressionError(index, Message(N_("unterminated string: a closing {quote} is missing"), {"quote": char}))
            yield _Token("string", source[index + 1 : end], index)
            index = end + 1
        elif number := _NUMBER.match(source, index):
            yield _Token("number", number.group(), index)
            index = number.end()
        elif char == ".":
            yield _Token("dot", ".", index)
            index += 1
        elif name := _NAME.match(source, index):
            yield _Token("name", name.group(), index)
            index = name.end()
        elif char in _PUNCTUATION:
            yield _Token(_PUNCTUATION[char], char, index)
            index += 1
        elif operator := next((op for op in _OPERATORS if source.startswith(op, index)), None):
            if source.startswith("==", index):
                raise ExpressionError(index, Message(N_("use = (a single equals sign) to compare")))
            yield _Token("op", operator, index)
            index += len(operator)
        else:
            raise ExpressionError(index, Message(N_("unexpected character '{char}'"), {"char": char}))
    yield _Token("end", "", len(source))


def _reference_token(source: str, index: int) -> _Token:
    end = source.find("}", index)
    if end < 0:
        raise ExpressionError(index, Message(N_("unterminated reference: '${{' without a closing '}}'")))
    name = source[index + 2 : end].strip()
    if not name:
        raise ExpressionError(index, Message(N_("empty reference '${{}}': write ${{question_id}}")))
    if not _REF_NAME.fullmatch(name):
        raise ExpressionError(index, Message(N_("'{name}' is not a valid question id in a reference"), {"name": name}))
    return _Token("ref", name, index)


# ------------------------------------------------------------------------- parser

#: Function name -> (smallest, largest) number of arguments.
FUNCTIONS: Mapping[str, tuple[int, int]] = {
    "not": (1, 1),
    "selected": (2, 2),
    "count-selected": (1, 1),
    "string-length": (0, 1),
    "if": (3, 3),
    "true": (0, 0),
    "false": (0, 0),
    "number": (1, 1),
    "string": (1, 1),
    "today": (0, 0),
}

_LEVELS: tuple[tuple[str, ...], ...] = (
    ("or",),
    ("and",),
    ("=", "!="),
    ("<", "<=", ">", ">="),
    ("+", "-"),
    ("*", "div", "mod"),
)


class _Parser:
    """Recursive descent over a token list; one method per precedence level."""

    __slots__ = ("_index", "_tokens")

    def __init__(self, source: str) -> None:
        self._tokens = list(_tokens(source))
        self._index = 0

    def parse(self) -> Expr:
        if self._peek().kind == "end":
            raise ExpressionError(0, Message(N_("the expression is empty")))
        expr = self._binary(0)
        token = self._peek()
        if token.kind != "end":
            raise ExpressionError(token.position, Message(N_("unexpected {token} after a complete expression"), {"token": _describe(token)}))
        return expr

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _advance(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _binary(self, level: int) -> Expr:
        if level == len(_LEVELS):
            return self._unary()
        left = self._binary(level + 1)
        while (token := self._peek()).kind in ("op", "name") and token.text in _LEVELS[level]:
            self._advance()
            right = self._binary(level + 1)
            left = BinaryOp(token.text, left, right, token.position)
        return left

    def _unary(self) -> Expr:
        token = self._peek()
        if token.kind == "op" and token.text == "-":
            self._advance()
            return Negate(self._unary(), token.position)
        return self._primary()

    def _primary(self) -> Expr:
        token = self._advance()
        if token.kind == "string":
            return Literal(token.text, token.position)
        if token.kind == "number":
            return Literal(float(token.text), token.position)
        if token.kind == "ref":
            return Reference(token.text, token.position)
        if token.kind == "dot":
            return Current(token.position)
        if token.kind == "lparen":
            inner = self._binary(0)
            self._expect("rparen", token)
            return inner
        if token.kind == "name":
            return self._call(token)
        if token.kind == "end":
            raise ExpressionError(token.position, Message(N_("the expression ends too early")))
        raise ExpressionError(token.position, Message(N_("unexpected {token}"), {"token": _describe(token)}))

    def _call(self, name: _Token) -> Call:
        if any(name.text in level for level in _LEVELS):
            raise ExpressionError(name.position, Message(N_("unexpected {token}"), {"token": _describe(name)}))
        if self._peek().kind != "lparen":
            raise ExpressionError(name.position, Message(N_("unknown name '{name}' (to refer to a question write ${{{name}}})"), {"name": name.text}))
        if name.text not in FUNCTIONS:
            raise ExpressionError(name.position, Message(N_("unknown function '{name}()'"), {"name": name.text}))
        opening = self._advance()
        args: list[Expr] = []
        if self._peek().kind != "rparen":
            args.append(self._binary(0))
            while self._peek().kind == "comma":
                self._advance()
                args.append(self._binary(0))
        self._expect("rparen", opening)
        smallest, largest = FUNCTIONS[name.text]
        if not smallest <= len(args) <= largest:
            expected = str(smallest) if smallest == largest else f"{smallest}-{largest}"
            raise ExpressionError(
                name.position,
                Message(N_("{name}() takes {expected} argument(s), not {count}"), {"name": name.text, "expected": expected, "count": len(args)}),
            )
        return Call(name.text, tuple(args), name.position)

    def _expect(self, kind: str, opening: _Token) -> None:
        token = self._peek()
        if token.kind != kind:
            raise ExpressionError(
                token.position,
                Message(N_("expected ')' to close the '(' at character {opening}, found {token}"), {"opening": opening.position + 1, "token": _describe(token)}),
            )
        self._advance()


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end"
    if token.kind == "string":
        return f"string '{token.text}'"
    if token.kind == "ref":
        return "${" + token.text + "}"
    return f"'{token.text}'"


@functools.lru_cache(maxsize=1024)
def parse(source: str) -> Expr:
    """Parse an expression.

    Cached because the engine evaluates the same few expressions for every answer of
    every participant, and the AST is immutable.

    Args:
        source: The expression as written in the survey file.

    Returns:
        The root of the AST.

    Raises:
        ExpressionError: On the first syntax error, with its position.
    """
    return _Parser(source).parse()


def references(expr: Expr) -> frozenset[str]:
    """The question ids an expression reads, for validating skip logic order."""
    return frozenset(node.name for node in _walk(expr) if isinstance(node, Reference))


def uses_current(expr: Expr) -> bool:
    """Whether the expression reads ``.`` (only meaningful in a constraint)."""
    return any(isinstance(node, Current) for node in _walk(expr))


def _walk(expr: Expr) -> Iterator[Expr]:
    yield expr
    if isinstance(expr, Negate):
        yield from _walk(expr.operand)
    elif isinstance(expr, BinaryOp):
        yield from _walk(expr.left)
        yield from _walk(expr.right)
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from _walk(arg)
