"""Generating a data directory full of responses, fast, through the storage layer.

The bench survey is published with ``SurveyRepository`` as the bot would publish it. The
responses are then written by the storage's own writer (``Database.write``) but in bulk:
one ``executemany`` INSERT of up to :data:`CHUNK` rows per transaction, instead of the
bot's start + ten ``save_answer`` + ``submit`` per participant (which would take hours for
a million). Rows are what the bot writes: genuine ``respondent_key`` pseudonyms from the
data directory's ``secret.key``, answers encoded by ``surveys.codec``, ISO days, and each
text answer's language detected by ``surveys.tally.detect_language`` as the bot detects it
when the answer is given (memoised per distinct text: the generated texts repeat). Only the
path differs, so what is measured afterwards (summary, export, memory) reads exactly
what a real consultation leaves behind.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bench.survey import QUESTION_KINDS, SURVEY_ID, SURVEY_YAML, random_answers
from surveys.codec import answers_to_json
from surveys.loading import load_survey_bytes
from surveys.model import QuestionType
from surveys.tally import detect_language

__all__ = ["CHUNK", "generate", "respondent_user_id"]

CHUNK = 50_000
FIRST_DAY = _dt.date(2026, 3, 1)

_INSERT = (
    "INSERT INTO responses (survey_id, version, respondent_key, status, answers, "
    "current_question, language, started_on, updated_on, submitted_on, text_languages) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def respondent_user_id(number: int) -> int:
    """The (fake) Telegram user id of generated respondent ``number``."""
    return 500_000_000 + number


class _Languages:
    """The ``text_languages`` JSON the bot stores with a response's text answers."""

    __slots__ = ("_detected", "_text_questions")

    def __init__(self, text_questions: Sequence[str]) -> None:
        self._text_questions = tuple(text_questions)
        self._detected: dict[str, str] = {}

    def of(self, answers: Mapping[str, object]) -> str:
        languages = {}
        for question_id in self._text_questions:
            text = answers.get(question_id)
            if isinstance(text, str):
                language = self._detected.get(text)
                if language is None:
                    language = self._detected[text] = detect_language(text)
                languages[question_id] = language
        # The encoding of storage.responses (sorted keys, compact).
        return json.dumps(languages, sort_keys=True, separators=(",", ":"))


def _rows(secret: object, version: int, first: int, count: int, submitted: bool,
          rng: random.Random, languages: _Languages) -> Iterator[tuple[object, ...]]:
    for number in range(first, first + count):
        key = secret.respondent_key(SURVEY_ID, respondent_user_id(number))  # type: ignore[attr-defined]
        answers = dict(random_answers(rng))
        language = "fr" if rng.random() < 0.3 else "en"
        started = FIRST_DAY + _dt.timedelta(days=rng.randrange(60))
        if submitted:
            day = started.isoformat()
            yield (SURVEY_ID, version, key, "submitted", answers_to_json(answers), None,
                   language, day, day, day, languages.of(answers))
        else:
            # Somewhere in the middle: the first k questions answered, the next one current.
            k = rng.randrange(len(QUESTION_KINDS))
            partial = {qid: answers[qid] for qid, _ in QUESTION_KINDS[:k]}
            day = started.isoformat()
            yield (SURVEY_ID, version, key, "in_progress", answers_to_json(partial),
                   QUESTION_KINDS[k][0], language, day, day, None, languages.of(partial))


async def generate(data_dir: Path, *, submitted: int = 0, in_progress: int = 0,
                   progress: bool = False) -> float:
    """Create ``data_dir`` with the bench survey and that many responses; returns seconds.

    Respondents ``0 .. submitted-1`` have submitted; the next ``in_progress`` are midway.
    """
    from storage import Storage

    started = time.perf_counter()
    rng = random.Random(2026)
    storage = await Storage.open(data_dir)
    try:
        survey = load_survey_bytes(SURVEY_YAML, f"{SURVEY_ID}.yaml")
        record = await storage.surveys.publish_definition(survey, SURVEY_YAML, f"{SURVEY_ID}.yaml")
        languages = _Languages([q.id for q in survey.questions if q.type is QuestionType.TEXT])
        plan = [(0, submitted, True), (submitted, in_progress, False)]
        for first, count, is_submitted in plan:
            for offset in range(0, count, CHUNK):
                size = min(CHUNK, count - offset)
                rows = list(_rows(storage.secret, record.version, first + offset, size,
                                  is_submitted, rng, languages))

                def work(connection: sqlite3.Connection,
                         rows: list[tuple[object, ...]] = rows) -> None:
                    connection.executemany(_INSERT, rows)

                await storage.db.write(work)
                if progress:
                    done = offset + size
                    print(f"   generated {done:,}/{count:,} "
                          f"{'submitted' if is_submitted else 'in-progress'} responses "
                          f"({time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        await storage.close()
    return time.perf_counter() - started
