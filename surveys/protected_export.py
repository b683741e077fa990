"""Writing the protected export: numbered rows, neutralised text, private file, hashed.

:class:`surveys.microdata.MicrodataPlan` decides what each row becomes; this writes the
rows in the chosen format through the same sinks as the raw export
(:mod:`surveys.export`), so the file is created mode 0600 and every text cell starting
with ``= + - @``, a tab or a carriage return is neutralised exactly as there.

Rows come either as storage's scalar rows (:meth:`ProtectedExportWriter.add_cells`) or as
the two halves of their answer keys (:meth:`ProtectedExportWriter.add_keys`,
``storage.answer_keys``): then each distinct half is protected, neutralised and formatted
once (CSV, JSON: a ``%`` template with the quasi-identifiers, and the other columns'
fields), and a response costs one ``%`` format; that is what keeps a million-row export
within a few times the ``sqlite3`` CLI's dump (bench/README.md, benchmark 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from surveys.answer_keys import KeyDecoder
from surveys.export import ExportFormat, ExportResult, neutralise, sha256_of
from surveys.export_files import open_sink
from surveys.microdata import MicrodataPlan
from surveys.model import Survey
from surveys.numbering import RespondentNumbers

__all__ = ["ProtectedExportWriter"]

#: Formatted rows kept per export: beyond this many distinct keys the cache starts again
#: (memory stays bounded; k-anonymous microdata rarely has that many distinct rows).
_CACHE_LIMIT = 250_000


class ProtectedExportWriter:
    """Writes the rows a :class:`MicrodataPlan` protects; feed it, then :meth:`close` it."""

    __slots__ = ("_decoder", "_format", "_from_first", "_heads", "_numbers",
                 "_output", "_plan", "_rows", "_sink", "_tails")

    def __init__(self, plan: MicrodataPlan, fmt: ExportFormat | str, output: Path,
                 expected_rows: int) -> None:
        self._plan = plan
        self._format = ExportFormat(fmt)
        self._output = Path(output)
        self._numbers = RespondentNumbers(expected_rows)
        self._rows = 0
        self._sink = open_sink(self._format, self._output, ["respondent", *plan.column_names])
        self._decoder: KeyDecoder | None = None
        self._heads: dict[str, Any] = {}
        self._tails: dict[str, Any] = {}
        self._from_first: tuple[bool, ...] = ()

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

    def key_decoder(self, survey: Survey) -> KeyDecoder:
        """The decoder of the keys :meth:`add_keys` takes (storage reads them with the two
        parts of :meth:`MicrodataPlan.key_parts`)."""
        if self._decoder is None:
            questions, rest = self._plan.key_parts()
            self._decoder = KeyDecoder(survey, questions, rest)
            self._from_first = self._plan.quasi_identifier_mask()
        return self._decoder

    def add_keys(self, heads: Sequence[str], tails: Sequence[str]) -> None:
        """Write responses given as the two parts of their answer keys (``storage.answer_keys``).

        Call :meth:`key_decoder` first. The same values as :meth:`add_cells` would write:
        the first part (version, language, quasi-identifiers) decides what suppression
        blanks, the second (the other answers) is only binned and neutralised, so each
        distinct part is protected and formatted once, and a response costs one ``%``
        format of two cached halves (CSV, JSON) or one merge (XLSX).
        """
        decoder = self._decoder
        if decoder is None:
            raise RuntimeError("key_decoder() must be called before add_keys()")
        templates, rests = self._heads, self._tails
        if len(templates) + len(rests) >= _CACHE_LIMIT:
            templates.clear()  # bounded memory; only data with that many distinct rows pays
            rests.clear()
        for head in set(heads).difference(templates):
            templates[head] = self._head(self._protected(decoder.row(head)))
        for tail in set(tails).difference(rests):
            rests[tail] = self._tail(self._protected(decoder.rest_row(tail)))
        prepared: list[object]
        if self._sink.textual:  # templates are strings
            prepared = [templates[head] % rests[tail] for head, tail in zip(heads, tails,
                                                                             strict=True)]
        else:
            mask, prepare = self._from_first, self._sink.prepare
            prepared = [prepare([a if is_first else b for a, b, is_first in
                                 zip(templates[head], rests[tail], mask, strict=True)])
                        for head, tail in zip(heads, tails, strict=True)]
        first = self._rows
        self._sink.numbered(self._numbers.numbers(first, len(prepared)), prepared)
        self._rows = first + len(prepared)

    def _protected(self, row: Sequence[Any]) -> list[Any]:
        return [v if not isinstance(v, str) else neutralise(v) for v in self._plan.protect(row)]

    def _head(self, values: list[Any]) -> object:
        """A first half: a ``%`` template of the formatted row (text formats), with a ``%s``
        for each column of the second half; else the values."""
        fields = self._sink.fields(values)
        if fields is None:
            return values
        prefix, separator, suffix = (text.replace("%", "%%") for text in self._sink.joints)
        return prefix + separator.join(
            field.replace("%", "%%") if is_first else "%s"
            for field, is_first in zip(fields, self._from_first, strict=True)) + suffix

    def _tail(self, values: list[Any]) -> object:
        """A second half: its formatted columns (text formats), else the values."""
        fields = self._sink.fields(values)
        if fields is None:
            return values
        return tuple(field for field, is_first in zip(fields, self._from_first, strict=True)
                     if not is_first)

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
