"""Generating a data directory full of responses, fast, through the storage layer.

The bench survey is published with ``SurveyRepository`` as the bot would publish it. The
responses are then written by the storage's own writer (``Database.write``) but in bulk:
one ``executemany`` INSERT of up to :data:`CHUNK` rows per transaction, instead of the
bot's start + ten ``save_answer`` + ``submit`` per participant (which would take hours for
a million). Rows are what the bot writes: genuine ``respondent_key`` pseudonyms from the
data directory's ``secret.key``, answers encoded by ``surveys.codec``, ISO days, and each
text answer's language detected by ``surveys.tally.detect_language`` as the bot detects it
when the answer is given. Detection (~2 ms a text) is memoised per *shape* of text: the
generated texts are a few phrases with a number appended ("Respect (4711)"), and the number
carries no language (langdetect reads digits as spaces), so each phrase is detected once
per text length, on its first full text, and that language is stored with every text of
the same phrase and length (detecting the ~80,000 distinct texts
one by one took 5 ms per generated response). Only the path differs, so what is measured
afterwards (summary, export, memory) reads exactly what a real consultation leaves behind.
The bulk INSERTs bypass the submission's tally update, so the tallies are recounted once at
the end (``TallyRepository.rebuild``, what ``consultbot tallies rebuild`` runs).
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import re
import sqlite3
import time
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

import bench.survey as survey_module
from bench.survey import QUESTION_KINDS, SURVEY_ID, SURVEY_YAML
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

    __slots__ = ("_detected", "_encoded", "_text_questions")

    def __init__(self, text_questions: Sequence[str]) -> None:
        self._text_questions = tuple(sorted(text_questions))
        self._detected: dict[tuple[str, int], str] = {}
        self._encoded: dict[tuple[str | None, ...], str] = {}

    def of(self, answers: Mapping[str, object]) -> str:
        found: list[str | None] = []
        for question_id in self._text_questions:
            text = answers.get(question_id)
            if isinstance(text, str):
                # Same letters, same length: langdetect reads digits as spaces, and the
                # length decides whether a text is long enough to detect at all.
                shape = (_DIGITS.sub("", text), len(text))
                language = self._detected.get(shape)
                if language is None:
                    language = self._detected[shape] = detect_language(text)
                found.append(language)
            else:
                found.append(None)
        key = tuple(found)
        encoded = self._encoded.get(key)
        if encoded is None:
            languages = {q: lang for q, lang in zip(self._text_questions, found, strict=True)
                         if lang is not None}
            # The encoding of storage.responses (sorted keys, compact).
            encoded = self._encoded[key] = json.dumps(languages, sort_keys=True,
                                                      separators=(",", ":"))
        return encoded


_DIGITS = re.compile(r"\d+")


class _AnswerTable:
    """Every answer of the bench survey, JSON-encoded once, so a row is ten look-ups.

    ``surveys.codec.answers_to_json`` writes a compact object with the keys in question
    order; the fragments below are that encoding of each possible answer (the numbered
    remedies too: 8 phrases x 9,999 numbers), so joining one fragment per question gives
    the codec's exact text (tests/bench checks it against the codec). Choices are drawn
    with the distributions of ``bench.survey.random_answers``.
    """

    def __init__(self) -> None:
        def fragment(question_id: str, value: object) -> str:
            return answers_to_json({question_id: value})[1:-1]  # type: ignore[dict-item]  # an Answer

        choices = {
            "sector": ("garment", "mining", "farming", "services"),
            "region": ("north", "south", "east", "west"),
            "union": ("yes", "no"),
            "comment": _COMMENTS,
        }
        self.choice = {q: [fragment(q, v) for v in values] for q, values in choices.items()}
        issues = ("pay", "safety", "hours", "contracts")
        # Bit i of the index says whether issue i was chosen (each with probability 0.45).
        self.issues = [fragment("issues", tuple(c for i, c in enumerate(issues) if bits >> i & 1))
                       for bits in range(16)]
        self.safe = [fragment("safe", n) for n in range(1, 6)]
        self.weeks = [fragment("unpaid_weeks", n) for n in range(53)]
        self.trust = [fragment("trust", n) for n in range(11)]
        self.started = [fragment("started", f"20{y}-{m:02d}-{d:02d}")
                        for y in range(10, 26) for m in range(1, 13) for d in range(1, 29)]
        self.remedy_text = [f"{phrase} ({n})" for phrase in _REMEDIES for n in range(1, 10_000)]
        self.remedy = [fragment("remedy", text) for text in self.remedy_text]


_REMEDIES = typing.cast("tuple[str, ...]", survey_module._REMEDIES)  # the same phrases
_COMMENTS = ("No", "Merci", "Please act before the next season")


def _chunk(table: _AnswerTable, keys: np.ndarray, numbers: list[int], submitted: int,
           version: int, rng: np.random.Generator,
           languages: _Languages) -> list[tuple[object, ...]]:
    """The rows of respondents ``numbers`` (those below ``submitted`` have submitted).

    ``keys[n]`` is respondent ``n``'s pseudonym; the answers are drawn with numpy.
    """
    count = len(numbers)
    def draw(high: int) -> list[int]:
        return rng.integers(0, high, count).tolist()  # type: ignore[no-any-return]  # ints

    # Python lists, not arrays: indexing a list is 10 x faster than a numpy scalar.
    sector, region = draw(4), draw(4)
    issue_bits = ((rng.random((count, 4)) < 0.45) @ np.array([1, 2, 4, 8])).tolist()
    safe, weeks, started = draw(5), draw(53), draw(len(table.started))
    trust, union = draw(11), draw(2)
    remedy, comment = draw(len(table.remedy)), draw(3)
    french = (rng.random(count) < 0.3).tolist()
    day_offset = draw(60)
    answered = draw(len(QUESTION_KINDS))  # in progress: how many questions were answered
    days = [(FIRST_DAY + _dt.timedelta(days=n)).isoformat() for n in range(60)]
    # Surveys in progress were touched in the last month: older drafts are erased by the
    # retention job (draft_expiry_days) when the bot starts.
    today = _dt.datetime.now(_dt.UTC).date()
    recent = [(today - _dt.timedelta(days=30 - n)).isoformat() for n in range(30)]
    remedy_text = table.remedy_text
    choice = table.choice
    rows: list[tuple[object, ...]] = []
    for i, number in enumerate(numbers):
        fragments = (choice["sector"][sector[i]], choice["region"][region[i]],
                     table.issues[issue_bits[i]], table.safe[safe[i]], table.weeks[weeks[i]],
                     table.started[started[i]], table.trust[trust[i]],
                     choice["union"][union[i]], table.remedy[remedy[i]],
                     choice["comment"][comment[i]])
        key = keys[number].decode()
        day = days[day_offset[i]]
        language = "fr" if french[i] else "en"
        if number < submitted:
            rows.append((SURVEY_ID, version, key, "submitted", "{" + ",".join(fragments) + "}",
                         None, language, day, day, day,
                         languages.of({"remedy": remedy_text[remedy[i]],
                                       "comment": _COMMENTS[comment[i]]})))
        else:
            # Somewhere in the middle: the first k questions answered, the next one current.
            k = answered[i]
            touched = recent[day_offset[i] % len(recent)]
            rows.append((SURVEY_ID, version, key, "in_progress",
                         "{" + ",".join(fragments[:k]) + "}", QUESTION_KINDS[k][0], language,
                         touched, touched, None,
                         languages.of({"remedy": remedy_text[remedy[i]]} if k == 9 else {})))
    return rows


async def generate(data_dir: Path, *, submitted: int = 0, in_progress: int = 0,
                   progress: bool = False) -> float:
    """Create ``data_dir`` with the bench survey and that many responses; returns seconds.

    Respondents ``0 .. submitted-1`` have submitted; the next ``in_progress`` are midway.
    """
    from storage import Storage

    started = time.perf_counter()
    storage = await Storage.open(data_dir)
    try:
        survey = load_survey_bytes(SURVEY_YAML, f"{SURVEY_ID}.yaml")
        record = await storage.surveys.publish_definition(survey, SURVEY_YAML, f"{SURVEY_ID}.yaml")
        languages = _Languages([q.id for q in survey.questions if q.type is QuestionType.TEXT])
        table = _AnswerTable()
        rng = np.random.default_rng(2026)

        async def insert(rows: list[tuple[object, ...]]) -> None:
            def work(connection: sqlite3.Connection) -> None:
                connection.executemany(_INSERT, rows)
            await storage.db.write(work)

        # Rows go in pseudonym order, the table's own (WITHOUT ROWID, keyed by pseudonym):
        # every insert then appends, and each commit writes only new pages. In random order
        # each 50,000-row commit rewrote most of the table (1M rows took minutes).
        total = submitted + in_progress
        keys = np.empty(total, dtype="S64")
        for first in range(0, total, CHUNK):
            keys[first:first + CHUNK] = [
                storage.secret.respondent_key(SURVEY_ID, respondent_user_id(n)).encode()
                for n in range(first, min(total, first + CHUNK))]
        order = np.argsort(keys, kind="stable")
        writing: asyncio.Task[None] | None = None
        for offset in range(0, total, CHUNK):
            # Built while the previous chunk is written (SQLite runs without the GIL).
            rows = _chunk(table, keys, order[offset:offset + CHUNK].tolist(), submitted,
                          record.version, rng, languages)
            if writing is not None:
                await writing
            writing = asyncio.create_task(insert(rows))
            if progress:
                print(f"   generated {min(total, offset + CHUNK):,}/{total:,} responses "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        if writing is not None:
            await writing
        # Bulk INSERTs bypass ResponseRepository.submit, which keeps the tallies summaries
        # read: recount them once, as `consultbot tallies rebuild` does.
        counting = time.perf_counter()
        await storage.tallies.rebuild(SURVEY_ID)
        if progress:
            print(f"   tallies recounted in {time.perf_counter() - counting:.0f} s", flush=True)
    finally:
        await storage.close()
    return time.perf_counter() - started
