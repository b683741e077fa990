"""The tree of a parsed expression, and the questions about a tree that validation asks.

Split from :mod:`surveys.expression_parser` (tokenizer and parser) to keep each module
short; import the public names from :mod:`surveys.expressions`. Trees are immutable, and
every walk here is iterative: a tree may be as deep as the parser allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from surveys.messages import Message

__all__ = [
    "BinaryOp",
    "Call",
    "Column",
    "Current",
    "Expr",
    "ExpressionError",
    "Literal",
    "Negate",
    "Reference",
    "columns",
    "depth",
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
class Column:
    """A bare name in a ``choice_filter``: a column of the choice being filtered.

    ``name`` is the choice's own id (as in XLSForm's ``name`` column); any other name is
    one of the extra columns (properties) of the choices.
    """

    name: str
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


Expr = Literal | Reference | Current | Column | Negate | BinaryOp | Call


def references(expr: Expr) -> frozenset[str]:
    """The question ids an expression reads, for validating skip logic order."""
    return frozenset(node.name for node in _walk(expr) if isinstance(node, Reference))


def columns(expr: Expr) -> frozenset[str]:
    """The choice columns a ``choice_filter`` reads."""
    return frozenset(node.name for node in _walk(expr) if isinstance(node, Column))


def depth(expr: Expr) -> int:
    """How deeply the tree nests, computed without recursion (a tree may come from anywhere)."""
    deepest = 0
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in _children(node))
    return deepest


def uses_current(expr: Expr) -> bool:
    """Whether the expression reads ``.`` (only meaningful in a constraint)."""
    return any(isinstance(node, Current) for node in _walk(expr))


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Negate):
        return (expr.operand,)
    if isinstance(expr, BinaryOp):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    return ()


def _walk(expr: Expr) -> Iterator[Expr]:
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(_children(node)))
