"""Charts: one PNG per question, never a bar for a hidden number."""

from __future__ import annotations

import datetime as dt
import functools
import io

from PIL import Image

from surveys import aggregation
from surveys.charts import render_charts
from surveys.perturbation import EXACT
from tests.moderation_fixtures import SURVEY, TWELVE

#: These tests check the arithmetic of suppression, so they read exact counts; the noise
#: every publication adds is attacked in tests/privacy.
summarize = functools.partial(aggregation.summarize, protection=EXACT)


def responses(sets):
    return [(a, dt.date(2026, 11, 21), "en") for a in sets]


def test_one_png_per_question_with_shown_numbers() -> None:
    charts = render_charts(summarize(SURVEY, responses(TWELVE)))
    # every scale value and every language of "remedy" is under 5: no chart at all
    assert [c.question_id for c in charts] == ["region", "issues"]
    for chart in charts:
        image = Image.open(io.BytesIO(chart.png))
        assert image.format == "PNG" and image.width >= 600


def test_hidden_categories_get_no_bar(monkeypatch) -> None:
    from matplotlib.axes import Axes

    drawn: list[list[str]] = []
    original = Axes.set_yticks

    def spy(self, ticks, labels=None, **kwargs):
        drawn.append([str(label) for label in labels])
        return original(self, ticks, labels, **kwargs)

    monkeypatch.setattr(Axes, "set_yticks", spy)
    render_charts(summarize(SURVEY, responses(TWELVE)))
    assert drawn[0] == ["North"]  # South (3) and East (2) are hidden: no bar, no label


def test_withheld_summary_has_no_charts() -> None:
    assert render_charts(summarize(SURVEY, responses(TWELVE[:3]))) == []
