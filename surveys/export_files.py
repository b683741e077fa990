"""The files an export writes: one sink per format, each file private (0600) from its
first byte.

Split from :mod:`surveys.export`, which decides *what* goes in a row (columns, respondent
numbers, neutralised text); a sink only decides how a row of scalars is written: CSV with the
byte order mark Excel needs, JSON one object per line, XLSX by rust_xlsxwriter
(:mod:`surveys.xlsx_rust`) where its wheel installs, else xlsxwriter. Text formats can also
format a row once and write it again under many respondent numbers (``prepare``/``numbered``).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

__all__ = [
    "XLSX_MAX_ROWS",
    "ExportFormat",
    "ExportTooLarge",
    "Sink",
    "Value",
    "create_private",
    "open_sink",
]

#: Rows an XLSX worksheet can hold, header included.
XLSX_MAX_ROWS = 1_048_576

Value = str | int | float | None


class ExportFormat(StrEnum):
    """The export file formats."""

    CSV = "csv"
    XLSX = "xlsx"
    JSON = "json"


class ExportTooLarge(ValueError):
    """More responses than the format can hold (XLSX: about a million rows)."""


class Sink:
    """Format-specific writing of the header and the rows (one per format; XLSX also in
    :mod:`surveys.xlsx_rust`)."""

    def header(self, names: list[str]) -> None:
        raise NotImplementedError

    def row(self, values: list[Value]) -> None:
        raise NotImplementedError

    def rows(self, rows: list[list[Value]]) -> None:
        for values in rows:
            self.row(values)

    def prepare(self, values: list[Value]) -> Any:
        """A row without its respondent number, made ready once for :meth:`numbered` (text
        formats: ``prefix + separator.join(fields(values)) + suffix``, see ``joints``)."""
        fields = self.fields(values)
        if fields is None:
            return values
        prefix, separator, suffix = self.joints
        return prefix + separator.join(fields) + suffix

    def fields(self, values: list[Value]) -> list[str] | None:
        """Text formats: each value of a row without its respondent number, formatted as
        :meth:`prepare` would (``None``: not a text format)."""
        return None

    #: Text formats: what :meth:`prepare` returns is ``prefix + separator.join(fields) +
    #: suffix`` with the :meth:`fields`; these are the three.
    joints: tuple[str, str, str] = ("", "", "")
    #: Whether :meth:`fields` formats rows as text (CSV, JSON).
    textual = False

    def numbered(self, numbers: Sequence[int], prepared: Sequence[Any]) -> None:
        """Write rows made of a respondent number and a :meth:`prepare`-d rest."""
        self.rows([[number, *values] for number, values in zip(numbers, prepared, strict=True)])

    def close(self) -> None:
        raise NotImplementedError


def create_private(path: Path) -> int:
    """Create (or empty) ``path`` readable by its owner only, and return its descriptor.

    An export holds people's answers: it is mode 0600 from its first byte, not chmod-ed
    after being written (another user could open it in between).
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an existing file keeps its old mode otherwise
    return descriptor


class _CsvSink(Sink):
    joints = (",", ",", "\r\n")
    textual = True

    def __init__(self, path: Path) -> None:
        # utf-8-sig writes the byte order mark that makes Excel read UTF-8 (not cp1252).
        self._file: IO[str] = os.fdopen(create_private(path), "w", encoding="utf-8-sig",
                                        newline="")
        self._writer = csv.writer(self._file)
        self._line = io.StringIO(newline="")
        self._line_writer = csv.writer(self._line)

    def header(self, names: list[str]) -> None:
        self._writer.writerow(names)

    def row(self, values: list[Value]) -> None:
        self._writer.writerow(values)  # csv writes None as an empty field

    def rows(self, rows: list[list[Value]]) -> None:
        self._writer.writerows(rows)

    def fields(self, values: list[Value]) -> list[str]:
        # csv quotes each field on its own (QUOTE_MINIMAL), so a field is what it writes
        # between the commas of a two-field row.
        out = []
        for value in values:
            self._line.seek(0)
            self._line.truncate()
            self._line_writer.writerow(["", value])
            out.append(self._line.getvalue()[1:-2])
        return out

    def numbered(self, numbers: Sequence[int], prepared: Sequence[Any]) -> None:
        self._file.write("".join([f"{number}{rest}" for number, rest in
                                  zip(numbers, prepared, strict=True)]))

    def close(self) -> None:
        self._file.close()


class _JsonSink(Sink):
    """A JSON array with one object per line: valid JSON, and readable line by line."""

    joints = (", ", ", ", "}")
    textual = True

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = os.fdopen(create_private(path), "w", encoding="utf-8",
                                        newline="\n")
        self._names: list[str] = []
        self._first = True

    def header(self, names: list[str]) -> None:
        self._names = names
        self._file.write("[")

    def row(self, values: list[Value]) -> None:
        record = dict(zip(self._names, values, strict=True))
        self._file.write(("\n" if self._first else ",\n") + json.dumps(record, ensure_ascii=False))
        self._first = False

    def fields(self, values: list[Value]) -> list[str]:
        return [json.dumps(name, ensure_ascii=False) + ": " + json.dumps(value, ensure_ascii=False)
                for name, value in zip(self._names[1:], values, strict=True)]

    def numbered(self, numbers: Sequence[int], prepared: Sequence[Any]) -> None:
        if not numbers:
            return
        start = "{" + json.dumps(self._names[0], ensure_ascii=False) + ": "
        lines = [f"{start}{number}{rest}" for number, rest in zip(numbers, prepared, strict=True)]
        self._file.write(("\n" if self._first else ",\n") + ",\n".join(lines))
        self._first = False

    def close(self) -> None:
        self._file.write("\n]\n")
        self._file.close()


class _XlsxSink(Sink):
    def __init__(self, path: Path) -> None:
        import xlsxwriter

        # xlsxwriter opens the path itself; it truncates the private file made here, which
        # keeps its 0600 mode.
        os.close(create_private(path))
        # constant_memory flushes each row to disk once the next starts; conversions off so
        # a text answer is always written as text, never as a formula, URL or number.
        self._workbook = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self._sheet = self._workbook.add_worksheet("responses")
        self._bold = self._workbook.add_format({"bold": True})
        self._row = 0

    def header(self, names: list[str]) -> None:
        for col, name in enumerate(names):
            self._sheet.write_string(0, col, name, self._bold)
        self._sheet.freeze_panes(1, 0)
        self._row = 1

    def row(self, values: list[Value]) -> None:
        if self._row >= XLSX_MAX_ROWS:
            raise ExportTooLarge("too many responses for one XLSX sheet; export CSV or JSON")
        for col, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, (int, float)):
                self._sheet.write_number(self._row, col, value)
            else:
                self._sheet.write_string(self._row, col, value)
        self._row += 1

    def close(self) -> None:
        self._workbook.close()


def open_sink(fmt: ExportFormat | str, output: Path, names: list[str]) -> Sink:
    """A writer of ``output`` in ``fmt`` (mode 0600) with its header already written."""
    sink = _SINKS[ExportFormat(fmt)](Path(output))
    sink.header(names)
    return sink


def _xlsx_sink(path: Path) -> Sink:
    """rust_xlsxwriter where its wheel installs (surveys.xlsx_rust: ~5x faster, chosen by
    the figures in bench/README.md), else xlsxwriter."""
    try:
        import rustpy_xlsxwriter  # noqa: F401 - only whether its wheel is installed
    except ImportError:
        return _XlsxSink(path)
    from surveys.xlsx_rust import RustXlsxSink

    return RustXlsxSink(path)


_SINKS: dict[ExportFormat, Callable[[Path], Sink]] = {
    ExportFormat.CSV: _CsvSink,
    ExportFormat.JSON: _JsonSink,
    ExportFormat.XLSX: _xlsx_sink,
}
