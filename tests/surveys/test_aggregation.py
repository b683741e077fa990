"""Aggregation: the figures, one streaming pass, and what is withheld."""

from __future__ import annotations

import datetime as dt
import functools
import tracemalloc
from collections.abc import Iterator

import pytest

from surveys import aggregation
from surveys.aggregation import BreakdownError, Summarizer
from surveys.disclosure import SuppressionReason
from surveys.model import Question, QuestionType, Survey, Text
from surveys.perturbation import EXACT
from surveys.summary_text import render_summary
from surveys.tally import UNDETERMINED, detect_language
from tests.moderation_fixtures import SURVEY, TWELVE

#: These tests check the arithmetic of suppression, so they read exact counts; the noise
#: every publication adds is attacked in tests/privacy.
summarize = functools.partial(aggregation.summarize, protection=EXACT)


def text(value: str) -> Text:
    return Text({"en": value})


DAY1, DAY2 = dt.date(2026, 11, 20), dt.date(2026, 11, 21)


def responses(answer_sets, day=DAY1):
    return [(a, day, "en") for a in answer_sets]


def category(result, key):
    return next(c for c in result.categories if c.key == key)


def question(summary, question_id):
    return next(q for q in summary.questions if q.question.id == question_id)


def test_counts_percentages_and_completion() -> None:
    summary = summarize(SURVEY, responses(TWELVE), in_progress=6)
    assert summary.respondents.count == 12
    assert summary.in_progress.count == 6
    assert summary.completion_rate == pytest.approx(12 / 18)
    region = question(summary, "region").overall
    north = category(region, "north").cell
    assert (north.count, north.share) == (7, pytest.approx(7 / 12))
    # south 3 and east 2 are under 5; together they make 5, so nothing else must go.
    assert category(region, "south").cell.suppressed is SuppressionReason.SMALL_GROUP
    assert category(region, "east").cell.suppressed is SuppressionReason.SMALL_GROUP
    issues = question(summary, "issues").overall
    assert issues.answered.count == 12
    assert category(issues, "safety").cell.count == 6  # multi-select: share of answerers
    assert category(issues, "safety").cell.share == pytest.approx(0.5)


def test_scale_mean_median_and_distribution() -> None:
    sets = [{"safe": v} for v in (1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 5, 5, 5, 5, 5)]
    summary = summarize(SURVEY, responses(sets))
    safe = question(summary, "safe").overall
    assert safe.stats.mean == pytest.approx(46 / 15)
    assert safe.stats.median == 3
    even = question(summarize(SURVEY, responses(sets[:-1])), "safe").overall
    assert even.stats.median == pytest.approx(2.5)  # between the 7th (2) and 8th (3) of 14
    assert [c.key for c in safe.categories] == ["1", "2", "3", "4", "5"]
    assert category(safe, "2").cell.count == 5 and category(safe, "5").cell.count == 5
    # 2 and 3 people are hidden; together they make 5, so no complement is needed.
    assert not category(safe, "1").cell.shown and not category(safe, "3").cell.shown
    assert category(safe, "4").cell.count == 0  # zero tells about nobody


def test_number_questions_get_open_ended_ranges_that_hide_the_extremes() -> None:
    survey = Survey("n", text("N"), ("en",), (
        Question("weeks", QuestionType.NUMBER, text("Weeks"), integer=True),))
    values = [0, 3, 7, 12, 18, 25, 31, 40, 44, 52] * 2
    summary = summarize(survey, responses([{"weeks": v} for v in values]))
    weeks = question(summary, "weeks").overall
    # Edges lie between the 5th smallest (7) and the 5th largest (40) answers, the step is
    # round (33 / 5 -> 10) and both ends are open: neither 0 nor 52 shows in any label.
    assert [(c.low, c.high) for c in weeks.categories] == [
        (None, 0), (0, 10), (10, 20), (20, 30), (30, 40), (40, 50), (50, None)]
    assert [c.cell.count for c in weeks.categories] == [0, 6, None, None, None, None, None]
    assert sum(c.cell.count or 0 for c in weeks.categories) <= len(values)


def test_per_day_counts_are_suppressed_like_any_group() -> None:
    summary = summarize(SURVEY, responses(TWELVE[:9], DAY1) + responses(TWELVE[9:], DAY2))
    by_day = {d.day: d.cell for d in summary.per_day}
    assert not by_day[DAY2].shown  # 3 on the second day
    assert not by_day[DAY1].shown  # ... so the first day would give it away: complement


def test_fewer_respondents_than_min_cell_withholds_everything() -> None:
    summary = summarize(SURVEY, responses(TWELVE[:4]))
    assert summary.suppressed is SuppressionReason.TOO_FEW_RESPONDENTS
    assert summary.questions == () and summary.respondents.count is None
    assert "Fewer than 5 people" in render_summary(summary)
    assert summarize(SURVEY, responses(TWELVE[:4]), min_cell=3).suppressed is None
    assert summarize(SURVEY, responses(TWELVE[:2]), min_cell=1).suppressed is not None


def test_breakdown_by_a_single_choice_question() -> None:
    summary = summarize(SURVEY, responses(TWELVE), by="region")
    assert [g.key for g in summary.groups] == ["north", "south", "east"]
    assert summary.groups[0].size.count == 7
    assert not summary.groups[1].size.shown and not summary.groups[2].size.shown
    safe = question(summary, "safe")
    north, south, east = safe.by_group
    assert north.answered.count == 7 and north.stats.mean == pytest.approx((4 * 2 + 3 * 4) / 7)
    # A hidden group is hidden in every table, statistics included.
    assert not south.answered.shown and south.stats.mean is None
    assert all(not c.cell.shown for c in east.categories)
    counts = summary.suppression_counts()
    assert counts[SuppressionReason.SMALL_GROUP] > 0
    rendered = render_summary(summary)
    assert "Broken down by: Where do you work?" in rendered
    assert "fewer than 5 people" in rendered


def test_breakdown_needs_a_single_choice_question() -> None:
    with pytest.raises(BreakdownError):
        summarize(SURVEY, [], by="issues")
    with pytest.raises(BreakdownError):
        summarize(SURVEY, [], by="missing")


def test_language_mix_of_free_text_is_stable() -> None:
    english = "We need wages to be paid on time every single month."
    french = "Nous avons besoin que les salaires soient payés à temps chaque mois."
    assert detect_language(english) == "en"
    assert detect_language(french) == "fr"
    assert detect_language("ok") == UNDETERMINED  # too short to guess
    sets = [{"remedy": english}] * 6 + [{"remedy": french}] * 5 + [{"remedy": "no"}]
    first = summarize(SURVEY, responses(sets))
    again = summarize(SURVEY, responses(sets))
    remedy = question(first, "remedy").overall
    assert category(remedy, "en").cell.count == 6
    assert category(remedy, UNDETERMINED).cell.suppressed is SuppressionReason.SMALL_GROUP
    # the one short answer would be 12 - 6 - 5: the French count is hidden with it
    assert category(remedy, "fr").cell.suppressed is SuppressionReason.COMPLEMENTARY
    assert first == again
    more = summarize(SURVEY, responses(sets + [{"remedy": "yes"}] * 4))
    remedy = question(more, "remedy").overall
    assert [(c.key, c.cell.count) for c in remedy.categories] == [
        ("en", 6), ("fr", 5), (UNDETERMINED, 5)]


def test_unknown_answers_are_ignored() -> None:
    sets = [{"region": "atlantis", "issues": ("wages", "ghost"), "stale": "x"}] * 5
    summary = summarize(SURVEY, responses(sets))
    assert question(summary, "region").overall.answered.count == 0
    assert category(question(summary, "issues").overall, "wages").cell.count == 5


def test_one_pass_with_bounded_memory() -> None:
    def stream(n: int) -> Iterator:
        for i in range(n):
            yield ({"region": ("north", "south", "east")[i % 3], "issues": ("wages",),
                    "safe": 1 + i % 5}, DAY1, "en")

    summarizer = Summarizer(SURVEY, by="region", protection=EXACT)
    tracemalloc.start()
    summarizer.add_many(stream(30_000))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2_000_000  # counters only: a list of 30k responses alone would exceed this
    summary = summarizer.result()
    assert summary.respondents.count == 30_000
    assert question(summary, "safe").overall.stats.median == 3


def test_hidden_languages_are_not_named() -> None:
    swahili = "Tunahitaji mishahara ilipwe kwa wakati kila mwezi bila kuchelewa."
    english = "We need wages to be paid on time every single month."
    sets = [{"remedy": english}] * 9 + [{"remedy": swahili}]
    summary = summarize(SURVEY, responses(sets))
    remedy = question(summary, "remedy").overall
    assert not category(remedy, "sw").cell.shown
    rendered = render_summary(summary)
    assert "Swahili" not in rendered and "sw:" not in rendered
    assert "Other: hidden" in rendered


def test_texts_beyond_the_language_sample_are_counted_as_not_analysed(monkeypatch) -> None:
    import surveys.tally as tally_module

    monkeypatch.setattr(tally_module, "LANGUAGE_SAMPLE", 6)
    english = "We need wages to be paid on time every single month."
    summary = summarize(SURVEY, responses([{"remedy": english}] * 12))
    remedy = question(summary, "remedy").overall
    assert [(c.key, c.cell.count) for c in remedy.categories] == [
        ("en", 6), (tally_module.NOT_ANALYSED, 6)]
    assert "not analysed (languages are detected for the first" in render_summary(summary)
