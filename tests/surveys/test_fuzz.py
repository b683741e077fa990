"""Property tests: random survey files, expressions and answers never raise a traceback.

Seeded and bounded (``derandomize=True``) so the suite stays fast and a failure replays;
``python -m bench.fuzz_surveys --count 1000`` runs the long campaign with the same checks.
"""

from __future__ import annotations

import math
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz_surveys import exercise
from bench.survey_generator import generate_survey_file, random_expression
from surveys.engine import InvalidAnswer, parse_answer
from surveys.expressions import ExpressionError, evaluate, is_true, parse, parse_choice_filter
from surveys.loading import inspect_bytes
from surveys.model import Choice, Question, QuestionType, Text

FAST = settings(derandomize=True, deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])

EXPRESSION_ALPHABET = "${}().,'\"=<>!+-*/ \tabcdefmnorstvq0123456789_:-"
ANSWER_VALUES = st.one_of(
    st.none(), st.text(max_size=20), st.integers(min_value=-(10**20), max_value=10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.tuples(st.text(max_size=5), st.text(max_size=5)),
)


@FAST
@given(st.integers(min_value=0, max_value=2**31))
def test_random_survey_file_is_refused_clearly_or_answered_end_to_end(seed: int) -> None:
    generated = generate_survey_file(seed)
    outcome = exercise(generated, random.Random(seed))  # raises on any traceback
    assert outcome.verdict in ("refused", "answered")


@FAST
@given(st.text(alphabet=EXPRESSION_ALPHABET, max_size=120), st.dictionaries(st.sampled_from(["a", "b", "q0"]), ANSWER_VALUES, max_size=3), ANSWER_VALUES)
def test_random_expression_text_parses_or_is_a_clear_error(source: str, answers: dict[str, object], current: object) -> None:
    for parser in (parse, parse_choice_filter):
        try:
            tree = parser(source)
        except ExpressionError as error:
            assert 0 <= error.position <= len(source)
            assert error.message.render()
            continue
        value = evaluate(tree, answers, current, {"name": "c0", "region": "north"})  # type: ignore[arg-type]  # random answers
        assert isinstance(value, (str, float, bool))


@FAST
@given(st.randoms(use_true_random=False), st.lists(st.sampled_from(["a", "b", "q0"]), max_size=3))
def test_generated_expressions_evaluate_without_raising(rng: random.Random, names: list[str]) -> None:
    source = random_expression(rng, names)
    try:
        tree = parse(source)
    except ExpressionError:
        return
    value = evaluate(tree, {"a": 10**15, "b": ("x", "y"), "q0": "2024-01-01"}, -(10**15))
    if isinstance(value, float):
        assert math.isnan(value) or isinstance(value, float)
    is_true(tree, {}, None)


@FAST
@given(st.binary(max_size=400))
def test_random_bytes_as_yaml_or_xlsx_never_raise(data: bytes) -> None:
    for name in ("x.yaml", "x.xlsx"):
        result = inspect_bytes(data, name)
        assert result.survey is not None or result.errors


@FAST
@given(st.text(max_size=300))
def test_random_yaml_text_never_raises(text: str) -> None:
    result = inspect_bytes(text.encode("utf-8", "surrogatepass"), "x.yaml")
    assert result.survey is not None or result.errors


CHOICES = (Choice("north", Text({"en": "North"}), {"region": "n"}), Choice("south", Text({"en": "South"}), {"region": "s"}))
QUESTIONS = (
    Question("n", QuestionType.NUMBER, Text({"en": "N"}), integer=True, min=0, max=52, constraint=". mod 2 = 0", required=False),
    Question("d", QuestionType.NUMBER, Text({"en": "D"}), constraint=". * 3 > ${n}"),
    Question("s", QuestionType.SCALE, Text({"en": "S"}), min=1, max=5),
    Question("t", QuestionType.TEXT, Text({"en": "T"}), max_length=10, constraint="string-length(.) > 1"),
    Question("w", QuestionType.DATE, Text({"en": "W"}), constraint=". >= '2020-01-01'"),
    Question("c", QuestionType.SINGLE, Text({"en": "C"}), choices=CHOICES, choice_filter="region = 'n' or ${n} > 2"),
    Question("m", QuestionType.MULTI, Text({"en": "M"}), choices=CHOICES, constraint="count-selected(.) < 2"),
)


@FAST
@given(st.sampled_from(QUESTIONS), st.text(max_size=60), st.dictionaries(st.sampled_from(["n", "d"]), ANSWER_VALUES, max_size=2))
def test_random_typed_answers_are_accepted_or_refused_with_a_message(question: Question, raw: str, answers: dict[str, object]) -> None:
    try:
        parse_answer(question, raw, answers, language="ar", default_language="en")  # type: ignore[arg-type]  # random answers
    except InvalidAnswer as refusal:
        assert refusal.message.render()
