"""The XLSForm expression language of ``relevant``, ``constraint``, ``calculate``, ``choice_filter``.

A small tokenizer and recursive-descent parser (:mod:`surveys.expression_parser`) turn the
source into an immutable tree (:mod:`surveys.expression_tree`), both re-exported here; the
evaluator below walks that tree. Survey files come from outside, so nothing here ever
reaches ``eval``/``exec``: the worst an expression can do is evaluate to ``False``.

Semantics follow XPath 1.0 as ODK uses it, simplified where XPath is surprising:

* an unanswered or skipped question (``${q}``) is the empty string;
* a multi-select answer is its choice ids joined by spaces (as in ODK), which is what
  ``selected()`` and ``count-selected()`` look into;
* comparisons are numeric when both sides look like numbers, otherwise they compare
  strings; so ISO dates (``YYYY-MM-DD``) compare in calendar order;
* comparing a number with a non-numeric string (e.g. an empty answer) is false for
  ``= < <= > >=`` and true for ``!=``, like XPath's NaN.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

from surveys.expression_parser import FUNCTIONS, parse, parse_choice_filter, substitute
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
    columns,
    depth,
    references,
    uses_current,
)
from surveys.model import Answer, today

__all__ = [
    "FUNCTIONS",
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
    "evaluate",
    "is_true",
    "parse",
    "parse_choice_filter",
    "references",
    "substitute",
    "to_string",
    "uses_current",
]


Value = str | float | bool
#: The columns of the choice a ``choice_filter`` is evaluated for: ``name`` (its id) and
#: its extra properties.
ChoiceColumns = Mapping[str, str]

# ---------------------------------------------------------------------- evaluator


def evaluate(expr: Expr, answers: Mapping[str, Answer], current: Answer = None, choice: ChoiceColumns | None = None) -> Value:
    """Evaluate ``expr`` against the answers given so far.

    Args:
        expr: A parsed expression.
        answers: Answers by question id; missing or ``None`` means unanswered.
        current: The value ``.`` stands for (the candidate answer in a constraint).
        choice: For a ``choice_filter``, the columns of the choice being considered;
            a column the choice does not have reads as the empty string.

    Returns:
        A string, a float or a bool, as XPath would produce.
    """
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Reference):
        return _from_answer(answers.get(expr.name))
    if isinstance(expr, Current):
        return _from_answer(current)
    if isinstance(expr, Column):
        return (choice or {}).get(expr.name, "")
    if isinstance(expr, Negate):
        return -_to_number(evaluate(expr.operand, answers, current, choice))
    if isinstance(expr, BinaryOp):
        return _binary(expr, answers, current, choice)
    return _call(expr, answers, current, choice)


def is_true(expr: Expr | str, answers: Mapping[str, Answer], current: Answer = None, choice: ChoiceColumns | None = None) -> bool:
    """Evaluate ``expr`` (AST or source) and convert the result to a boolean."""
    tree = parse(expr) if isinstance(expr, str) else expr
    return _to_bool(evaluate(tree, answers, current, choice))


def to_string(value: Value) -> str:
    """A value as XPath's ``string()`` writes it (how a calculation's result is kept)."""
    return _to_string(value)


def _from_answer(answer: Answer) -> Value:
    if answer is None:
        return ""
    if isinstance(answer, tuple):
        return " ".join(answer)
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, int):
        # Answers are bounded by validation; an int too large for a float (only possible
        # from outside the engine) reads as not-a-number instead of raising.
        return float(answer) if abs(answer) <= _FLOAT_INT else math.nan
    if isinstance(answer, float):
        return answer
    return answer


_FLOAT_INT = 10**300


_NUMERIC = re.compile(r"\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*")


def _to_number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if _NUMERIC.fullmatch(value):
        return float(value)
    return math.nan


def _to_bool(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    return value != ""


def _to_string(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return str(int(value)) if value.is_integer() else repr(value)
    return value


_COMPARE: Mapping[str, Callable[[object, object], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]  # _compare passes two floats or two strs
    "<=": lambda a, b: a <= b,  # type: ignore[operator]  # _compare passes two floats or two strs
    ">": lambda a, b: a > b,  # type: ignore[operator]  # _compare passes two floats or two strs
    ">=": lambda a, b: a >= b,  # type: ignore[operator]  # _compare passes two floats or two strs
}

_ARITHMETIC: Mapping[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "div": lambda a, b: a / b if b else (math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)),
    "mod": lambda a, b: math.fmod(a, b) if b and math.isfinite(a) and not math.isnan(b) else math.nan,
}


def _binary(expr: BinaryOp, answers: Mapping[str, Answer], current: Answer, choice: ChoiceColumns | None) -> Value:
    operator = expr.operator
    if operator == "and":
        return _to_bool(evaluate(expr.left, answers, current, choice)) and _to_bool(evaluate(expr.right, answers, current, choice))
    if operator == "or":
        return _to_bool(evaluate(expr.left, answers, current, choice)) or _to_bool(evaluate(expr.right, answers, current, choice))
    left = evaluate(expr.left, answers, current, choice)
    right = evaluate(expr.right, answers, current, choice)
    if operator in _ARITHMETIC:
        return _ARITHMETIC[operator](_to_number(left), _to_number(right))
    return _compare(operator, left, right)


def _compare(operator: str, left: Value, right: Value) -> bool:
    compare = _COMPARE[operator]
    if isinstance(left, bool) or isinstance(right, bool):
        if operator in ("=", "!="):
            return compare(_to_bool(left), _to_bool(right))
        return compare(_to_number(left), _to_number(right))
    left_number, right_number = _to_number(left), _to_number(right)
    if not math.isnan(left_number) and not math.isnan(right_number):
        return compare(left_number, right_number)
    if isinstance(left, float) or isinstance(right, float):
        # A number against something that is not one: XPath's NaN rules.
        return operator == "!="
    return compare(left, right)


def _call(expr: Call, answers: Mapping[str, Answer], current: Answer, choice: ChoiceColumns | None) -> Value:
    args = [evaluate(arg, answers, current, choice) for arg in expr.args]
    name = expr.function
    if name == "not":
        return not _to_bool(args[0])
    if name == "selected":
        return _to_string(args[1]).strip() in _to_string(args[0]).split()
    if name == "count-selected":
        return float(len(_to_string(args[0]).split()))
    if name == "string-length":
        return float(len(_to_string(args[0] if args else _from_answer(current))))
    if name == "if":
        return args[1] if _to_bool(args[0]) else args[2]
    if name == "true":
        return True
    if name == "false":
        return False
    if name == "number":
        return _to_number(args[0])
    if name == "string":
        return _to_string(args[0])
    if name == "today":
        return today().isoformat()
    raise AssertionError(f"parser accepted unknown function {name}")  # pragma: no cover
