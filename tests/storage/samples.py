"""Small surveys for storage tests (built in code: storage must not depend on the loaders)."""

from __future__ import annotations

import datetime as dt

from surveys.model import Choice, Question, QuestionType, Survey, Text


def make_survey(survey_id: str = "labour-2026", *, title: str = "Labour dialogue") -> Survey:
    return Survey(
        id=survey_id,
        title=Text({"en": title, "fr": "Dialogue social"}),
        languages=("en", "fr"),
        questions=(
            Question(
                id="sector",
                type=QuestionType.SINGLE,
                label=Text({"en": "Sector?", "fr": "Secteur ?"}),
                choices=(
                    Choice("garment", Text({"en": "Garment", "fr": "Textile"})),
                    Choice("mining", Text({"en": "Mining", "fr": "Mines"})),
                ),
            ),
            Question(
                id="issues",
                type=QuestionType.MULTI,
                label=Text({"en": "Issues?"}),
                choices=(
                    Choice("pay", Text({"en": "Pay"})),
                    Choice("safety", Text({"en": "Safety"})),
                ),
                required=False,
            ),
            Question(
                id="weeks", type=QuestionType.NUMBER, label=Text({"en": "Weeks?"}), min=0, max=52
            ),
            Question(
                id="remedy", type=QuestionType.TEXT, label=Text({"en": "Remedy?"}), required=False
            ),
        ),
    )


class Clock:
    """A clock to the day that tests move by hand, so dates never depend on midnight."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.date:
        return self.day
