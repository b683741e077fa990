"""XLSForm fidelity: cascading selects, calculations, and clear refusals of the rest.

The same pure functions serve the bot and ``consultbot try``: ``available_choices`` lists
what a participant may pick, ``parse_answer``/``check_answer`` refuse anything else.
"""

from __future__ import annotations

import io

import pytest
from pyxform.xls2json_backends import md_table_to_workbook

from surveys.codec import survey_from_json, survey_to_json
from surveys.engine import (
    InvalidAnswer,
    available_choices,
    calculated_values,
    check_answer,
    next_question,
    parse_answer,
    relevant_answers,
)
from surveys.loading import LoadResult, inspect_bytes
from surveys.model import Survey


def xlsform(markdown: str) -> LoadResult:
    buffer = io.BytesIO()
    md_table_to_workbook(markdown).save(buffer)
    return inspect_bytes(buffer.getvalue(), "form.xlsx")


def loaded(result: LoadResult) -> Survey:
    assert result.survey is not None, [str(p) for p in result.problems]
    return result.survey


CASCADE = """
| survey |
| | type | name | label | choice_filter | required |
| | select_one region | region | Region? | | yes |
| | select_one district | district | District? | region=${region} | yes |
| | select_multiple district | visited | Districts visited? | region = ${region} or name = 'capital' | no |
| choices |
| | list_name | name | label | region |
| | region | north | North | |
| | region | south | South | |
| | district | north_1 | North-1 | north |
| | district | north_2 | North-2 | north |
| | district | south_1 | South-1 | south |
| | district | capital | Capital | |
"""


def ids(choices: tuple[object, ...]) -> list[str]:
    return [choice.id for choice in choices]  # type: ignore[attr-defined]  # Choice


def test_cascading_select_offers_only_the_districts_of_the_region() -> None:
    survey = loaded(xlsform(CASCADE))
    district = survey.questions[1]
    assert district.choice_filter == "region=${region}"
    assert dict(district.choices[0].properties) == {"region": "north"}
    assert ids(available_choices(district, {"region": "north"})) == ["north_1", "north_2"]
    assert ids(available_choices(district, {"region": "south"})) == ["south_1"]
    assert ids(available_choices(survey.questions[2], {"region": "south"})) == ["south_1", "capital"]


def test_a_filtered_out_choice_is_refused_typed_or_pressed() -> None:
    survey = loaded(xlsform(CASCADE))
    district = survey.questions[1]
    answers = {"region": "north"}
    with pytest.raises(InvalidAnswer):
        check_answer(district, "south_1", answers)  # a button press or a forged one
    with pytest.raises(InvalidAnswer):
        parse_answer(district, "South-1", answers)  # typed by its label
    assert check_answer(district, "north_2", answers) == "north_2"
    # Typed numbers count in the list as shown: 1 is the first *offered* district.
    assert parse_answer(district, "1", {"region": "south"}) == "south_1"
    with pytest.raises(InvalidAnswer):
        parse_answer(district, "2", {"region": "south"})
    with pytest.raises(InvalidAnswer):
        check_answer(survey.questions[2], ("north_1", "capital"), {"region": "south"})


def test_changing_the_region_clears_the_old_district_as_odk_does() -> None:
    survey = loaded(xlsform(CASCADE))
    answers = {"region": "south", "district": "north_1", "visited": ("north_1", "capital")}
    assert relevant_answers(survey, answers) == {"region": "south", "visited": ("capital",)}


def test_a_filter_that_leaves_nothing_skips_the_question() -> None:
    survey = loaded(xlsform(CASCADE.replace("| | district | south_1 | South-1 | south |\n", "")))
    assert next_question(survey, {"region": "south"}, "region") is survey.questions[2]
    assert ids(available_choices(survey.questions[2], {"region": "south"})) == ["capital"]


def test_yaml_choice_filter_with_choice_properties() -> None:
    text = """
id: s
title: S
languages: [en]
choice_lists:
  district:
    - {id: n1, label: North-1, region: north}
    - {id: s1, label: South-1, region: south}
questions:
  - id: region
    type: single
    label: Region?
    choices: [{id: north, label: North}, {id: south, label: South}]
  - id: district
    type: single
    label: District?
    choices: district
    choice_filter: region = ${region}
"""
    survey = loaded(inspect_bytes(text.encode(), "s.yaml"))
    assert ids(available_choices(survey.questions[1], {"region": "south"})) == ["s1"]
    assert survey_from_json(survey_to_json(survey)) == survey


@pytest.mark.parametrize(
    ("filter_", "code"),
    [("province = ${region}", "unknown-choice-column"), ("region = ${later}", "later-reference"), ("region = (", "bad-expression")],
)
def test_broken_choice_filters_are_reported_with_the_row(filter_: str, code: str) -> None:
    markdown = CASCADE.replace("region=${region}", filter_).replace(
        "| | select_multiple district |", "| | text | later | Later? | | |\n| | select_multiple district |")
    result = xlsform(markdown)
    assert (3, code) in [(p.number, p.code) for p in result.errors]


CALCULATE = """
| survey |
| | type | name | label | calculation | relevant | constraint |
| | integer | adults | Adults? | | | |
| | integer | children | Children? | | | |
| | calculate | household | | ${adults} + ${children} | | |
| | calculate | large | | if(${household} > 5, 'yes', 'no') | | |
| | integer | rooms | Rooms? | | ${large} = 'yes' | . <= ${household} |
| settings |
| | form_id |
| | homes |
"""


def test_calculations_drive_relevance_and_constraints() -> None:
    survey = loaded(xlsform(CALCULATE))
    assert [q.id for q in survey.questions] == ["adults", "children", "rooms"]
    rooms = survey.questions[2]
    assert next_question(survey, {"adults": 2, "children": 1}, "children") is None
    assert next_question(survey, {"adults": 2, "children": 4}, "children") is rooms
    assert parse_answer(rooms, "6", {"adults": 2, "children": 4}) == 6
    with pytest.raises(InvalidAnswer):
        parse_answer(rooms, "7", {"adults": 2, "children": 4})
    assert calculated_values(survey, {"adults": 2, "children": 4}) == {"household": "6", "large": "yes"}
    assert calculated_values(survey, {}) == {"household": "NaN", "large": "no"}
    assert survey_from_json(survey_to_json(survey)) == survey


def test_yaml_calculate_and_its_relevance() -> None:
    text = """
id: s
title: S
languages: [en]
questions:
  - {id: age, type: number, label: Age?}
  - {id: adult, type: calculate, calculation: "${age} >= 18", relevant: "${age} != ''"}
  - {id: work, type: text, label: Work?, relevant: "${adult} = 'true'"}
"""
    survey = loaded(inspect_bytes(text.encode(), "s.yaml"))
    assert next_question(survey, {"age": 30}, "age") is survey.questions[1]
    assert next_question(survey, {"age": 12}, "age") is None
    assert calculated_values(survey, {}) == {"adult": ""}


def test_calculation_used_before_it_is_defined_is_refused() -> None:
    markdown = CALCULATE.replace("| | calculate | household | | ${adults} + ${children} | | |\n", "").replace(
        "| | integer | rooms |", "| | calculate | household | | ${adults} + ${children} | | |\n| | integer | rooms |")
    markdown = markdown.replace("| | calculate | large |", "| | integer | x | X | | ${household} > 1 | |\n| | calculate | large |")
    result = xlsform(markdown)
    assert (5, "later-reference") in [(p.number, p.code) for p in result.errors]


def test_calculations_that_explode_when_written_out_are_refused() -> None:
    rows = ["| | integer | a | A | |", "| | calculate | c0 | | ${a} + ${a} |"]
    rows += [f"| | calculate | c{n} | | ${{c{n - 1}}} + ${{c{n - 1}}} |" for n in range(1, 30)]
    markdown = "| survey |\n| | type | name | label | calculation |\n" + "\n".join(rows) + "\n"
    result = xlsform(markdown)
    assert "calculation-too-large" in {p.code for p in result.errors}
    assert "longer than 4000 characters" in str(result.errors[0])


@pytest.mark.parametrize(
    "row",
    [
        "| | begin repeat | r | R |", "| | geopoint | g | G |", "| | geotrace | g | G |", "| | image | i | I |",
        "| | audio | a | A |", "| | video | v | V |", "| | file | f | F |", "| | barcode | b | B |",
        "| | time | t | T |", "| | datetime | t | T |", "| | select_one_from_file x.csv | s | S |",
        "| | select_one yn or_other | s | S |", "| | rank yn | r | R |",
    ],
)
def test_unsupported_types_are_refused_naming_the_row_and_the_type(row: str) -> None:
    result = xlsform(f"| survey |\n| | type | name | label |\n| | text | ok | OK |\n{row}\n"
                     "| choices |\n| | list_name | name | label |\n| | yn | y | Yes |\n")
    problems = [p for p in result.errors if p.code == "unsupported-type"]
    assert [p.number for p in problems][:1] == [3]
    kind = row.split("|")[2].strip()
    assert f"type '{kind}' is not supported" in str(problems[0])


@pytest.mark.parametrize(("column", "value"), [("read_only", "yes"), ("repeat_count", "3"), ("calculation", "1 + 1"), ("trigger", "${q}")])
def test_columns_that_change_meaning_are_refused_not_dropped(column: str, value: str) -> None:
    result = xlsform(f"| survey |\n| | type | name | label | {column} |\n| | text | q | Q | {value} |\n")
    assert [(p.number, p.code) for p in result.errors] == [(2, "unsupported-column")]
    assert f"column '{column}' is not supported" in str(result.errors[0])
