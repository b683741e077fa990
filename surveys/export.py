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
import itertools
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol

from surveys.microdata import RiskReport
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
    "Sink",
    "answer_cells",
    "cell_columns",
    "columns_for",
    "create_private",
    "neutralise",
    "open_sink",
    "write_export",
]

#: Characters that make a spreadsheet treat a cell as a formula (or split it).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_STARTS_SET = frozenset(_FORMULA_STARTS)
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
    def version(self) -> int: ...
    @property
    def submitted_on(self) -> _dt.date | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def answers(self) -> Answers: ...


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
    #: The risk check and what protection did (``None``: written without one).
    risk: RiskReport | None = None
    #: Raw rows (free text, days) rather than protected microdata.
    raw: bool = False


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


#: One export column of answers: ``(question id, None)`` for the answer's value,
#: ``(question id, choice id)`` for 1/0 "this choice was selected" (multi-select).
CellColumn = tuple[str, "str | None"]


def cell_columns(survey: Survey) -> tuple[CellColumn, ...]:
    """What each answer column after the fixed ones holds, in :func:`columns_for` order.

    Storage extracts exactly these cells in SQL (``storage.results.ResultRepository.
    cell_batches``); :func:`answer_cells` is the same in Python.
    """
    return tuple(
        (column.question.id, column.choice_id)
        for column in columns_for(survey)
        if column.question is not None
    )


CellsOf = Callable[[Answers], list[Value]]


def _cell_of(column: CellColumn) -> Callable[[Answers], Value]:
    question_id, choice_id = column
    if choice_id is None:

        def value(answers: Answers) -> Value:
            answer = answers.get(question_id)
            if isinstance(answer, (tuple, list)):
                return " ".join(str(a) for a in answer)
            if isinstance(answer, bool):
                return int(answer)
            return answer

        return value

    def chosen(answers: Answers) -> Value:
        answer = answers.get(question_id)
        if answer is None:
            return None
        if isinstance(answer, str):
            return int(answer == choice_id)
        if isinstance(answer, (tuple, list)):
            return int(choice_id in answer)
        return 0

    return chosen


def answer_cells(survey: Survey) -> CellsOf:
    """The answer cells of one response, before neutralisation, as storage extracts them.

    A value is the answer itself (a list joined by spaces); a choice cell is 1/0, or
    ``None`` when the question was not answered. Used for rows given as decoded answers,
    and as the reference the SQL extraction is tested against.
    """
    readers = [_cell_of(column) for column in cell_columns(survey)]
    return lambda answers: [read(answers) for read in readers]


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
        self._cells = answer_cells(survey)
        # Row positions that may hold participant text (the language, every answer value;
        # not the 0/1 choice columns): only these are neutralised.
        self._text_positions = (3, *(
            4 + i for i, (_q, choice) in enumerate(cell_columns(survey)) if choice is None))
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
        """Write one response given with decoded answers."""
        self.add_many((row,))

    def add_many(self, rows: Iterable[ResponseRow]) -> None:
        """Write several responses given with decoded answers."""
        cells = self._cells
        iterator = iter(rows)
        while chunk := list(itertools.islice(iterator, PROGRESS_EVERY)):
            self.add_cells([
                (row.version, row.submitted_on.isoformat() if row.submitted_on else None,
                 row.language, *cells(row.answers))
                for row in chunk
            ])

    def add_cells(self, rows: Iterable[Sequence[Value]]) -> None:
        """Write responses given as scalar rows: ``(version, ISO day, language, *cells)``.

        The cells are those of :func:`cell_columns`, as storage extracts them in SQL; this
        adds the respondent number and neutralises formula-like text, nothing else, so a
        million rows cost a few seconds instead of a decoding pass each.
        """
        number = self._numbers.number
        positions = self._text_positions
        starts = _FORMULA_STARTS_SET
        first = self._rows
        prepared: list[list[Value]] = []
        append = prepared.append
        for index, row in enumerate(rows, first):
            values: list[Value] = [number(index), *row]
            for position in positions:
                value = values[position]
                if isinstance(value, str) and value[:1] in starts:
                    values[position] = "'" + value
            if values[3] == "":
                values[3] = None  # an empty language is no language
            append(values)
        self._sink.rows(prepared)
        self._rows = first + len(prepared)
        if self._progress is not None:
            for done in range((first // PROGRESS_EVERY + 1) * PROGRESS_EVERY, self._rows + 1,
                              PROGRESS_EVERY):
                self._progress(done)

    def close(self) -> ExportResult:
        """Finish the file and hash it for the audit log."""
        self._sink.close()
        if self._progress is not None:
            self._progress(self._rows)
        return ExportResult(self._output, self._format, self._rows, sha256_of(self._output))

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


def sha256_of(path: Path) -> str:
    """The SHA-256 of a written file, for the audit log."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(io.DEFAULT_BUFFER_SIZE * 16), b""):
            digest.update(chunk)
    return digest.hexdigest()
