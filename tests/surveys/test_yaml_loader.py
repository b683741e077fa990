"""The YAML loader and validation: a valid file, and each kind of broken file with its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from surveys.loading import (
    SurveyDefinitionError,
    check_file,
    inspect_bytes,
    load_survey,
    load_survey_bytes,
)
from surveys.model import QuestionType

EXAMPLES = Path(__file__).parents[2] / "surveys" / "examples"

VALID = """\
id: labour-dialogue-2026
title: {en: Labour rights dialogue, fr: Dialogue sur les droits du travail}
languages: [en, fr]
choice_lists:
  yes_no:
    - {id: yes, label: {en: "Yes", fr: Oui}}
    - {id: no, label: {en: "No", fr: Non}}
questions:
  - id: intro
    type: note
    label: {en: Welcome, fr: Bienvenue}
  - id: sector
    type: single
    label: {en: Sector, fr: Secteur}
    hint: {en: Pick one, fr: Un seul}
    choices:
      - {id: garment, label: {en: Garment, fr: Textile}}
      - {id: mining, label: {en: Mining, fr: Mines}}
  - id: unpaid_weeks
    type: number
    integer: true
    label: {en: Weeks unpaid, fr: Semaines impayées}
    relevant: "${sector} = 'garment'"
    constraint: ". >= 0 and . <= 52"
    constraint_message: {en: Between 0 and 52, fr: Entre 0 et 52}
  - id: issues
    type: multi
    label: {en: Issues, fr: Problèmes}
    choices:
      - {id: pay, label: {en: Pay, fr: Salaire}}
      - {id: safety, label: {en: Safety, fr: Sécurité}}
  - id: safety
    type: scale
    min: 1
    max: 5
    label: {en: Safety, fr: Sécurité}
  - id: since
    type: date
    required: no
    label: {en: Since, fr: Depuis}
  - id: union
    type: single
    choices: yes_no
    label: {en: Union member, fr: Syndiqué}
  - id: remedy
    type: text
    required: false
    max_length: 2000
    label: {en: Reform, fr: Réforme}
"""


def load(text: str):
    return inspect_bytes(textwrap.dedent(text).encode(), "survey.yaml")


def errors(text: str) -> list[tuple[int | None, str]]:
    return [(problem.number, problem.code) for problem in load(text).errors]


def test_valid_file_loads_every_field() -> None:
    result = load(VALID)
    assert result.problems == ()
    survey = result.survey
    assert survey is not None
    assert survey.id == "labour-dialogue-2026"
    assert survey.languages == ("en", "fr")
    assert survey.title.get("fr", "en") == "Dialogue sur les droits du travail"
    types = [question.type for question in survey.questions]
    assert types == [QuestionType.NOTE, QuestionType.SINGLE, QuestionType.NUMBER, QuestionType.MULTI,
                     QuestionType.SCALE, QuestionType.DATE, QuestionType.SINGLE, QuestionType.TEXT]
    weeks = survey.question("unpaid_weeks")
    assert weeks is not None and weeks.integer and weeks.relevant == "${sector} = 'garment'"
    assert weeks.constraint_message is not None and weeks.constraint_message.get("fr", "en") == "Entre 0 et 52"
    assert weeks.line == 19
    assert survey.question("safety").min == 1
    assert survey.question("since").required is False
    assert survey.question("remedy").max_length == 2000
    # YAML 1.1 would turn these ids into booleans.
    assert [choice.id for choice in survey.question("union").choices] == ["yes", "no"]
    assert survey.question("sector").hint.get("fr", "en") == "Un seul"


DESIGN_EXAMPLE = """\
id: labour-dialogue-2026            # [a-z0-9_-]+
title: {en: Labour rights dialogue, fr: Dialogue sur les droits du travail}
languages: [en, fr]                 # the first is the default
questions:
  - id: sector
    type: single                    # single | multi | scale | text | number | date | note
    label: {en: Which sector do you work in?, fr: Dans quel secteur travaillez-vous ?}
    choices:
      - {id: garment, label: {en: Garment, fr: Textile}}
      - {id: mining, label: {en: Mining, fr: Mines}}
  - id: unpaid_weeks
    type: number
    label: {en: For how many weeks were wages unpaid?}
    relevant: "${sector} = 'garment'"
    constraint: ". >= 0 and . <= 52"
    constraint_message: {en: Enter a number between 0 and 52}
  - id: safety
    type: scale
    min: 1
    max: 5
    label: {en: How safe do you feel raising concerns?}
  - id: remedy
    type: text
    required: false
    max_length: 2000
    label: {en: What one reform would help most?}
"""


def test_the_design_example_loads_with_question_marks_in_flow_mappings() -> None:
    result = load(DESIGN_EXAMPLE)
    assert result.survey is not None, result.errors
    sector = result.survey.questions[0]
    assert sector.label.translations == {"en": "Which sector do you work in?", "fr": "Dans quel secteur travaillez-vous ?"}
    # Only warnings: the later questions have no French text.
    assert {problem.code for problem in result.problems} == {"missing-translation"}


def test_plain_string_is_the_default_language() -> None:
    survey = load_survey_bytes(b"id: s\ntitle: T\nlanguages: [fr]\nquestions:\n  - {id: q, type: text, label: Nom}\n", "s.yml")
    assert survey.questions[0].label.translations == {"fr": "Nom"}
    assert survey.questions[0].required is True


def test_examples_load_without_problems() -> None:
    assert check_file(EXAMPLES / "human-rights-dialogue.yaml") == []
    survey = load_survey(EXAMPLES / "human-rights-dialogue.yaml")
    assert {question.type for question in survey.questions} == set(QuestionType)


HEADER = "id: s\ntitle: {en: T, fr: T}\nlanguages: [en, fr]\nquestions:\n"


def test_all_errors_are_reported_at_once_with_lines() -> None:
    text = HEADER + textwrap.dedent("""\
      - id: a
        type: single
        label: {en: A, fr: A}
        choices: missing_list
      - id: a
        type: text
        label: {en: A again, fr: A}
      - id: b
        type: scale
        min: 5
        max: 1
        label: {en: B, fr: B}
      - id: c
        type: colour
        label: {en: C, fr: C}
      - id: d
        type: text
        relevant: "${later} = 'x'"
        constraint: ". >>= 3"
        label: {fr: D}
      - id: later
        type: multi
        label: {en: L, fr: L}
        choices: []
    """)
    assert sorted(errors(text)) == [
        (8, "unknown-choice-list"),
        (9, "duplicate-question"),
        (12, "min-above-max"),
        (18, "unknown-type"),
        (20, "bad-expression"),
        (20, "later-reference"),
        (20, "missing-label"),
        (28, "empty-choices"),
    ]


@pytest.mark.parametrize(
    ("body", "line", "code", "fragment"),
    [
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, relevant: \"${nope} = 1\"}\n", 5, "unknown-reference", "unknown question 'nope'"),
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, relevant: \"${q} = 1\"}\n", 5, "self-reference", "itself"),
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, constraint: \"not(\"}\n", 5, "bad-expression", "at character 5"),
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, relevant: \". = 1\"}\n", 5, "current-in-relevant", "'.'"),
        ("  - {id: q, type: single, label: {en: Q, fr: Q}}\n", 5, "empty-choices", "no choices"),
        ("  - {id: q, type: single, label: {en: Q, fr: Q}, choices: []}\n", 5, "empty-choices", "no choices"),
        ("  - id: q\n    type: single\n    label: {en: Q, fr: Q}\n    choices:\n      - {id: x, label: X}\n      - {id: x, label: Y}\n",
         10, "duplicate-choice", "duplicate choice id 'x'"),
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, relevent: \"1\"}\n", 5, "unknown-key", "unknown key 'relevent'"),
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, label: {en: R}}\n", 5, "duplicate-key", "appears twice"),
        ("  - {id: q, type: scale, label: {en: Q, fr: Q}}\n", 5, "scale-bounds", "needs both min and max"),
        ("  - {id: q, type: number, label: {en: Q, fr: Q}, min: ten}\n", 5, "not-a-number", "'ten'"),
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, required: maybe}\n", 5, "not-a-boolean", "'maybe'"),
        ("  - {id: q, type: text, label: {en: Q, de: Q}}\n", 5, "unknown-language", "'de'"),
        ("  - {id: 2q, type: text, label: {en: Q, fr: Q}}\n", 5, "bad-question-id", "'2q'"),
        ("  - {type: text, label: {en: Q}}\n", 5, "missing-key", "no 'id'"),
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, choices: [{id: a, label: A}]}\n", 5, "choices-not-allowed", "cannot have choices"),
        ("  - {id: n, type: note, label: {en: N, fr: N}}\n  - {id: q, type: text, label: {en: Q, fr: Q}, relevant: \"${n} = 1\"}\n",
         6, "note-reference", "note 'n'"),
        ("  - {id: q, type: text, label: {en: Q, fr: Q}, max_length: 0}\n", 5, "bad-max-length", "at least 1"),
    ],
)
def test_each_broken_question_is_reported_on_its_line(body: str, line: int, code: str, fragment: str) -> None:
    problems = load(HEADER + body).errors
    assert (line, code) in [(problem.number, problem.code) for problem in problems]
    message = next(str(problem) for problem in problems if problem.code == code)
    assert message.startswith(f"survey.yaml: line {line}: ")
    assert fragment in message


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [
        ("id: Bad Id\ntitle: T\nlanguages: [en]\nquestions:\n  - {id: q, type: text, label: Q}\n", 1, "bad-survey-id"),
        ("id: s\ntitle: T\nlanguages: []\nquestions:\n  - {id: q, type: text, label: Q}\n", 3, "no-languages"),
        ("id: s\ntitle: T\nlanguages: [en, en]\nquestions:\n  - {id: q, type: text, label: Q}\n", 3, "duplicate-language"),
        ("id: s\ntitle: T\nlanguages: [English]\nquestions:\n  - {id: q, type: text, label: Q}\n", 3, "bad-language"),
        ("id: s\ntitle: T\nquestions:\n  - {id: q, type: text, label: Q}\n", 1, "missing-key"),
        ("id: s\ntitle: T\nlanguages: [en]\nquestions: []\n", 4, "no-questions"),
        ("id: s\ntitle: {fr: T}\nlanguages: [en]\nquestions:\n  - {id: q, type: text, label: Q}\n", 2, "missing-label"),
        ("id: s\ntitle: T\nlanguages: [en]\nquestions:\n  - {id: q, type: text, label: {en: Note: this}}\n", 5, "yaml-syntax"),
        ("id: s\ntitle: T\n  languages: [en]\n", 3, "yaml-syntax"),
        ("- just\n- a list\n", 1, "not-a-mapping"),
        ("id: s\ntitle: T\nlanguages: [en]\nquestions: {q: 1}\n", 4, "not-a-list"),
        ("id: s\nfoo: 1\ntitle: T\nlanguages: [en]\nquestions:\n  - {id: q, type: text, label: Q}\n", 2, "unknown-key"),
    ],
)
def test_each_broken_header_is_reported_on_its_line(text: str, line: int, code: str) -> None:
    assert (line, code) in errors(text)


def test_empty_and_non_utf8_files() -> None:
    assert errors("") == [(None, "empty-file")]
    assert [(p.number, p.code) for p in inspect_bytes(b"id: \xff\xfe", "s.yaml").errors] == [(None, "not-utf8")]


def test_missing_translations_are_warnings_not_errors() -> None:
    result = load(HEADER + "  - {id: q, type: text, label: {en: Q}}\n")
    assert result.survey is not None
    assert [(p.number, p.code, p.severity) for p in result.problems] == [(5, "missing-translation", "warning")]
    assert str(result.problems[0]) == "survey.yaml: line 5: warning: the label of question 'q' has no 'fr' translation"


def test_load_survey_bytes_raises_with_every_problem() -> None:
    with pytest.raises(SurveyDefinitionError) as caught:
        load_survey_bytes((HEADER + "  - {id: q, type: bogus, label: {en: Q}}\n").encode(), "x.yaml")
    codes = {problem.code for problem in caught.value.problems}
    assert codes == {"unknown-type", "missing-translation"}
    assert "x.yaml: line 5:" in str(caught.value)


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    [problem] = inspect_bytes(b"", "survey.txt").problems
    assert problem.code == "unknown-format" and problem.number is None
    [problem] = check_file(tmp_path / "nope.yaml")
    assert problem.code == "unreadable"
    assert str(problem).startswith(f"{tmp_path / 'nope.yaml'}: cannot read the file")
