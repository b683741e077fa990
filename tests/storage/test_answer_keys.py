"""The protected export from answer keys is the protected export from cells, byte for byte.

``export_responses`` reads two short keys per response (``storage.answer_keys``) and
formats each distinct half once (``ProtectedExportWriter.add_keys``); the reference is the
straightforward path: every response's cells (``cell_batches``), ``MicrodataPlan.observe``
and ``protect`` row by row (``add_cells``). Same random dataset as ``test_results_sql``:
formula-like text and choice ids, answers of another type from an older version, skipped
and missing answers, numbers of every kind.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from storage import Storage
from surveys.answer_keys import KeyDecoder
from surveys.export import cell_columns
from surveys.microdata import MicrodataPlan
from surveys.protected_export import ProtectedExportWriter
from tests.storage.test_results_sql import SURVEY, storage  # the dataset and its fixture

__all__ = ["storage"]


def _without_numbers(path: Path, fmt: str) -> list[list[object]]:
    if fmt == "csv":
        text = path.read_bytes().decode("utf-8-sig")
        return [row[1:] for row in csv.reader(io.StringIO(text, newline=""))]
    if fmt == "json":
        return [list(record.items())[1:] for record in json.loads(path.read_text("utf-8"))]
    sheet = openpyxl.load_workbook(path, read_only=True).active
    return [list(row[1:]) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("k", [2, 5, 40])
@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
async def test_the_export_from_keys_is_the_export_from_cells(
        storage: Storage, tmp_path: Path, fmt: str, k: int) -> None:
    columns = cell_columns(SURVEY)
    cells = [row async for batch in storage.results.cell_batches(SURVEY.id, columns)
             for row in batch]
    reference = MicrodataPlan(SURVEY, columns, k)
    reference.observe(cells)
    expected_risk = reference.finish()

    plan = MicrodataPlan(SURVEY, columns, k)
    questions, rest = plan.key_parts()
    keys = [key async for batch in storage.results.answer_keys(SURVEY.id, questions, rest=rest,
                                                               batch_size=33)
            for key, in batch]
    heads = [key.partition("\x1e")[0] for key in keys]
    tails = [key.partition("\x1e")[2] for key in keys]
    decoder = KeyDecoder(SURVEY, questions, rest)
    first = [(decoder.row(head), n) for head, n in Counter(heads).items()]
    plan.observe_counts(first)
    plan.observe_numbers(first)
    plan.observe_numbers((decoder.rest_row(tail), n) for tail, n in Counter(tails).items())
    assert plan.finish() == expected_risk
    assert expected_risk.suppressed_cells  # the data does exercise suppression

    by_cells = ProtectedExportWriter(reference, fmt, tmp_path / f"cells.{fmt}", len(cells))
    by_cells.add_cells(cells)
    by_cells.close()
    by_keys = ProtectedExportWriter(plan, fmt, tmp_path / f"keys.{fmt}", len(keys))
    by_keys.key_decoder(SURVEY)
    for start in range(0, len(keys), 70):
        by_keys.add_keys(heads[start:start + 70], tails[start:start + 70])
    result = by_keys.close()
    assert result.rows == len(cells)
    assert (_without_numbers(tmp_path / f"keys.{fmt}", fmt)
            == _without_numbers(tmp_path / f"cells.{fmt}", fmt))
    if fmt == "csv":
        data = (tmp_path / "keys.csv").read_bytes()
        numbers = [line.split(b",", 1)[0] for line in data.splitlines()[1:]]
        assert sorted(map(int, numbers)) == list(range(1, len(cells) + 1))
        assert b",'=" in data  # neutralised (a language or a choice), as by cells


@pytest.mark.parametrize("keep", [True, False])
async def test_an_export_that_cannot_keep_its_keys_reads_them_again(
        storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool) -> None:
    from bot import publication

    reference = await publication.export_responses(storage, SURVEY.id, "csv",
                                                   tmp_path / "kept.csv", min_cell=5)
    if not keep:
        monkeypatch.setattr(publication, "_HELD_DISTINCT", 0)
    result = await publication.export_responses(storage, SURVEY.id, "csv",
                                                tmp_path / "again.csv", min_cell=5)
    assert result.rows == reference.rows > 0 and result.risk == reference.risk
    assert _without_numbers(result.path, "csv") == _without_numbers(reference.path, "csv")
