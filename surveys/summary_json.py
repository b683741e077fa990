"""The published summary as JSON: the documented schema results pages and dashboards read.

``consultbot summary SURVEY_ID --format json`` prints :func:`summary_document`. It reads
the same protected :class:`~surveys.summary_model.SurveySummary` as the text and the charts,
so it can hold no number they hide. Every count is an object ``{"count": n, "share": s,
"hidden": null}``; a hidden one is ``{"count": null, "share": null, "hidden": reason}`` with
a reason of :class:`~surveys.disclosure.SuppressionReason`. README ("Summary as JSON")
documents every field; :data:`SCHEMA` names the version, raised on any incompatible change.
"""

from __future__ import annotations

from typing import Any

from surveys.model import QuestionType, Survey, Text
from surveys.perturbation import MAX_NOISE, NOISE_PROBABILITIES
from surveys.summary_model import Category, Cell, QuestionSummary, Result, Stats, SurveySummary

__all__ = ["SCHEMA", "summary_document"]

#: The schema identifier written into every document.
SCHEMA = "consultbot.summary/1"


def _cell(cell: Cell) -> dict[str, Any]:
    return {"count": cell.count, "share": cell.share,
            "hidden": None if cell.suppressed is None else cell.suppressed.value}


def _text(text: Text | None, survey: Survey) -> dict[str, str] | None:
    return None if text is None else text.to_dict()


def _category(category: Category, survey: Survey) -> dict[str, Any]:
    return {"key": category.key, "label": _text(category.label, survey),
            "low": category.low, "high": category.high, **_cell(category.cell)}


def _stats(stats: Stats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    return {"mean": stats.mean, "median": stats.median,
            "hidden": None if stats.suppressed is None else stats.suppressed.value}


#: Question types whose categories exist only because someone answered that way: the
#: languages of text answers and the ranges of number answers. A hidden one is left out
#: rather than listed as hidden, since its name alone ("sw: hidden") tells that someone
#: wrote in Swahili.
_DATA_DRIVEN = frozenset({QuestionType.TEXT, QuestionType.NUMBER})


def _result(result: Result, survey: Survey, data_driven: bool = False) -> dict[str, Any]:
    categories = [c for c in result.categories if not (data_driven and c.cell.suppressed)]
    return {"answered": _cell(result.answered),
            "categories": [_category(c, survey) for c in categories],
            "stats": _stats(result.stats)}


def _question(question: QuestionSummary, summary: SurveySummary) -> dict[str, Any]:
    survey = summary.survey
    data_driven = question.question.type in _DATA_DRIVEN
    document: dict[str, Any] = {
        "id": question.question.id,
        "type": question.question.type.value,
        "label": _text(question.question.label, survey),
        "overall": _result(question.overall, survey, data_driven),
    }
    if summary.by is not None and question.by_group:
        document["by_group"] = [
            {"group": group.key, **_result(result, survey, data_driven)}
            for group, result in zip(summary.groups, question.by_group, strict=True)
        ]
    return document


def summary_document(summary: SurveySummary) -> dict[str, Any]:
    """The JSON-ready document of a protected summary (schema :data:`SCHEMA`)."""
    survey = summary.survey
    return {
        "schema": SCHEMA,
        "survey": {"id": survey.id, "title": _text(survey.title, survey),
                   "languages": list(survey.languages)},
        "protection": {
            "min_cell": summary.min_cell,
            "method": "cell-key perturbation with suppression of small cells",
            "noise": {str(value): p for value, p in NOISE_PROBABILITIES.items()},
            "max_noise": MAX_NOISE,
            "snapshot_before": (None if summary.snapshot_before is None
                                else summary.snapshot_before.isoformat()),
        },
        "hidden": None if summary.suppressed is None else summary.suppressed.value,
        "respondents": _cell(summary.respondents),
        "in_progress": _cell(summary.in_progress),
        "completion_rate": summary.completion_rate,
        "per_day": [{"day": day.day.isoformat(), **_cell(day.cell)} for day in summary.per_day],
        "by": None if summary.by is None else {
            "question": summary.by.id,
            "groups": [{"group": g.key, "label": _text(g.label, survey), **_cell(g.size)}
                       for g in summary.groups],
        },
        "questions": [_question(q, summary) for q in summary.questions],
        "hidden_counts": {reason.value: n for reason, n in summary.suppression_counts().items()},
    }
