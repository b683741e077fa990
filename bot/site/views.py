"""Turning protected summaries into what a page shows, in one reader's language.

A :class:`Formatter` formats numbers, shares and dates with babel for a locale and says why
a number is hidden; :func:`result_rows` lists one result's answers as table rows, and
:func:`bar_chart` lays them out as bars. Charts are drawn from the rows, and every chart
sits beside the table of the same rows, so neither can show what the other does not.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from surveys.aggregation import Cell, Result
from surveys.disclosure import SuppressionReason
from surveys.model import Question, QuestionType, Text
from surveys.summary_text import number_range
from surveys.tally import NOT_ANALYSED, UNDETERMINED

__all__ = ["Bar", "Chart", "Formatter", "Row", "bar_chart", "result_rows"]

Gettext = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Row:
    """One answer of a table: its label and its count (or why the count is hidden)."""

    label: str
    key: str
    count: int | None
    shown_count: str
    share: str
    hidden: str | None


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart, in SVG user units."""

    label: str
    value: str
    y: int
    width: float


@dataclass(frozen=True, slots=True)
class Chart:
    """A horizontal bar chart; ``rtl`` mirrors it for right-to-left readers."""

    bars: tuple[Bar, ...]
    height: int
    rtl: bool
    label_width: int = 180
    bar_space: int = 220
    width: int = 480


class Formatter:
    """Formats figures for one locale and translates through one gettext."""

    __slots__ = ("_", "language", "locale", "min_cell")

    def __init__(self, language: str, gettext: Gettext, min_cell: int) -> None:
        self.language = language
        self.locale = Locale.parse(language)
        self._ = gettext
        self.min_cell = min_cell

    @property
    def rtl(self) -> bool:
        """Whether the language is written right to left."""
        return bool(self.locale.text_direction == "rtl")

    def text(self, value: Text | None, default: str) -> str:
        """A survey or recommendation text in this language, or its default language."""
        return "" if value is None else value.get(self.language, default)

    def text_language(self, value: Text | None, default: str) -> str:
        """The language :meth:`text` falls back to, so the page can mark it (``lang``)."""
        if value is None or self.language in value.translations:
            return self.language
        if default in value.translations:
            return default
        return next(iter(value.translations), default)

    def number(self, value: float) -> str:
        """A number with this locale's digits and separators."""
        return str(format_decimal(round(value, 1), locale=self.locale))

    def percent(self, share: float) -> str:
        """A share as this locale writes a percentage."""
        return str(format_percent(share, locale=self.locale))

    def date(self, day: _dt.date) -> str:
        """A day as this locale writes it in full."""
        return str(format_date(day, format="long", locale=self.locale))

    def hidden(self, reason: SuppressionReason | None) -> str:
        """Why a number is not shown, in words."""
        _ = self._
        if reason is SuppressionReason.SMALL_GROUP:
            return _("hidden: fewer than {min_cell} people").format(min_cell=self.min_cell)
        if reason is SuppressionReason.COMPLEMENTARY:
            return _("hidden so that a small group cannot be worked out")
        if reason is SuppressionReason.BESIDE_HIDDEN:
            return _("hidden because it could reveal a hidden number")
        return _("hidden: not enough answers yet")

    def cell(self, cell: Cell) -> str:
        """A count with its share, or why it is hidden."""
        if not cell.shown or cell.count is None:
            return self.hidden(cell.suppressed)
        text = self.number(cell.count)
        if cell.share is not None:
            text += " (" + self.percent(cell.share) + ")"
        return text

    def category_label(self, question: Question, key: str, label: Text | None,
                       low: float | None, high: float | None, default: str) -> str:
        """The name of an answer: a choice, a scale value, a number range or a language."""
        _ = self._
        if label is not None:
            return self.text(label, default)
        if question.type is QuestionType.TEXT:
            if key == UNDETERMINED:
                return _("too short or unclear to tell")
            if key == NOT_ANALYSED:
                return _("not analysed")
            return str(self.locale.languages.get(key, key))
        if question.type is QuestionType.NUMBER:
            return number_range(low, high, _, self.number)
        if question.type is QuestionType.SCALE and low is not None:
            return self.number(low)
        return key


def result_rows(question: Question, result: Result, fmt: Formatter, default: str,
                labels: Callable[[str], str] | None = None) -> list[Row]:
    """The rows of one result's table.

    Languages of text answers and number ranges exist only because someone answered that
    way, so a hidden one is not named ("Swahili: hidden" would tell that someone wrote
    Swahili): hidden ones are gathered in one "Other" row, as in the text summary.
    """
    _ = fmt._
    data_driven = question.type in (QuestionType.TEXT, QuestionType.NUMBER)
    rows: list[Row] = []
    hidden_reasons: list[SuppressionReason | None] = []
    for category in result.categories:
        cell = category.cell
        if data_driven and not cell.shown:
            hidden_reasons.append(cell.suppressed)
            continue
        label = (labels(category.key) if labels is not None else
                 fmt.category_label(question, category.key, category.label, category.low,
                                    category.high, default))
        rows.append(Row(label, category.key, cell.count if cell.shown else None,
                        fmt.number(cell.count) if cell.shown and cell.count is not None else "",
                        fmt.percent(cell.share) if cell.share is not None else "",
                        None if cell.shown else fmt.hidden(cell.suppressed)))
    if hidden_reasons:
        reason = (SuppressionReason.SMALL_GROUP if SuppressionReason.SMALL_GROUP in hidden_reasons
                  else hidden_reasons[0])
        rows.append(Row(_("Other"), "", None, "", "", fmt.hidden(reason)))
    return rows


def bar_chart(rows: list[Row], rtl: bool) -> Chart | None:
    """Bars for the shown rows, scaled to the largest; ``None`` when nothing is shown."""
    shown = [row for row in rows if row.count is not None]
    largest = max((row.count or 0 for row in shown), default=0)
    if not shown or largest <= 0:
        return None
    chart = Chart((), 0, rtl)
    bars = tuple(
        Bar(_short(row.label), row.shown_count + (f" ({row.share})" if row.share else ""),
            8 + 28 * i, max(1.0, chart.bar_space * (row.count or 0) / largest))
        for i, row in enumerate(shown)
    )
    return Chart(bars, 16 + 28 * len(bars), rtl)


def _short(label: str, limit: int = 24) -> str:
    # The table beside the chart gives the whole label; SVG text does not wrap.
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"
