"""Inputs that used to crash the engine or ``check`` now get a clear message.

Each case was found by probing: a traceback in the bot or the CLI. The rule they share: a
survey that passes ``check`` never crashes when answered, so every number the engine may
compute with is finite and bounded, and ``check`` refuses what the engine could not use.
"""

from __future__ import annotations

import io

import pytest
from pyxform.xls2json_backends import md_table_to_workbook

from surveys import limits
from surveys.engine import InvalidAnswer, parse_answer
from surveys.expressions import ExpressionError, is_true, parse
from surveys.loading import LoadResult, inspect_bytes
from surveys.model import Question, QuestionType, Text

YAML_HEAD = "id: s\ntitle: S\nlanguages: [en]\nquestions:\n"


def yaml(*questions: str) -> LoadResult:
    return inspect_bytes((YAML_HEAD + "".join(f"  - {q}\n" for q in questions)).encode(), "s.yaml")


def xlsform(markdown: str) -> LoadResult:
    buffer = io.BytesIO()
    md_table_to_workbook(markdown).save(buffer)
    return inspect_bytes(buffer.getvalue(), "form.xlsx")


def errors(result: LoadResult) -> list[tuple[int | None, str]]:
    return [(problem.number, problem.code) for problem in result.errors]


def test_310_digit_integer_answer_is_refused_clearly() -> None:
    survey = yaml("{id: n, type: number, integer: true, label: N, min: 0}").survey
    assert survey is not None
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(survey.questions[0], "9" * 310, {})
    assert "too large" in caught.value.message.render()


@pytest.mark.parametrize("answer", ["9" * 309, "1" + "0" * 16, "-" + "9" * 400, "9" * 5000])
def test_huge_answer_to_a_mod_constraint_is_refused_clearly(answer: str) -> None:
    survey = yaml("{id: n, type: number, label: N, constraint: '. mod 2 = 0'}").survey
    assert survey is not None
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(survey.questions[0], answer, {})
    assert "too large" in caught.value.message.render()


def test_largest_allowed_number_is_accepted_and_computes() -> None:
    survey = yaml("{id: n, type: number, integer: true, label: N, constraint: '. mod 2 = 0 and . * . > 0'}").survey
    assert survey is not None
    assert parse_answer(survey.questions[0], str(limits.MAX_NUMBER), {}) == limits.MAX_NUMBER


def test_expressions_with_huge_literals_do_not_raise() -> None:
    # A literal too large for a float becomes infinity; mod of infinity is NaN, not an error.
    assert not is_true("1" + "0" * 400 + " mod 2 = 0", {})
    assert not is_true(". mod 2 = 0", {}, 10**400)  # an int answer from outside the engine
    assert is_true("string(1" + "0" * 300 + ") != ''", {})


@pytest.mark.parametrize(
    ("parameters", "bounds"),
    [("", (1, 10)), ("start=3", (3, 10)), ("end=5", (1, 5)), ("step=1", (1, 10)), ("start=0 end=4", (0, 4))],
)
def test_xlsform_range_without_or_with_partial_parameters_uses_xlsform_defaults(parameters: str, bounds: tuple[int, int]) -> None:
    result = xlsform(f"| survey |\n| | type | name | label | parameters |\n| | range | r | R | {parameters} |\n")
    assert result.survey is not None, result.problems
    question = result.survey.questions[0]
    assert (question.min, question.max) == bounds
    assert isinstance(question.min, int) and isinstance(question.max, int)


def test_xlsform_range_without_a_parameters_column() -> None:
    result = xlsform("| survey |\n| | type | name | label |\n| | range | r | R |\n")
    assert result.survey is not None
    assert (result.survey.questions[0].min, result.survey.questions[0].max) == (1, 10)


@pytest.mark.parametrize("parameters", ["start=nan end=5", "start=1 end=1e400", "start=-inf", "end=1e16"])
def test_xlsform_range_with_non_finite_or_huge_bounds_is_refused_with_its_row(parameters: str) -> None:
    result = xlsform(f"| survey |\n| | type | name | label | parameters |\n| | range | r | R | {parameters} |\n")
    assert errors(result) == [(2, "bad-parameters")]


@pytest.mark.parametrize(
    ("field", "value"),
    [("min", "1e400"), ("max", "1e16"), ("min", "nan"), ("max", "-inf"), ("max_length", "1e400")],
)
def test_yaml_non_finite_or_huge_numbers_are_refused_with_their_line(field: str, value: str) -> None:
    kind = "text" if field == "max_length" else "number"
    result = yaml(f"{{id: q, type: {kind}, label: Q, {field}: {value}}}")
    assert errors(result) == [(5, "number-out-of-range")]
    assert "must be a number from -1000000000000000 to 1000000000000000" in str(result.errors[0])


@pytest.mark.parametrize("value", [".nan", "-.inf", ".inf"])
def test_yaml_special_floats_are_not_numbers(value: str) -> None:
    assert errors(yaml(f"{{id: q, type: number, label: Q, min: {value}}}")) == [(5, "not-a-number")]


def test_max_length_beyond_a_telegram_message_is_refused() -> None:
    assert errors(yaml("{id: q, type: text, label: Q, max_length: 5000}")) == [(5, "bad-max-length")]
    assert errors(yaml("{id: q, type: text, label: Q, max_length: 10.5}")) == [(5, "bad-max-length")]
    assert yaml("{id: q, type: text, label: Q, max_length: 4096}").survey is not None


def test_scale_bounds_beyond_the_number_limit_are_refused() -> None:
    assert (5, "number-out-of-range") in errors(yaml("{id: q, type: scale, label: Q, min: 1, max: 1e300}"))


def test_expression_with_hundreds_of_nested_parentheses_is_a_clear_error() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("(" * 500 + "1" + ")" * 500)
    assert "nested too deeply" in str(caught.value)
    result = yaml("{id: q, type: text, label: Q, constraint: \"" + "(" * 500 + ". = 1" + ")" * 500 + "\"}")
    assert errors(result) == [(5, "bad-expression")]
    assert "nested too deeply" in str(result.errors[0])


def test_question_built_outside_the_loaders_with_a_huge_bound_does_not_crash() -> None:
    question = Question("n", QuestionType.NUMBER, Text({"en": "N"}), min=0, max=float("inf"))
    assert parse_answer(question, "12", {}) == 12.0
