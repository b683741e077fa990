"""SQLite's merge of an answer into its draft equals the record the caller builds from it.

``save_answer`` stores each answer with ``json_set`` and applies the kept-language rule in
SQL (``storage.drafts``), while the record it returns is built on the event loop from the
draft the caller holds (``storage.drafts.answered``). Hypothesis draws sequences of answers
(choices, several choices, numbers, texts typed again unchanged or changed, skips, with and
without a detected language, question ids with dots and hyphens as XLSForm allows) and
requires, after every one, the stored draft to equal the returned record, and the record
to hold exactly the answers given and the languages the rule keeps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from storage.database import Database
from storage.responses import ResponseRepository
from storage.surveys import SurveyRepository
from surveys.model import Answer, Choice, Question, QuestionType, Survey, Text
from tests.storage.samples import Clock

SURVEY = "merge-check"
KEY = "0" * 64
QUESTIONS = ("sector", "group.q-1", "issues", "remedy", "comment", "weeks")

ANSWERS: dict[str, st.SearchStrategy[Answer]] = {
    "sector": st.sampled_from(["garment", "mining"]),
    "group.q-1": st.sampled_from(["garment", "mining"]),
    "issues": st.lists(st.sampled_from(["pay", "safety"]), unique=True).map(tuple),
    "remedy": st.sampled_from(["Pay on time", "\"quoted\" \\ text"]),
    "comment": st.text(min_size=0, max_size=20),
    "weeks": st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False),
}

STEP = st.sampled_from(QUESTIONS).flatmap(lambda question: st.tuples(
    st.just(question),
    st.none() | ANSWERS[question],
    st.none() | st.sampled_from(["en", "fr"]),
))


def _survey() -> Survey:
    def single(question_id: str) -> Question:
        return Question(question_id, QuestionType.SINGLE, Text({"en": question_id}),
                        choices=(Choice("garment", Text({"en": "Garment"})),
                                 Choice("mining", Text({"en": "Mining"}))), required=False)

    return Survey(SURVEY, Text({"en": "Merge"}), ("en",), (
        single("sector"), single("group.q-1"),
        Question("issues", QuestionType.MULTI, Text({"en": "Issues"}), required=False,
                 choices=(Choice("pay", Text({"en": "Pay"})),
                          Choice("safety", Text({"en": "Safety"})))),
        Question("remedy", QuestionType.TEXT, Text({"en": "Remedy"}), required=False),
        Question("comment", QuestionType.TEXT, Text({"en": "Comment"}), required=False),
        Question("weeks", QuestionType.NUMBER, Text({"en": "Weeks"}), required=False),
    ))


async def _play(directory: Path, steps: list[tuple[str, Answer, str | None]]) -> None:
    database = await Database.open(directory / "consultbot.sqlite3")
    try:
        clock = Clock(dt.date(2026, 3, 2))
        await SurveyRepository(database, today=clock).publish_definition(_survey(), b"", "m.yaml")
        responses = ResponseRepository(database, today=clock)
        draft = await responses.start(SURVEY, 1, KEY)
        expected_answers: dict[str, Answer] = {}
        expected_languages: dict[str, str] = {}
        for question, answer, language in steps:
            clock.day += dt.timedelta(days=1)
            text = answer if isinstance(answer, str) else None
            # The kept-language rule, spelled out once more for the test.
            if language is not None and text is not None:
                expected_languages[question] = language
            elif not (text is not None and expected_answers.get(question) == text):
                expected_languages.pop(question, None)
            expected_answers[question] = answer
            draft = await responses.save_answer(SURVEY, KEY, question, answer, question,
                                                text_language=language, draft=draft)
            stored = await responses.get(SURVEY, KEY)
            assert stored == draft, (question, answer, language)
            assert dict(draft.answers) == expected_answers
            assert dict(draft.text_languages) == expected_languages
            assert draft.updated_on == clock.day and draft.current_question == question
    finally:
        await database.close()


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=12))
# The rule's three cases, always tried: typed again unchanged (kept), changed (dropped),
# skipped (dropped); then a language on a choice answer (a text, so stored).
@example(steps=[("remedy", "Pay on time", "en"), ("remedy", "Pay on time", None),
                ("remedy", "Paid late", None), ("comment", "ok", "fr"), ("comment", None, None),
                ("sector", "garment", "en")])
def test_the_stored_draft_equals_the_record_built_from_the_callers_draft(
    tmp_path_factory: object, steps: list[tuple[str, Answer, str | None]]
) -> None:
    directory = tmp_path_factory.mktemp("merge")  # type: ignore[attr-defined]  # pytest's factory
    asyncio.run(_play(directory, steps))
