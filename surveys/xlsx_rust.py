"""The XLSX export written by rust_xlsxwriter (``rustpy-xlsxwriter``), streamed.

Chosen by figures (bench/README.md, benchmark 3): at 200,000 rows of 13 columns it writes
about five times faster than xlsxwriter's ``constant_memory`` mode (pure Python, ~10 µs a
cell), which took ~70 s for a million responses, and its memory stays flat. It keeps text
as text: a string starting with ``=`` is written as a string, never a formula, and no
string becomes a URL or a number, so the ``'`` neutralisation of :mod:`surveys.export`
stays what protects a moderator's spreadsheet. Numbers are written as floats (``1`` reads
back as ``1.0`` in some libraries; spreadsheets show ``1``).

rustpy-xlsxwriter pulls the rows from an iterator while the export pushes them batch by
batch, so the writing runs in one thread of its own fed through a queue of one slice of
rows: the sink stays synchronous for its caller and memory holds about one batch.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from rustpy_xlsxwriter import write_worksheet

from surveys.export_files import XLSX_MAX_ROWS, ExportTooLarge, Sink, Value, create_private

__all__ = ["RustXlsxSink"]

#: Rows handed to the writing thread at a time.
_SLICE = 100
#: How long a full queue is waited on before checking that the writing thread still runs.
_POLL_SECONDS = 0.5


class RustXlsxSink(Sink):
    """Writes one ``responses`` sheet: bold header frozen at the top, then the rows."""

    def __init__(self, path: Path) -> None:
        # The private file is made here (mode 0600 from its first byte); rust_xlsxwriter
        # truncates it in place, which keeps the mode. Given a path it streams to disk; given
        # a file object it would build the whole file in memory first (~50 MB at 1M rows).
        os.close(create_private(path))
        self._path = str(path)
        self._names: list[str] = []
        self._rows = 0
        self._queue: queue.Queue[list[list[Value]] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, name="xlsx-export", daemon=True)
        self._closed = False

    def header(self, names: list[str]) -> None:
        self._names = list(names)
        self._thread.start()

    def _records(self) -> Iterator[dict[str, Value]]:
        names = self._names
        written = False
        while (batch := self._queue.get()) is not None:
            for values in batch:
                written = True
                yield dict(zip(names, values, strict=True))
        if not written:  # an empty export still has its header
            yield dict.fromkeys(names)

    def _write(self) -> None:
        try:
            write_worksheet(self._records(), self._path, sheet_name="responses", freeze_row=1,
                            bold_headers=True)
        except BaseException as error:  # noqa: BLE001 - handed to the caller in _put/close
            self._error = error

    def _put(self, item: list[list[Value]] | None) -> None:
        while True:
            if self._error is not None:
                raise RuntimeError("the XLSX export failed") from self._error
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError("the XLSX export stopped") from self._error

    def row(self, values: list[Value]) -> None:
        self.rows([values])

    def rows(self, rows: list[list[Value]]) -> None:
        if self._rows + len(rows) >= XLSX_MAX_ROWS:
            raise ExportTooLarge("too many responses for one XLSX sheet; export CSV or JSON")
        self._rows += len(rows)
        # Handed over in small slices, each taken before the next is offered: once this
        # returns, the writing thread holds at most two slices of the caller's batch.
        for start in range(0, len(rows), _SLICE):
            self._put(rows[start:start + _SLICE])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._error is None and self._thread.is_alive():
            self._put(None)
            self._thread.join()
        if self._error is not None:
            raise RuntimeError("the XLSX export failed") from self._error
