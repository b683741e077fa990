"""Plain-text rendering of a :class:`~surveys.aggregation.SurveySummary`.

Used by both ``/summary`` in Telegram and ``consultbot summary``, so a moderator reads the
same figures in both. Numbers, percentages and dates are formatted with babel for the
reader's locale; every sentence goes through the reader's gettext (passed in, because the
domain does not know who reads). Suppressed numbers read "hidden", and the summary ends
by saying how many were hidden and why.
"""

from __future__ import annotations

from collections.abc import Callable

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from surveys.aggregation import Category, Cell, QuestionSummary, Result, SurveySummary
from surveys.disclosure import SuppressionReason
from surveys.model import Question, QuestionType, Text
from surveys.perturbation import MAX_NOISE
from surveys.tally import LANGUAGE_SAMPLE, NOT_ANALYSED, UNDETERMINED

__all__ = ["number_range", "render_summary"]

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def number_range(low: float | None, high: float | None, gettext: Gettext,
                 number: Callable[[float], str]) -> str:
    """The label of a number range; the first and last are open (``surveys.binning``)."""
    _ = gettext
    if low is None and high is not None:
        return _("under {high}").format(high=number(high))
    if high is None and low is not None:
        return _("{low} or more").format(low=number(low))
    if low is None or high is None:
        return _("all answers")
    return _("{low} to under {high}").format(low=number(low), high=number(high))


def render_summary(
    summary: SurveySummary,
    *,
    gettext: Gettext = lambda s: s,
    ngettext: Ngettext = lambda s, p, n: s if n == 1 else p,
    locale: str = "en",
) -> str:
    """Render the summary as plain text (never Markdown: labels come from survey authors).

    Args:
        summary: The suppressed summary.
        gettext: The reader's translation function.
        ngettext: The reader's plural translation function.
        locale: The reader's locale, for numbers and dates (e.g. ``fr``).

    Returns:
        Lines of text separated by newlines.
    """
    return _Renderer(summary, gettext, ngettext, locale).render()


class _Renderer:
    def __init__(self, summary: SurveySummary, gettext: Gettext, ngettext: Ngettext,
                 locale: str) -> None:
        self.summary = summary
        self._ = gettext
        self.ngettext = ngettext
        try:
            self.locale = Locale.parse(locale.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse("en")
        survey = summary.survey
        self.language = survey.language_for(str(self.locale.language))

    # -- formatting helpers -------------------------------------------------------------
    def text(self, value: Text | None) -> str:
        if value is None:
            return ""
        return value.get(self.language, self.summary.survey.default_language)

    def number(self, value: float, digits: int = 1) -> str:
        return format_decimal(round(value, digits), locale=self.locale)

    def count(self, cell: Cell) -> str:
        _ = self._
        if not cell.shown:
            return _("hidden")
        assert cell.count is not None
        text = format_decimal(cell.count, locale=self.locale)
        if cell.share is not None:
            text += " (" + format_percent(cell.share, locale=self.locale) + ")"
        return text

    def category_label(self, question: Question, category: Category) -> str:
        _ = self._
        if category.label is not None:
            return self.text(category.label)
        if question.type is QuestionType.TEXT:
            if category.key == UNDETERMINED:
                return _("too short or unclear to tell")
            if category.key == NOT_ANALYSED:
                return _("not analysed (languages are detected for the first {count} answers)"
                         ).format(count=format_decimal(LANGUAGE_SAMPLE, locale=self.locale))
            return str(self.locale.languages.get(category.key, category.key))
        if question.type is QuestionType.NUMBER:
            return number_range(category.low, category.high, _, self.number)
        return category.key

    # -- sections -----------------------------------------------------------------------
    def render(self) -> str:
        _ = self._
        summary = self.summary
        lines = [
            _("Summary of “{title}” ({survey_id})").format(
                title=self.text(summary.survey.title), survey_id=summary.survey.id
            )
        ]
        if summary.suppressed is SuppressionReason.TOO_FEW_RESPONDENTS:
            lines.append(
                _("Fewer than {min_cell} people have answered, so nothing is shown yet: "
                  "with so few respondents any number could point at someone.").format(
                    min_cell=summary.min_cell)
            )
            return "\n".join(lines)
        if summary.suppressed is SuppressionReason.NOT_PUBLISHED_YET:
            lines.append(
                _("Nothing is published yet: results cover whole days before today, and start "
                  "once at least {min_cell} responses have been submitted.").format(
                    min_cell=summary.min_cell)
            )
            return "\n".join(lines)
        if summary.respondents.count == 0:
            lines.append(_("No submitted responses yet."))
            return "\n".join(lines)
        lines.extend(self.overview())
        if summary.by is not None:
            lines.append("")
            lines.append(_("Broken down by: {question}").format(question=self.text(summary.by.label)))
            for group in summary.groups:
                name = self.text(group.label) if group.key is not None else _("no answer")
                lines.append("  " + _("{group}: {count}").format(group=name, count=self.count(group.size)))
        for question in summary.questions:
            lines.append("")
            lines.extend(self.question(question))
        lines.append("")
        lines.extend(self.footnote())
        return "\n".join(lines)

    def overview(self) -> list[str]:
        _ = self._
        summary = self.summary
        lines = []
        if summary.snapshot_before is not None:
            lines.append(_("Responses submitted before {day}; results move forward by whole days, "
                           "at least {min_cell} responses at a time.").format(
                day=format_date(summary.snapshot_before, format="medium", locale=self.locale),
                min_cell=summary.min_cell))
        lines.append(_("Respondents: {count}").format(count=self.count(summary.respondents)))
        lines.append(_("Started but not submitted: {count}").format(count=self.count(summary.in_progress)))
        if summary.completion_rate is not None:
            lines.append(_("Completion rate: {rate}").format(
                rate=format_percent(summary.completion_rate, locale=self.locale)))
        if summary.per_day:
            lines.append(_("Responses per day:"))
            for day in summary.per_day:
                lines.append("  " + _("{day}: {count}").format(
                    day=format_date(day.day, format="medium", locale=self.locale),
                    count=self.count(day.cell)))
        return lines

    def question(self, summary: QuestionSummary) -> list[str]:
        _ = self._
        question = summary.question
        lines = [self.text(question.label)]
        lines.extend(self.result(question, summary.overall, "  "))
        if summary.by_group:
            for group, result in zip(self.summary.groups, summary.by_group, strict=True):
                name = self.text(group.label) if group.key is not None else _("no answer")
                lines.append("  " + _("— {group}:").format(group=name))
                lines.extend(self.result(question, result, "    "))
        return lines

    def result(self, question: Question, result: Result, indent: str) -> list[str]:
        _ = self._
        lines = [indent + _("answered: {count}").format(count=self.count(result.answered))]
        if result.stats is not None:
            if result.stats.mean is not None and result.stats.median is not None:
                lines.append(indent + _("mean {mean}, median {median}").format(
                    mean=self.number(result.stats.mean), median=self.number(result.stats.median)))
            elif result.stats.suppressed is not None:
                lines.append(indent + _("mean and median hidden"))
        if question.type is QuestionType.TEXT and result.categories:
            lines.append(indent + _("languages of the answers:"))
        # Languages and number ranges exist only because someone answered that way: naming a
        # hidden one ("Swahili: hidden") would itself tell that somebody wrote in Swahili.
        data_driven = question.type in (QuestionType.TEXT, QuestionType.NUMBER)
        hidden = 0
        for category in result.categories:
            if data_driven and not category.cell.shown:
                hidden += 1
                continue
            lines.append(indent + "  " + _("{label}: {count}").format(
                label=self.category_label(question, category), count=self.count(category.cell)))
        if hidden:
            lines.append(indent + "  " + _("{label}: {count}").format(
                label=_("Other"), count=_("hidden")))
        return lines

    def footnote(self) -> list[str]:
        _ = self._
        lines = self.hidden_note()
        if self.summary.snapshot_before is not None:
            lines.append(_("Every count carries a small random change of at most {noise} "
                           "(always the same for the same people), so that hidden numbers "
                           "cannot be worked out from the others.").format(noise=MAX_NOISE))
        return lines

    def hidden_note(self) -> list[str]:
        _ = self._
        summary = self.summary
        counts = summary.suppression_counts()
        small = counts.get(SuppressionReason.SMALL_GROUP, 0)
        complementary = counts.get(SuppressionReason.COMPLEMENTARY, 0)
        if not small and not complementary and summary.in_progress.shown:
            return [_("No number had to be hidden (groups smaller than {min_cell} are never shown).").format(
                min_cell=summary.min_cell)]
        lines = [self.ngettext(
            "{count} number is hidden because its group has fewer than {min_cell} people.",
            "{count} numbers are hidden because their groups have fewer than {min_cell} people.",
            small + (0 if summary.in_progress.shown else 1),
        ).format(count=small + (0 if summary.in_progress.shown else 1), min_cell=summary.min_cell)]
        if complementary:
            lines.append(self.ngettext(
                "{count} more number is hidden so that the hidden ones cannot be worked out "
                "from the totals.",
                "{count} more numbers are hidden so that the hidden ones cannot be worked out "
                "from the totals.",
                complementary,
            ).format(count=complementary))
        return lines
