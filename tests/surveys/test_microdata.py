"""Protected microdata: k-anonymity with local suppression, the risk check, private files."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from surveys.export import cell_columns
from surveys.microdata import MicrodataPlan, is_quasi_identifier
from surveys.model import Choice, Question, QuestionType, Survey, Text
from surveys.protected_export import ProtectedExportWriter


def text(value: str) -> Text:
    return Text({"en": value})


SURVEY = Survey("m", text("M"), ("en", "sw"), (
    Question("region", QuestionType.SINGLE, text("Region"),
             choices=tuple(Choice(c, text(c)) for c in ("north", "south", "east", "west"))),
    Question("role", QuestionType.SINGLE, text("Role"),
             choices=tuple(Choice(c, text(c)) for c in ("worker", "steward"))),
    Question("opinion", QuestionType.SINGLE, text("Opinion"), quasi_identifier=False,
             choices=tuple(Choice(c, text(c)) for c in ("yes", "no"))),
    Question("issues", QuestionType.MULTI, text("Issues"),
             choices=(Choice("wages", text("Wages")), Choice("safety", text("Safety")))),
    Question("weeks", QuestionType.NUMBER, text("Weeks")),
    Question("story", QuestionType.TEXT, text("Story")),
    Question("when", QuestionType.DATE, text("When")),
))
COLUMNS = cell_columns(SURVEY)
QI_NAMES = ("version", "language", "region", "role", "issues/wages", "issues/safety")


def rows(seed: int, n: int) -> list[tuple]:
    rng = random.Random(seed)
    result = []
    for _ in range(n):
        answers = {
            "region": rng.choices(("north", "south", "east", "west"), (20, 5, 2, 1))[0],
            "role": rng.choices(("worker", "steward"), (10, 1))[0],
            "opinion": rng.choice(("yes", "no")),
            "issues": [c for c in ("wages", "safety") if rng.random() < 0.4],
            "weeks": rng.choice((0, 1, 2, 4, 8, 52)),
            "story": "I am the shop steward there",
            "when": "2026-11-02",
        }
        cells = []
        for question_id, choice in COLUMNS:
            value = answers[question_id]
            if choice is not None:
                cells.append(int(choice in value))
            else:
                cells.append(" ".join(value) if isinstance(value, list) else value)
        result.append((1, "2026-11-02", rng.choices(("en", "sw"), (30, 1))[0], *cells))
    return result


def protect(data: list[tuple], k: int = 5) -> tuple[MicrodataPlan, list[dict], object]:
    plan = MicrodataPlan(SURVEY, COLUMNS, k)
    plan.observe(data)
    report = plan.finish()
    names = plan.column_names
    return plan, [dict(zip(names, plan.protect(row), strict=True)) for row in data], report


def test_quasi_identifiers_default_to_select_questions_and_follow_the_survey() -> None:
    kinds = {q.id: is_quasi_identifier(q) for q in SURVEY.questions}
    assert kinds == {"region": True, "role": True, "opinion": False, "issues": True,
                     "weeks": False, "story": False, "when": False}


@pytest.mark.parametrize("seed", range(15))
def test_every_combination_left_is_shared_by_k_rows(seed: int) -> None:
    data = rows(seed, random.Random(seed).randint(8, 120))
    plan, protected, report = protect(data)
    assert plan.column_names == ["version", "language", "region", "role", "opinion",
                                 "issues/wages", "issues/safety", "weeks"]
    combos = Counter(tuple(row[name] for name in QI_NAMES) for row in protected)
    assert all(n >= 5 for combo, n in combos.items() if any(v is not None for v in combo))
    # The report counts what was blanked, and the risk before protection.
    blanked = Counter(name.split("/")[0] for row, original in zip(protected, data, strict=True)
                      for name in QI_NAMES if row[name] is None and name not in ("language",))
    assert sum(report.suppressed_cells.values()) <= sum(blanked.values())
    raw = Counter(tuple(row[i] for i in (0, 2, 3, 4, 6, 7)) for row in data)
    assert report.unique_before == sum(1 for n in raw.values() if n == 1)
    assert report.unique_after == 0
    # Non-identifying answers are never touched; free text and dates never leave.
    assert [row["opinion"] for row in protected] == [row[5] for row in data]
    assert all("story" not in row and "when" not in row for row in protected)
    assert {row["weeks"] for row in protected} <= {None} | {
        w for w in (row["weeks"] for row in protected) if isinstance(w, str)}
    assert "52" not in {row["weeks"] for row in protected}


def test_a_protected_export_file_is_private_and_neutralised(tmp_path: Path) -> None:
    data = rows(1, 40)
    data[0] = (*data[0][:5], "=cmd()", *data[0][6:])  # an opinion cell that looks like a formula
    plan = MicrodataPlan(SURVEY, COLUMNS, 5)
    plan.observe(data)
    plan.finish()
    for fmt in ("csv", "xlsx", "json"):
        output = tmp_path / f"out.{fmt}"
        output.write_text("old")
        output.chmod(0o644)
        writer = ProtectedExportWriter(plan, fmt, output, len(data))
        writer.add_cells(data)
        result = writer.close()
        assert output.stat().st_mode & 0o777 == 0o600, fmt
        assert result.rows == 40
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert "'=cmd()" in [cell.value for cell in sheet["F"]]  # the opinion column
