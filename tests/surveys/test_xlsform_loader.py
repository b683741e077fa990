"""The XLSForm loader: the example, a valid form, and broken forms with their rows.

Forms are written as markdown tables (as pyxform's own tests do) and turned into real
``.xlsx`` files with pyxform's ``md_table_to_workbook``, so each case stays readable.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from pyxform.xls2json_backends import md_table_to_workbook

from surveys.loading import LoadResult, check_file, inspect_bytes, load_survey
from surveys.model import QuestionType

EXAMPLE = Path(__file__).parents[2] / "surveys" / "examples" / "economic-partnership.xlsx"


def xlsx(markdown: str) -> bytes:
    buffer = io.BytesIO()
    md_table_to_workbook(markdown).save(buffer)
    return buffer.getvalue()


def load(markdown: str, name: str = "form.xlsx") -> LoadResult:
    return inspect_bytes(xlsx(markdown), name)


def rows(result: LoadResult) -> list[tuple[int | None, str]]:
    return [(problem.number, problem.code) for problem in result.errors]


VALID = """
| survey |
| | type | name | label::English (en) | label::Français (fr) | hint::English (en) | required | relevant | constraint | constraint_message::English (en) | constraint_message::Français (fr) | parameters |
| | note | intro | Welcome | Bienvenue | | | | | | | |
| | select_one sector | sector | Sector | Secteur | Pick one | yes | | | | | |
| | integer | weeks | Weeks unpaid | Semaines | | true | ${sector} = 'garment' | . >= 0 and . <= 52 | 0 to 52 | 0 à 52 | |
| | decimal | share | Share | Part | | | | | | | |
| | select_multiple issue | issues | Issues | Problèmes | | 1 | | count-selected(.) <= 2 | | | |
| | range | safety | Safety | Sécurité | | yes | | | | | start=0 end=4 step=1 |
| | date | since | Since | Depuis | | no | | | | | |
| | text | remedy | Reform | Réforme | | | | | | | |
| choices |
| | list_name | name | label::English (en) | label::Français (fr) |
| | sector | garment | Garment | Textile |
| | sector | mining | Mining | Mines |
| | issue | pay | Pay | Salaire |
| | issue | safety | Safety | Sécurité |
| settings |
| | form_id | form_title | default_language |
| | labour-2026 | Labour dialogue | English (en) |
"""


def test_valid_form_maps_every_type_and_column() -> None:
    result = load(VALID)
    # Only the hint lacks its French text: a warning, as pyxform would give.
    assert [(p.number, p.code, p.severity) for p in result.problems] == [(3, "missing-translation", "warning")]
    survey = result.survey
    assert survey is not None
    assert (survey.id, survey.languages, survey.title.get("en", "en")) == ("labour-2026", ("en", "fr"), "Labour dialogue")
    by_id = {question.id: question for question in survey.questions}
    assert [q.type for q in survey.questions] == [
        QuestionType.NOTE, QuestionType.SINGLE, QuestionType.NUMBER, QuestionType.NUMBER,
        QuestionType.MULTI, QuestionType.SCALE, QuestionType.DATE, QuestionType.TEXT,
    ]
    assert by_id["weeks"].integer and not by_id["share"].integer
    assert by_id["weeks"].required and by_id["sector"].required and by_id["issues"].required
    assert not by_id["share"].required and not by_id["since"].required  # XLSForm default: optional
    assert by_id["weeks"].relevant == "${sector} = 'garment'"
    assert by_id["weeks"].constraint_message.get("fr", "en") == "0 à 52"
    assert (by_id["safety"].min, by_id["safety"].max) == (0, 4)
    assert [c.id for c in by_id["sector"].choices] == ["garment", "mining"]
    assert by_id["sector"].choices[0].label.get("fr", "en") == "Textile"
    assert by_id["sector"].hint.get("en", "en") == "Pick one"
    assert by_id["weeks"].line == 4  # spreadsheet row: header is row 1


def test_broken_form_reports_missing_list_and_duplicate_name_with_rows() -> None:
    result = load("""
| survey |
| | type | name | label |
| | select_one nowhere | colour | Favourite colour? |
| | text | colour | Again? |
""")
    assert rows(result) == [(2, "unknown-choice-list"), (3, "duplicate-question")]
    rendered = [str(problem) for problem in result.errors]
    assert rendered[0].startswith("form.xlsx: row 2: ") and "'nowhere'" in rendered[0]
    assert rendered[1].startswith("form.xlsx: row 3: ") and "'colour'" in rendered[1]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("| survey |\n| | type | name | label |\n| | geopoint | where | Where? |\n", (2, "unsupported-type")),
        ("| survey |\n| | type | name | label |\n| | begin repeat | r | R |\n| | end repeat | | |\n", (2, "unsupported-type")),
        ("| survey |\n| | type | name | label |\n| | text | | Q |\n", (2, "missing-name")),
        ("| survey |\n| | type | name | label |\n| | text | q | |\n", (2, "missing-label")),
        ("| survey |\n| | type | name | label | required |\n| | text | q | Q | ${x} = 1 |\n", (2, "bad-required")),
        ("| survey |\n| | type | name | label | relevant |\n| | text | q | Q | ${later} = 1 |\n| | text | later | L | |\n", (2, "later-reference")),
        ("| survey |\n| | type | name | label | constraint |\n| | integer | q | Q | . >= |\n", (2, "bad-expression")),
        ("| survey |\n| | type | name | label | parameters |\n| | range | q | Q | start=5 end=1 |\n", (2, "min-above-max")),
        ("| survey |\n| | type | name | label | parameters |\n| | range | q | Q | start=1 end=5 step=2 |\n", (2, "bad-parameters")),
        ("| survey |\n| | type | name | label |\n| | begin group | g | G |\n| | text | q | Q |\n", (2, "unclosed-group")),
        ("| survey |\n| | type | name | label |\n| | text | q | Q |\n| | end group | | |\n", (3, "unmatched-group")),
        ("| survey |\n| | type | name | label |\n| | select_one l | q | Q |\n| choices |\n| | list_name | name | label |\n| | l | a | A |\n| | l | a | B |\n",
         (3, "duplicate-choice")),
        ("| survey |\n| | type | name | label |\n| | text | q | Q |\n| settings |\n| | form_id |\n| | Not Valid |\n", (2, "bad-survey-id")),
    ],
)
def test_each_broken_row_is_reported(markdown: str, expected: tuple[int, str]) -> None:
    assert expected in rows(load(markdown))


def test_groups_are_flattened_and_their_relevance_kept() -> None:
    survey = load("""
| survey |
| | type | name | label | relevant |
| | integer | age | Age | |
| | begin group | adult | Adults | ${age} >= 18 |
| | text | job | Job | ${age} < 65 |
| | text | union | Union | |
| | end group | | | |
| | text | last | Last | |
""").survey
    assert survey is not None
    assert [q.id for q in survey.questions] == ["age", "job", "union", "last"]
    assert survey.question("job").relevant == "(${age} >= 18) and (${age} < 65)"
    assert survey.question("union").relevant == "${age} >= 18"
    assert survey.question("last").relevant is None


def test_languages_default_and_plain_label_column() -> None:
    survey = load("""
| survey |
| | type | name | label | label::Arabic (ar) |
| | text | q | Question | سؤال |
| settings |
| | form_id | default_language |
| | s | fr |
""").survey
    assert survey is not None
    assert survey.languages == ("fr", "ar")
    assert survey.questions[0].label.translations == {"fr": "Question", "ar": "سؤال"}


def test_warnings_do_not_fail_the_form() -> None:
    result = load("""
| survey |
| | type | name | label::English (en) | label::Français (fr) | appearance |
| | start | start | | | |
| | text | q | Question | | multiline |
""", name="my_form.xlsx")
    assert result.survey is not None and result.survey.id == "my_form"
    codes = sorted(problem.code for problem in result.warnings)
    assert codes == ["ignored-column", "ignored-metadata", "missing-translation"]
    assert "form.xlsx: row 3: warning: " in str(next(p for p in result.warnings if p.code == "missing-translation"))


def test_unreadable_workbooks() -> None:
    assert rows(inspect_bytes(b"not a zip file", "x.xlsx")) == [(None, "unreadable-workbook")]
    workbook = Workbook()
    workbook.active.title = "questions"
    workbook.create_sheet("other")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert rows(inspect_bytes(buffer.getvalue(), "x.xlsx")) == [(None, "missing-sheet")]


def test_example_loads_cleanly_with_three_languages_and_every_type() -> None:
    assert check_file(EXAMPLE) == []
    survey = load_survey(EXAMPLE)
    assert survey.languages == ("en", "fr", "ar")
    assert {question.type for question in survey.questions} == set(QuestionType)
    assert any(question.relevant for question in survey.questions)
    assert any(question.constraint_message for question in survey.questions)


def test_example_is_a_real_xlsform_that_pyxform_converts() -> None:
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    result = convert(xlsform=str(EXAMPLE), validate=False, warnings=warnings)
    assert "<h:title>" in result.xform
    assert warnings == []
