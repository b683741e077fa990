"""The XLSX writer chosen by figures (rust_xlsxwriter) against xlsxwriter, its fallback.

Both must give a spreadsheet with the same header (bold, frozen), the same values (text
kept as text, formula-like text neutralised), mode 0600, and a header even with no row.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest

from surveys import export_files
from surveys.export import ExportWriter, write_export
from tests.surveys.test_export import ROWS, SURVEY

pytest.importorskip("rustpy_xlsxwriter")


def _sheet(path: Path) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet.title == "responses" and sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_rust_and_xlsxwriter_write_the_same_sheet(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fast = write_export(SURVEY, ROWS, "xlsx", tmp_path / "fast.xlsx", 12)
    probe = export_files._xlsx_sink(tmp_path / "probe.xlsx")
    probe.close()
    assert type(probe).__name__ == "RustXlsxSink"
    monkeypatch.setitem(sys.modules, "rustpy_xlsxwriter", None)  # as without its wheel
    fallback = export_files._xlsx_sink(tmp_path / "probe.xlsx")
    fallback.close()
    assert type(fallback).__name__ == "_XlsxSink"
    slow = write_export(SURVEY, ROWS, "xlsx", tmp_path / "slow.xlsx", 12)
    fast_rows, slow_rows = _sheet(fast.path), _sheet(slow.path)
    assert fast_rows[0] == slow_rows[0]
    # Respondent numbers differ (a fresh permutation per export); every other value is equal.
    assert [row[1:] for row in fast_rows[1:]] == [row[1:] for row in slow_rows[1:]]
    remedy = fast_rows[0].index("remedy")
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in {row[remedy] for row in fast_rows}
    assert fast.path.stat().st_mode & 0o777 == 0o600


def test_an_empty_export_has_its_header(tmp_path: Path) -> None:
    output = tmp_path / "empty.xlsx"
    output.write_text("old")
    output.chmod(0o644)
    result = ExportWriter(SURVEY, "xlsx", output, 0).close()
    assert result.rows == 0 and output.stat().st_mode & 0o777 == 0o600
    rows = _sheet(output)
    assert len(rows) == 1 and rows[0][:3] == ("respondent", "version", "submitted_on")
