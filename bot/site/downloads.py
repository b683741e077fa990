"""The published tables of a survey as files people can download (CSV and JSON).

The JSON files are what ``consultbot summary SURVEY_ID [--by QUESTION] --format json``
prints (schema ``consultbot.summary/1``), byte for byte the same document; like the pages
and the text summary, it leaves out a hidden language of text answers or a hidden number
range rather than naming it, because its mere name tells that someone answered that way.
The CSV holds the same tables in long form, one row per shown or hidden number. Labels come from survey authors, so CSV
cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from surveys.aggregation import Cell, SurveySummary
from surveys.export import neutralise
from surveys.model import QuestionType
from surveys.summary_json import summary_document

__all__ = ["CSV_COLUMNS", "summary_csv", "summary_json"]

_DATA_DRIVEN = (QuestionType.TEXT, QuestionType.NUMBER)

CSV_COLUMNS = ("breakdown", "group", "question", "answer", "count", "share", "hidden")


def summary_json(summary: SurveySummary) -> str:
    """The public JSON summary document, as ``consultbot summary --format json`` prints it."""
    return json.dumps(summary_document(summary), ensure_ascii=False, indent=2) + "\n"


def _cell(cell: Cell) -> tuple[Any, Any, Any]:
    return (cell.count if cell.shown else "", "" if cell.share is None else round(cell.share, 4),
            "" if cell.suppressed is None else cell.suppressed.value)


def _rows(summary: SurveySummary) -> Iterator[tuple[Any, ...]]:
    by = "" if summary.by is None else summary.by.id
    for question in summary.questions:
        results = [("", question.overall)]
        if question.by_group:  # the breakdown question itself has no groups
            results += [(g.key or "", r) for g, r in zip(summary.groups, question.by_group,
                                                         strict=True)]
        for group, result in results:
            yield (by, group, question.question.id, "", *_cell(result.answered))
            for category in result.categories:
                if question.question.type in _DATA_DRIVEN and not category.cell.shown:
                    continue  # naming a hidden language or range would tell it was given
                yield (by, group, question.question.id, category.key, *_cell(category.cell))


def summary_csv(summaries: list[SurveySummary]) -> str:
    """Every table of a survey (overall, then each breakdown) as one CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for summary in summaries:
        for row in _rows(summary):
            writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
    return buffer.getvalue()
