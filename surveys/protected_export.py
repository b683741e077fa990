"""Writing the protected export: numbered rows, neutralised text, private file, hashed.

:class:`surveys.microdata.MicrodataPlan` decides what each row becomes; this writes the
rows in the chosen format through the same sinks as the raw export
(:mod:`surveys.export`), so the file is created mode 0600 and every text cell starting
with ``= + - @``, a tab or a carriage return is neutralised exactly as there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from surveys.export import ExportFormat, ExportResult, neutralise, open_sink, sha256_of
from surveys.microdata import MicrodataPlan
from surveys.numbering import RespondentNumbers

__all__ = ["ProtectedExportWriter"]


class ProtectedExportWriter:
    """Writes the rows a :class:`MicrodataPlan` protects; feed it, then :meth:`close` it."""

    __slots__ = ("_format", "_numbers", "_output", "_plan", "_rows", "_sink")

    def __init__(self, plan: MicrodataPlan, fmt: ExportFormat | str, output: Path,
                 expected_rows: int) -> None:
        self._plan = plan
        self._format = ExportFormat(fmt)
        self._output = Path(output)
        self._numbers = RespondentNumbers(expected_rows)
        self._rows = 0
        self._sink = open_sink(self._format, self._output, ["respondent", *plan.column_names])

    @property
    def rows(self) -> int:
        """Rows written so far."""
        return self._rows

    def add_cells(self, rows: Iterable[Sequence[Any]]) -> None:
        """Protect and write storage's scalar rows (``surveys.export.cell_columns``)."""
        number, protect = self._numbers.number, self._plan.protect
        prepared = []
        for index, row in enumerate(rows, self._rows):
            values = [v if not isinstance(v, str) else neutralise(v) for v in protect(row)]
            prepared.append([number(index), *values])
        self._sink.rows(prepared)
        self._rows += len(prepared)

    def close(self) -> ExportResult:
        """Finish the file and hash it for the audit log."""
        self._sink.close()
        return ExportResult(self._output, self._format, self._rows, sha256_of(self._output))

    def abort(self) -> None:
        """Close and delete a half-written file (after an error)."""
        try:
            self._sink.close()
        finally:
            self._output.unlink(missing_ok=True)
