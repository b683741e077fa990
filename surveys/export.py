"""Exports of submitted responses: CSV, XLSX and JSON, streamed with bounded memory.

One row per submitted response: a random per-export respondent number (never the pseudonym,
see :mod:`surveys.numbering`), the survey version, the submission day, the language, then one
column per question; a multi-select question becomes one 0/1 column per choice named
``question/choice``, as KoboToolbox exports do. Free text is exported as given, except that a
text starting with ``= + - @``, a tab or a carriage return gets a leading ``'`` (OWASP's advice
against CSV/formula injection): a participant's answer must never run as a formula on a
moderator's computer. The same neutralisation applies to every format so the three exports
hold identical values.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Protocol

from surveys.model import Answers, Question, QuestionType, Survey
from surveys.numbering import RespondentNumbers

__all__ = [
    "Column",
    "ExportFormat",
    "ExportResult",
    "ExportRow",
    "ExportTooLarge",
    "ExportWriter",
    "ResponseRow",
    "columns_for",
    "neutralise",
    "write_export",
]

#: Characters that make a spreadsheet treat a cell as a formula (or split it).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Progress is reported every this many rows.
PROGRESS_EVERY = 1000
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


class ResponseRow(Protocol):
    """What the exporter reads of a response (storage's batches provide exactly this)."""

    @property
    def version(self) -> int: ...  # noqa: D102
    @property
    def submitted_on(self) -> _dt.date | None: ...  # noqa: D102
    @property
    def language(self) -> str | None: ...  # noqa: D102
    @property
    def answers(self) -> Answers: ...  # noqa: D102


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One submitted response, as storage hands it to the exporter (no pseudonym)."""

    version: int
    submitted_on: _dt.date | None
    language: str | None
    answers: Answers


@dataclass(frozen=True, slots=True)
class Column:
    """One column: a question, or one choice of a multi-select question."""

    name: str
    question: Question | None = None
    choice_id: str | None = None


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What was written, for the audit log: row count and the file's SHA-256."""

    path: Path
    format: ExportFormat
    rows: int
    sha256: str


_FIXED_COLUMNS = (
    Column("respondent"),
    Column("version"),
    Column("submitted_on"),
    Column("language"),
)


def neutralise(text: str) -> str:
    """Prefix a formula-like text with ``'`` so spreadsheets show it instead of running it."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def columns_for(survey: Survey) -> tuple[Column, ...]:
    """The export columns of a survey, in question order (notes have no column)."""
    columns = list(_FIXED_COLUMNS)
    for question in survey.questions:
        if question.type is QuestionType.NOTE:
            continue
        if question.type is QuestionType.MULTI:
            columns.extend(
                Column(f"{question.id}/{choice.id}", question, choice.id)
                for choice in question.choices
            )
        else:
            columns.append(Column(question.id, question))
    return tuple(columns)


def _text_cell(answer: object) -> Value:
    if answer is None:
        return None
    if isinstance(answer, bool):
        return int(answer)
    if isinstance(answer, (int, float)):
        return answer
    if isinstance(answer, (tuple, list)):
        return neutralise(" ".join(str(a) for a in answer))
    return neutralise(str(answer))


CellsOf = Callable[[Answers], list[Value]]


def _cells_of(question: Question) -> CellsOf:
    """The function giving a question's cells from one response's answers.

    Built once per export (not looked up per cell) because an export of a million rows
    calls it ten million times.
    """
    question_id = question.id
    kind = question.type
    if kind is QuestionType.SINGLE:
        # Choice ids are known in advance: neutralise each once, not once per row.
        safe = {choice.id: neutralise(choice.id) for choice in question.choices}

        def single(answers: Answers) -> list[Value]:
            answer = answers.get(question_id)
            found = safe.get(answer) if isinstance(answer, str) else None
            return [found if found is not None else _text_cell(answer)]

        return single
    if kind in (QuestionType.SCALE, QuestionType.NUMBER):

        def number(answers: Answers) -> list[Value]:
            answer = answers.get(question_id)
            kind_of = type(answer)
            return [answer if kind_of is int or kind_of is float else _text_cell(answer)]

        return number
    if kind is not QuestionType.MULTI:
        return lambda answers: [_text_cell(answers.get(question_id))]
    choice_ids = [choice.id for choice in question.choices]
    empty: list[Value] = [None] * len(choice_ids)

    def multi(answers: Answers) -> list[Value]:
        answer = answers.get(question_id)
        if answer is None:
            return empty
        chosen = {answer} if isinstance(answer, str) else set(answer)  # type: ignore[arg-type]
        return [1 if choice_id in chosen else 0 for choice_id in choice_ids]

    return multi


class _Sink:
    """Format-specific writing of the header and the rows."""

    def header(self, names: list[str]) -> None:
        raise NotImplementedError

    def row(self, values: list[Value]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _CsvSink(_Sink):
    def __init__(self, path: Path) -> None:
        # utf-8-sig writes the byte order mark that makes Excel read UTF-8 (not cp1252).
        self._file: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)

    def header(self, names: list[str]) -> None:
        self._writer.writerow(names)

    def row(self, values: list[Value]) -> None:
        self._writer.writerow(["" if v is None else v for v in values])

    def close(self) -> None:
        self._file.close()


class _JsonSink(_Sink):
    """A JSON array with one object per line: valid JSON, and readable line by line."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="\n")
        self._names: list[str] = []
        self._first = True

    def header(self, names: list[str]) -> None:
        self._names = names
        self._file.write("[")

    def row(self, values: list[Value]) -> None:
        record = dict(zip(self._names, values, strict=True))
        self._file.write(("\n" if self._first else ",\n") + json.dumps(record, ensure_ascii=False))
        self._first = False

    def close(self) -> None:
        self._file.write("\n]\n")
        self._file.close()


class _XlsxSink(_Sink):
    def __init__(self, path: Path) -> None:
        import xlsxwriter

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


_SINKS: dict[ExportFormat, Callable[[Path], _Sink]] = {
    ExportFormat.CSV: _CsvSink,
    ExportFormat.JSON: _JsonSink,
    ExportFormat.XLSX: _XlsxSink,
}


class ExportWriter:
    """Writes an export row by row; feed it from a stream, then :meth:`close` it.

    Kept incremental (rather than one function taking an iterable) so an async caller can
    read a batch from storage, hand it to a worker thread, and never hold more than a batch.
    """

    def __init__(
        self,
        survey: Survey,
        fmt: ExportFormat | str,
        output: Path,
        expected_rows: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self._format = ExportFormat(fmt)
        self._output = Path(output)
        self._columns = columns_for(survey)
        self._cells = [_cells_of(q) for q in survey.questions if q.type is not QuestionType.NOTE]
        self._numbers = RespondentNumbers(expected_rows)
        self._progress = progress
        self._rows = 0
        self._sink = _SINKS[self._format](self._output)
        self._sink.header([column.name for column in self._columns])

    @property
    def rows(self) -> int:
        """Rows written so far."""
        return self._rows

    def add(self, row: ResponseRow) -> None:
        """Write one response."""
        fixed: list[Value] = [
            self._numbers.number(self._rows),
            row.version,
            row.submitted_on.isoformat() if row.submitted_on else None,
            neutralise(row.language) if row.language else None,
        ]
        answers = row.answers
        for cells_of in self._cells:
            fixed.extend(cells_of(answers))
        self._sink.row(fixed)
        self._rows += 1
        if self._progress is not None and self._rows % PROGRESS_EVERY == 0:
            self._progress(self._rows)

    def add_many(self, rows: Iterable[ResponseRow]) -> None:
        """Write several responses (one batch from storage)."""
        for row in rows:
            self.add(row)

    def close(self) -> ExportResult:
        """Finish the file and hash it for the audit log."""
        self._sink.close()
        if self._progress is not None:
            self._progress(self._rows)
        return ExportResult(self._output, self._format, self._rows, _sha256(self._output))

    def abort(self) -> None:
        """Close and delete a half-written file (after an error)."""
        try:
            self._sink.close()
        finally:
            self._output.unlink(missing_ok=True)


def write_export(
    survey: Survey,
    rows: Iterable[ResponseRow],
    fmt: ExportFormat | str,
    output: Path,
    expected_rows: int,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write a whole export from a stream of rows (the synchronous convenience form)."""
    writer = ExportWriter(survey, fmt, output, expected_rows, progress)
    try:
        writer.add_many(rows)
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(io.DEFAULT_BUFFER_SIZE * 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
