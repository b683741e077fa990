"""One PNG bar chart per question, drawn only from what disclosure control lets through.

Charts read the same :class:`~surveys.aggregation.SurveySummary` as the text, so a hidden
count can never reappear as a bar: suppressed categories are left out and the chart says
how many were left out. Horizontal bars keep long, translated labels readable on a phone.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from surveys.aggregation import Category, QuestionSummary, SurveySummary
from surveys.model import QuestionType
from surveys.summary_text import number_range
from surveys.tally import LANGUAGE_SAMPLE, NOT_ANALYSED, UNDETERMINED

__all__ = ["Chart", "render_charts"]

Gettext = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Chart:
    """A rendered chart: the question it shows and the PNG bytes."""

    question_id: str
    png: bytes


def render_charts(
    summary: SurveySummary,
    *,
    gettext: Gettext = lambda s: s,
    language: str | None = None,
) -> list[Chart]:
    """Draw one chart per question that has at least one shown category.

    Args:
        summary: The suppressed summary.
        gettext: The reader's translation function (titles and notes).
        language: Language for survey labels (default: the survey's default).

    Returns:
        Charts in question order; empty when the summary is withheld.
    """
    import matplotlib

    # Agg draws to memory without a display; set here, not at import, so importing this
    # module never changes matplotlib's state for anyone else.
    matplotlib.use("Agg", force=True)
    if summary.suppressed is not None:
        return []
    charts = []
    for question in summary.questions:
        png = _chart(summary, question, gettext, language)
        if png is not None:
            charts.append(Chart(question.question.id, png))
    return charts


def _label(summary: SurveySummary, question: QuestionSummary, category: Category,
           gettext: Gettext, language: str | None) -> str:
    survey = summary.survey
    lang = survey.language_for(language)
    if category.label is not None:
        return category.label.get(lang, survey.default_language)
    if question.question.type is QuestionType.NUMBER:
        return number_range(category.low, category.high, gettext, lambda v: f"{v:g}")
    if category.key == UNDETERMINED:
        return gettext("too short or unclear to tell")
    if category.key == NOT_ANALYSED:
        return gettext("not analysed (languages are detected for the first {count} answers)"
                       ).format(count=LANGUAGE_SAMPLE)
    return category.key


def _chart(summary: SurveySummary, question: QuestionSummary, gettext: Gettext,
           language: str | None) -> bytes | None:
    from matplotlib.figure import Figure

    overall = question.overall
    shown = [c for c in overall.categories if c.cell.shown]
    if not shown or not overall.answered.shown:
        return None
    hidden = len(overall.categories) - len(shown)
    labels = [
        "\n".join(textwrap.wrap(_label(summary, question, c, gettext, language), 28)) or "?"
        for c in shown
    ]
    counts = [c.cell.count or 0 for c in shown]
    height = 1.6 + 0.55 * len(shown)
    # Figure() rather than pyplot: no global state, safe in a worker thread.
    figure = Figure(figsize=(8, height), dpi=100)
    axes = figure.add_subplot()
    positions = range(len(shown))[::-1]
    bars = axes.barh(list(positions), counts, color="#3b6ea5")
    axes.set_yticks(list(positions), labels)
    for bar, category in zip(bars, shown, strict=True):
        text = f"{category.cell.count}"
        if category.cell.share is not None:
            text += f"  ({category.cell.share:.0%})"
        axes.annotate(text, (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                      xytext=(4, 0), textcoords="offset points", va="center")
    axes.set_xlim(0, max([*counts, 1]) * 1.25)
    axes.spines[["top", "right"]].set_visible(False)
    survey = summary.survey
    title = question.question.label.get(survey.language_for(language), survey.default_language)
    axes.set_title("\n".join(textwrap.wrap(title, 60)), loc="left", fontsize=11)
    note = gettext("n = {count}").format(count=overall.answered.count)
    if hidden:
        note += " · " + gettext(
            "{count} categories hidden to protect groups smaller than {min_cell}"
        ).format(count=hidden, min_cell=summary.min_cell)
    figure.text(0.01, 0.01, note, fontsize=9, color="#444444")
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
