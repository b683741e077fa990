"""The expression language: precedence, every function, XPath-like values, errors."""

from __future__ import annotations

import datetime

import pytest

from surveys import expressions
from surveys.expressions import (
    BinaryOp,
    Call,
    Current,
    ExpressionError,
    Literal,
    Negate,
    Reference,
    evaluate,
    is_true,
    parse,
    references,
)


def test_and_binds_tighter_than_or() -> None:
    tree = parse("${a} = 1 or ${b} = 2 and ${c} = 3")
    assert isinstance(tree, BinaryOp) and tree.operator == "or"
    assert isinstance(tree.right, BinaryOp) and tree.right.operator == "and"


def test_comparison_binds_tighter_than_and() -> None:
    tree = parse(". >= 0 and . <= 52")
    assert tree == BinaryOp(
        "and",
        BinaryOp(">=", Current(0), Literal(0.0, 5), 2),
        BinaryOp("<=", Current(11), Literal(52.0, 16), 13),
        7,
    )


def test_arithmetic_precedence_and_left_associativity() -> None:
    assert evaluate(parse("1 + 2 * 3"), {}) == 7
    assert evaluate(parse("(1 + 2) * 3"), {}) == 9
    assert evaluate(parse("10 - 4 - 3"), {}) == 3
    assert evaluate(parse("7 mod 4 + 9 div 3"), {}) == 6
    assert evaluate(parse("-2 * 3"), {}) == -6
    assert isinstance(parse("- ${a}"), Negate)


def test_relational_binds_tighter_than_equality() -> None:
    # (1 < 2) = (3 < 4) -> true = true
    assert is_true("1 < 2 = 3 < 4", {})


def test_parentheses_override_precedence() -> None:
    answers = {"a": "x", "b": "n", "c": "n"}
    assert is_true("${a} = 'x' or ${b} = 'y' and ${c} = 'z'", answers)
    assert not is_true("(${a} = 'x' or ${b} = 'y') and ${c} = 'z'", answers)


def test_references_lists_every_question_read() -> None:
    assert references(parse("selected(${a}, 'x') and not(${b} > ${c}) or string-length(.) > 2")) == {"a", "b", "c"}


def test_unanswered_and_skipped_read_as_empty_string() -> None:
    assert is_true("${q} = ''", {})
    assert is_true("${q} = ''", {"q": None})
    assert not is_true("${q} != ''", {"q": None})
    assert is_true("${q} != ''", {"q": 3})


def test_number_against_empty_answer_follows_xpath_nan() -> None:
    assert not is_true("${age} > 18", {})
    assert not is_true("${age} <= 18", {})
    assert is_true("${age} != 18", {})


def test_numbers_compare_numerically_and_strings_as_strings() -> None:
    assert is_true("${n} > 9", {"n": 10})
    assert is_true("${n} = 12", {"n": "12.0"})  # a numeric string is a number
    assert is_true("'b' > 'a'", {})
    assert is_true("${sector} = 'garment'", {"sector": "garment"})


def test_dates_compare_in_calendar_order() -> None:
    assert is_true(". >= '2024-01-01'", {}, "2024-03-05")
    assert not is_true(". >= '2024-01-01'", {}, "2023-12-31")


def test_current_value_in_constraint() -> None:
    assert is_true(". >= 0 and . <= 52", {}, 52)
    assert not is_true(". >= 0 and . <= 52", {}, 53)
    assert not is_true(". >= 0 and . <= 52", {}, -0.5)


def test_not() -> None:
    assert is_true("not(${a} = 'x')", {"a": "y"})
    assert not is_true("not(1)", {})


def test_selected_looks_into_multi_answers() -> None:
    answers = {"m": ("labour", "environment"), "s": "labour"}
    assert is_true("selected(${m}, 'labour')", answers)
    assert not is_true("selected(${m}, 'lab')", answers)
    assert is_true("selected(${s}, 'labour')", answers)  # works on single answers too
    assert not is_true("selected(${missing}, 'labour')", answers)


def test_count_selected() -> None:
    assert evaluate(parse("count-selected(${m})"), {"m": ("a", "b", "c")}) == 3
    assert evaluate(parse("count-selected(${m})"), {}) == 0
    assert is_true("count-selected(.) <= 3", {}, ("a", "b"))


def test_string_length_with_and_without_argument() -> None:
    assert evaluate(parse("string-length(${t})"), {"t": "héllo"}) == 5
    assert evaluate(parse("string-length()"), {}, "abc") == 3
    assert evaluate(parse("string-length(${none})"), {}) == 0


def test_if_true_false_number_string() -> None:
    assert evaluate(parse("if(${a} = 'x', 'yes', 'no')"), {"a": "x"}) == "yes"
    assert evaluate(parse("if(${a} = 'x', 'yes', 'no')"), {}) == "no"
    assert is_true("true()", {}) and not is_true("false()", {})
    assert evaluate(parse("number('4') + 1"), {}) == 5
    assert evaluate(parse("string(3)"), {}) == "3"


def test_today_is_an_iso_date() -> None:
    value = evaluate(parse("today()"), {})
    assert isinstance(value, str)
    assert datetime.date.fromisoformat(value)
    assert is_true(". <= today()", {}, "2000-01-01")


def test_double_quoted_strings() -> None:
    assert is_true('${a} = "it\'s"', {"a": "it's"})


def test_and_or_short_circuit_on_values() -> None:
    assert is_true("'' or 'x'", {})
    assert not is_true("'x' and ''", {})


def test_division_by_zero_is_not_an_error() -> None:
    assert not is_true("1 div 0 = 5", {})
    assert not is_true("0 mod 0 = 0", {})


@pytest.mark.parametrize(
    ("source", "position", "fragment"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("${a} == 1", 5, "single equals"),
        ("${a} = 'x", 7, "unterminated string"),
        ("${a", 0, "unterminated reference"),
        ("${} = 1", 0, "empty reference"),
        ("${a b} = 1", 0, "not a valid question id"),
        ("foo", 0, "unknown name 'foo'"),
        ("bar(1)", 0, "unknown function 'bar()'"),
        ("not(1", 5, "expected ')'"),
        ("not(1, 2)", 0, "not() takes 1 argument"),
        ("selected(${a})", 0, "selected() takes 2 argument"),
        ("count-selected()", 0, "count-selected() takes 1"),
        ("string-length(1, 2)", 0, "string-length() takes 0-1"),
        ("1 2", 2, "after a complete expression"),
        ("${a} = ", 7, "ends too early"),
        ("${a} # 1", 5, "unexpected character '#'"),
        ("${a} and and ${b}", 9, "unexpected 'and'"),
        (")", 0, "unexpected ')'"),
    ],
)
def test_syntax_errors_say_what_and_where(source: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert caught.value.position == position
    assert fragment in caught.value.message.render()
    assert f"character {position + 1}" in str(caught.value)


def test_every_function_is_parsed_as_a_call() -> None:
    for name, (smallest, _largest) in expressions.FUNCTIONS.items():
        args = ", ".join(["'x'"] * smallest)
        tree = parse(f"{name}({args})")
        assert isinstance(tree, Call) and tree.function == name


def test_never_evaluates_python() -> None:
    with pytest.raises(ExpressionError):
        parse("__import__('os').system('true')")
    assert evaluate(parse("'__import__(\"os\")'"), {}) == '__import__("os")'


def test_reference_names_may_contain_dots_and_dashes() -> None:
    assert parse("${q.1-a}") == Reference("q.1-a", 0)
