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

import datetime as _dt
import hashlib
import io
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from surveys.export_files import (
    ExportFormat,
    ExportTooLarge,
    Value,
    open_sink,
)
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
    "answer_cells",
    "cell_columns",
    "columns_for",
    "neutralise",
    "write_export",
]

#: Characters that make a spreadsheet treat a cell as a formula (or split it).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_STARTS_SET = frozenset(_FORMULA_STARTS)
#: Progress is reported every this many rows.
PROGRESS_EVERY = 1000


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
        self._sink = open_sink(self._format, self._output,
                               [column.name for column in self._columns])

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
