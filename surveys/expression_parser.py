"""Syntax of the XLSForm expression language: tokenizer and recursive-descent parser.

Split from :mod:`surveys.expressions` (the evaluator) and :mod:`surveys.expression_tree`
(the tree it builds) so each stays short; import the public names from
:mod:`surveys.expressions`. Survey files come from outside, so the source is only ever
tokenized and parsed, never handed to ``eval``/``exec``.

Operator precedence, loosest first: ``or``; ``and``; ``= !=``; ``< <= > >=``; ``+ -``;
``* div mod``; unary ``-``.

Expressions come from outside, so the parser bounds its own work: an expression longer than
:data:`~surveys.limits.MAX_EXPRESSION_LENGTH` or nested deeper than
:data:`~surveys.limits.MAX_EXPRESSION_DEPTH` is refused with an :class:`ExpressionError`
instead of exhausting Python's recursion limit here or later in the evaluator. Chains of
``and``/``or`` are built as balanced trees, so a long list of alternatives stays shallow.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from surveys.expression_tree import (
    BinaryOp,
    Call,
    Column,
    Current,
    Expr,
    ExpressionError,
    Literal,
    Negate,
    Reference,
    depth,
)
from surveys.limits import MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH
from surveys.messages import N_, Message

__all__ = ["FUNCTIONS", "parse", "parse_choice_filter", "substitute"]


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

    __slots__ = ("_columns", "_depth", "_index", "_tokens")

    def __init__(self, source: str, *, columns: bool = False) -> None:
        if len(source) > MAX_EXPRESSION_LENGTH:
            raise ExpressionError(
                0, Message(N_("the expression is {length} characters long; the limit is {limit}"), {"length": len(source), "limit": MAX_EXPRESSION_LENGTH})
            )
        self._tokens = list(_tokens(source))
        self._index = 0
        self._depth = 0
        self._columns = columns

    def parse(self) -> Expr:
        if self._peek().kind == "end":
            raise ExpressionError(0, Message(N_("the expression is empty")))
        expr = self._binary(0)
        token = self._peek()
        if token.kind != "end":
            raise ExpressionError(token.position, Message(N_("unexpected {token} after a complete expression"), {"token": _describe(token)}))
        if depth(expr) > MAX_EXPRESSION_DEPTH:
            raise _too_deep(0)
        return expr

    def _enter(self, token: _Token) -> None:
        """Count one more level of nesting; refuse before recursion gets dangerous."""
        self._depth += 1
        if self._depth > MAX_EXPRESSION_DEPTH:
            raise _too_deep(token.position)

    def _peek(self) -> _Token:
        return self._tokens[self._index]

    def _advance(self) -> _Token:
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _binary(self, level: int) -> Expr:
        if level == len(_LEVELS):
            return self._unary()
        if _LEVELS[level] in (("or",), ("and",)):
            return self._chain(level)
        left = self._binary(level + 1)
        while (token := self._peek()).kind in ("op", "name") and token.text in _LEVELS[level]:
            self._advance()
            right = self._binary(level + 1)
            left = BinaryOp(token.text, left, right, token.position)
        return left

    def _chain(self, level: int) -> Expr:
        """``a or b or c …`` as a balanced tree: same value, logarithmic depth."""
        operator = _LEVELS[level][0]
        operands = [self._binary(level + 1)]
        positions: list[int] = []
        while (token := self._peek()).kind == "name" and token.text == operator:
            self._advance()
            positions.append(token.position)
            operands.append(self._binary(level + 1))
        return _balanced(operator, operands, positions)

    def _unary(self) -> Expr:
        token = self._peek()
        if token.kind == "op" and token.text == "-":
            self._advance()
            self._enter(token)
            operand = self._unary()
            self._depth -= 1
            return Negate(operand, token.position)
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
            self._enter(token)
            inner = self._binary(0)
            self._expect("rparen", token)
            self._depth -= 1
            return inner
        if token.kind == "name":
            if self._columns and self._peek().kind != "lparen" and not any(token.text in level for level in _LEVELS):
                return Column(token.text, token.position)
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
        self._enter(opening)
        args: list[Expr] = []
        if self._peek().kind != "rparen":
            args.append(self._binary(0))
            while self._peek().kind == "comma":
                self._advance()
                args.append(self._binary(0))
        self._expect("rparen", opening)
        self._depth -= 1
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


def _balanced(operator: str, operands: list[Expr], positions: list[int]) -> Expr:
    if len(operands) == 1:
        return operands[0]
    middle = len(operands) // 2
    left = _balanced(operator, operands[:middle], positions[: middle - 1])
    right = _balanced(operator, operands[middle:], positions[middle:])
    return BinaryOp(operator, left, right, positions[middle - 1])


def _too_deep(position: int) -> ExpressionError:
    return ExpressionError(
        position, Message(N_("the expression is nested too deeply (more than {limit} levels); split it or simplify it"), {"limit": MAX_EXPRESSION_DEPTH})
    )


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


@functools.lru_cache(maxsize=1024)
def parse_choice_filter(source: str) -> Expr:
    """Parse a ``choice_filter``: like :func:`parse`, and bare names are choice columns.

    In ``region = ${region}``, ``region`` is the column of the choice being considered
    and ``${region}`` the participant's earlier answer, as in XLSForm.

    Raises:
        ExpressionError: On the first syntax error, with its position.
    """
    return _Parser(source, columns=True).parse()


def substitute(source: str, replacements: Mapping[str, str]) -> str:
    """``source`` with each ``${name}`` of ``replacements`` replaced by ``(its text)``.

    How calculations reach the expressions that use them. The result is checked against
    :data:`~surveys.limits.MAX_EXPRESSION_LENGTH` as it is built, so calculations that use
    each other many times cannot grow without bound.

    Raises:
        ExpressionError: ``source`` does not tokenize, or the result is too long.
    """
    pieces: list[str] = []
    length = 0
    start = 0
    for token in _tokens(source):
        if token.kind != "ref" or token.text not in replacements:
            continue
        end = source.index("}", token.position) + 1
        replacement = "(" + replacements[token.text] + ")"
        pieces.extend((source[start : token.position], replacement))
        length += token.position - start + len(replacement)
        start = end
        if length > MAX_EXPRESSION_LENGTH:
            break
    pieces.append(source[start:])
    result = "".join(pieces)
    if len(result) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            0, Message(N_("with the calculations it uses written out, the expression is longer than {limit} characters"), {"limit": MAX_EXPRESSION_LENGTH})
        )
    return result
