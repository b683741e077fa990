"""Exports: columns, neutralised formulas, random respondent numbers, the three formats."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from surveys.export import (
    ExportFormat,
    ExportRow,
    ExportWriter,
    columns_for,
    neutralise,
    write_export,
)
from surveys.numbering import RespondentNumbers
from tests.moderation_fixtures import SURVEY, TWELVE

DAY = dt.date(2026, 11, 21)
ROWS = [ExportRow(1, DAY, "en", answers) for answers in TWELVE]


@pytest.mark.parametrize("text", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["wages", "1+1", " =x", "", "'quoted"])
def test_other_text_is_left_as_given(text: str) -> None:
    assert neutralise(text) == text


def test_columns_follow_the_questions_with_multi_select_as_choices() -> None:
    names = [c.name for c in columns_for(SURVEY)]
    assert names == ["respondent", "version", "submitted_on", "language", "region",
                     "issues/wages", "issues/safety", "safe", "remedy"]


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "spreadsheets need the BOM to read UTF-8"
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


def test_csv_rows(tmp_path: Path) -> None:
    result = write_export(SURVEY, ROWS, "csv", tmp_path / "x.csv", len(ROWS))
    rows = read_csv(tmp_path / "x.csv")
    assert result.rows == 12 and len(result.sha256) == 64
    first = next(r for r in rows if r["issues/safety"] == "1" and r["issues/wages"] == "1")
    assert (first["region"], first["safe"], first["version"], first["submitted_on"]) == (
        "north", "4", "1", "2026-11-21")
    remedies = sorted(r["remedy"] for r in rows if r["remedy"])
    assert remedies == ["'+1 more money for overtime please",
                        "'=HYPERLINK(\"http://evil.example\",\"click\")"]


def test_respondent_numbers_are_a_fresh_random_permutation(tmp_path: Path) -> None:
    first = [int(r["respondent"]) for r in read_csv(
        write_export(SURVEY, ROWS, "csv", tmp_path / "a.csv", 12).path)]
    second = [int(r["respondent"]) for r in read_csv(
        write_export(SURVEY, ROWS, "csv", tmp_path / "b.csv", 12).path)]
    assert sorted(first) == sorted(second) == list(range(1, 13))
    assert first != second  # 1 in 12! chance of a false failure
    assert first != list(range(1, 13))


def test_numbering_is_a_bijection_and_extends_past_the_expected_count() -> None:
    for size in (0, 1, 2, 5, 17, 1000):
        numbers = RespondentNumbers(size)
        assert sorted(numbers.number(i) for i in range(size)) == list(range(1, size + 1))
    assert RespondentNumbers(3).number(3) == 4  # a response submitted during the export


def test_no_pseudonym_or_identity_columns(tmp_path: Path) -> None:
    path = write_export(SURVEY, ROWS, "json", tmp_path / "x.json", 12).path
    text = path.read_text(encoding="utf-8")
    assert "respondent_key" not in text and "user" not in text


def test_xlsx_opens_with_openpyxl_and_keeps_text_as_text(tmp_path: Path) -> None:
    result = write_export(SURVEY, ROWS, ExportFormat.XLSX, tmp_path / "x.xlsx", 12)
    sheet = openpyxl.load_workbook(result.path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("respondent", "version", "submitted_on", "language", "region")
    assert len(rows) == 13
    remedy = rows[0].index("remedy")
    texts = {row[remedy] for row in rows[1:]} - {None}
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in texts
    safe = rows[0].index("safe")
    assert all(isinstance(row[safe], (int, float)) for row in rows[1:])


def test_json_is_one_array_with_one_object_per_line(tmp_path: Path) -> None:
    path = write_export(SURVEY, ROWS, "json", tmp_path / "x.json", 12).path
    records = json.loads(path.read_text(encoding="utf-8"))
    assert len(records) == 12
    assert all(isinstance(r["issues/wages"], int) for r in records)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    assert json.loads(lines[1].rstrip(","))["version"] == 1


def test_unanswered_questions_are_empty_and_progress_is_reported(tmp_path: Path) -> None:
    seen: list[int] = []
    writer = ExportWriter(SURVEY, "csv", tmp_path / "x.csv", 2500, progress=seen.append)
    for _ in range(2500):
        writer.add(ExportRow(2, None, None, {"safe": 3}))
    result = writer.close()
    assert seen == [1000, 2000, 2500] and result.rows == 2500
    row = read_csv(result.path)[0]
    assert (row["region"], row["issues/wages"], row["submitted_on"]) == ("", "", "")


def test_a_failed_export_leaves_no_half_file(tmp_path: Path) -> None:
    def broken():
        yield ROWS[0]
        raise RuntimeError("storage went away")

    with pytest.raises(RuntimeError):
        write_export(SURVEY, broken(), "csv", tmp_path / "x.csv", 12)
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_memory_stays_bounded_however_many_rows(tmp_path: Path, fmt: str) -> None:
    import tracemalloc

    import xlsxwriter  # noqa: F401 - imported before measuring: its import is not the export

    def stream(n: int):
        for i in range(n):
            yield ExportRow(1, DAY, "en", {"region": "north", "issues": ("wages",), "safe": i % 5,
                                           "remedy": f"answer number {i}"})

    tracemalloc.start()
    result = write_export(SURVEY, stream(6_000), fmt, tmp_path / f"x.{fmt}", 6_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.rows == 6_000
    # Holding the 6,000 rows alone would take several MB; streaming stays well under one.
    assert peak < 1_000_000
