"""The SQL read path of exports and summaries against straightforward Python references.

Storage extracts export cells and summary counts with SQLite's JSON functions; these tests
store a random dataset (every question type, skipped and missing answers, multi-select,
unicode, formula-like text, answers of another type from an older version) and check that
the result is what decoding every row in Python gives: the same CSV bytes apart from the
respondent numbers, the same summaries.
"""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import Storage
from surveys import tally
from surveys.aggregation import Summarizer, SurveySummary, summarize
from surveys.codec import answers_to_json
from surveys.export import ExportWriter, answer_cells, cell_columns, columns_for, write_export
from surveys.model import Answers, Choice, Question, QuestionType, Survey, Text
from surveys.perturbation import EXACT
from surveys.summary_text import render_summary


def _t(value: str) -> Text:
    return Text({"en": value})


SURVEY = Survey(
    id="mixed-2026",
    title=_t("Mixed"),
    languages=("en", "fr"),
    questions=(
        Question("region", QuestionType.SINGLE, _t("Region?"), required=False,
                 choices=(Choice("north", _t("North")), Choice("south", _t("South")),
                          Choice("=east", _t("East")))),
        Question("intro", QuestionType.NOTE, _t("Thanks")),
        Question("issues", QuestionType.MULTI, _t("Issues?"), required=False,
                 choices=(Choice("pay", _t("Pay")), Choice("safety", _t("Safety")),
                          Choice("pay-day", _t("Pay day")), Choice("long hours", _t("Hours")),
                          Choice('say "no"', _t("No")))),
        Question("safe", QuestionType.SCALE, _t("Safe?"), min=1, max=5, required=False),
        Question("weeks", QuestionType.NUMBER, _t("Weeks?"), required=False),
        Question("started", QuestionType.DATE, _t("Since?"), required=False),
        Question("remedy", QuestionType.TEXT, _t("Remedy?"), required=False),
    ),
)

_TEXTS = (
    "More pay", "=HYPERLINK(\"http://evil.example\")", "+1 overtime", "-", "@admin",
    "\tindented", "\rcarriage", "Des contrats écrits pour tout le monde", "عقود مكتوبة للجميع",
    "line\nbreak, with \"quotes\"", "[not, a list]", "", " ", "😀 emoji", "back\\slash",
    "Haki za wafanyakazi lazima ziheshimiwe kila siku",
)


def _random_answers(rng: random.Random) -> Answers:
    answers: dict[str, object] = {}

    def maybe(question_id: str, value: object) -> None:
        roll = rng.random()
        if roll < 0.1:
            return  # never reached (relevance)
        answers[question_id] = None if roll < 0.2 else value

    maybe("region", rng.choice(["north", "south", "=east", "west-old"]))
    maybe("issues", tuple(rng.sample(["pay", "safety", "pay-day", "long hours", 'say "no"',
                                      "gone"], rng.randint(0, 4))))
    maybe("safe", rng.choice([1, 2, 3, 4, 5, 5, 0, 7]))
    maybe("weeks", rng.choice([0, 3, 12, 52, -4, 2.5, 1e-7, 1234567.25, 10**15]))
    maybe("started", f"20{rng.randint(10, 26)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}")
    maybe("remedy", rng.choice(_TEXTS) + ("" if rng.random() < 0.5 else f" {rng.randint(0, 9)}"))
    roll = rng.random()
    if roll < 0.03:
        answers["region"] = ("north", "south")  # a multi-select in an older version
    elif roll < 0.06:
        answers["issues"] = "pay"  # a single choice in an older version
    elif roll < 0.08:
        answers["removed"] = "a question no version asks any more"
    return answers


RESPONSES = 400


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    async with await Storage.open(tmp_path / "data") as opened:
        await opened.surveys.save_draft(SURVEY, b"source", "survey.yaml")
        record = await opened.surveys.publish(SURVEY.id)
        rng = random.Random(7)
        rows = []
        for number in range(RESPONSES):
            key = opened.secret.respondent_key(SURVEY.id, number)
            language = rng.choice(["en", "fr", None, "=x"])
            day = f"2026-03-{rng.randint(10, 28)}"
            rows.append((SURVEY.id, record.version, key, answers_to_json(
                _random_answers(rng)), language, day))

        def insert(connection: sqlite3.Connection) -> None:
            connection.executemany(
                "INSERT INTO responses (survey_id, version, respondent_key, status, answers, "
                "language, started_on, updated_on, submitted_on) "
                "VALUES (?, ?, ?, 'submitted', ?, ?, ?6, ?6, ?6)", rows)

        await opened.db.write(insert)
        # Inserted behind the repositories' back, as a bulk import would: the tallies that
        # summaries and the publication's snapshot read are recounted, as after an upgrade.
        await opened.tallies.rebuild(SURVEY.id)
        yield opened


async def _decoded(storage: Storage) -> list:
    return [row async for batch in storage.results.submitted_batches(SURVEY.id)
            for row in batch]


def _reference_cell(question: Question, choice_id: str | None, answer: object) -> object:
    """The export cell as the exports have always computed it from decoded answers."""
    if choice_id is not None:
        if answer is None:
            return ""
        chosen = {answer} if isinstance(answer, str) else set(answer)
        return 1 if choice_id in chosen else 0
    if answer is None:
        return ""
    if isinstance(answer, (int, float)):
        return answer
    text = " ".join(answer) if isinstance(answer, (list, tuple)) else str(answer)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def _reference_csv(rows: list) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    columns = columns_for(SURVEY)
    writer.writerow([column.name for column in columns])
    for row in rows:
        language = row.language
        if language and language.startswith(("=", "+", "-", "@", "\t", "\r")):
            language = "'" + language
        writer.writerow([0, row.version, row.submitted_on.isoformat(), language or ""] + [
            _reference_cell(column.question, column.choice_id,
                            row.answers.get(column.question.id))
            for column in columns[4:]
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _without_numbers(data: bytes) -> tuple[list[list[str]], list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return [row[1:] for row in rows], [row[0] for row in rows[1:]]


async def test_sql_cells_equal_the_python_reading_of_every_answer(storage: Storage) -> None:
    decoded = await _decoded(storage)
    columns = cell_columns(SURVEY)
    sql_rows = [row async for batch in storage.results.cell_batches(SURVEY.id, columns,
                                                                   batch_size=37)
                for row in batch]
    assert len(sql_rows) == len(decoded) == RESPONSES
    reference = answer_cells(SURVEY)
    for sql_row, row in zip(sql_rows, decoded, strict=True):
        assert sql_row[:3] == (row.version, row.submitted_on.isoformat(), row.language)
        assert list(sql_row[3:]) == reference(row.answers)
        assert [type(v) for v in sql_row[3:]] == [type(v) for v in reference(row.answers)]


async def test_sql_export_is_the_reference_csv_byte_for_byte_but_the_numbers(
        storage: Storage, tmp_path: Path) -> None:
    decoded = await _decoded(storage)
    writer = ExportWriter(SURVEY, "csv", tmp_path / "sql.csv", RESPONSES)
    async for batch in storage.results.cell_batches(SURVEY.id, cell_columns(SURVEY),
                                                    batch_size=50):
        writer.add_cells(batch)
    writer.close()
    data = (tmp_path / "sql.csv").read_bytes()
    rows, numbers = _without_numbers(data)
    expected_rows, _ = _without_numbers(_reference_csv(decoded))
    assert rows == expected_rows
    # The respondent numbers are a permutation of 1..n, fresh for each export.
    assert sorted(map(int, numbers)) == list(range(1, RESPONSES + 1))
    # And the Python path (decoded answers) writes the very same rows.
    write_export(SURVEY, decoded, "csv", tmp_path / "py.csv", RESPONSES)
    assert _without_numbers((tmp_path / "py.csv").read_bytes())[0] == rows
    assert data.replace(b"\r\n", b"").count(b"'=") >= 1


async def test_sql_and_python_json_exports_hold_the_same_values(
        storage: Storage, tmp_path: Path) -> None:
    decoded = await _decoded(storage)
    writer = ExportWriter(SURVEY, "json", tmp_path / "sql.json", RESPONSES)
    async for batch in storage.results.cell_batches(SURVEY.id, cell_columns(SURVEY)):
        writer.add_cells(batch)
    writer.close()
    write_export(SURVEY, decoded, "json", tmp_path / "py.json", RESPONSES)
    sql, py = (json.loads((tmp_path / name).read_text("utf-8")) for name in ("sql.json",
                                                                            "py.json"))
    for record in (*sql, *py):
        del record["respondent"]
    assert sql == py


async def test_question_ids_that_cannot_be_a_json_path_are_refused(storage: Storage) -> None:
    with pytest.raises(ValueError):
        [row async for batch in storage.results.cell_batches(SURVEY.id, [('a"b', None)])
         for row in batch]


QUESTION_IDS = [q.id for q in SURVEY.questions if q.type is not QuestionType.NOTE]


async def _sql_summary(storage: Storage, by: str | None, min_cell: int,
                       sample_size: int) -> SurveySummary:
    summarizer = Summarizer(SURVEY, min_cell=min_cell, by=by, protection=EXACT)
    counts = await storage.results.summary_counts(
        SURVEY.id, by=by, sample_size=sample_size, questions=QUESTION_IDS,
        text_questions=[q.id for q in SURVEY.questions if q.type is QuestionType.TEXT])
    summarizer.use_counts(days=counts.days, answers=counts.answers, texts=counts.texts,
                          samples=counts.samples)
    return summarizer.result(in_progress=4)


@pytest.mark.parametrize(("by", "min_cell", "sample"), [
    (None, 5, 2_000), ("region", 5, 2_000), ("region", 3, 60), (None, 20, 10),
])
async def test_sql_counts_give_the_summary_of_a_pass_over_the_responses(
        storage: Storage, monkeypatch: pytest.MonkeyPatch, by: str | None, min_cell: int,
        sample: int) -> None:
    monkeypatch.setattr(tally, "LANGUAGE_SAMPLE", sample)
    decoded = await _decoded(storage)
    expected = summarize(SURVEY, [(r.answers, r.submitted_on, r.language) for r in decoded],
                         protection=EXACT,
                         in_progress=4, min_cell=min_cell, by=by)
    got = await _sql_summary(storage, by, min_cell, sample)
    assert got == expected
    # The counters themselves, before suppression hides any difference.
    counts = await storage.results.summary_counts(
        SURVEY.id, by=by, sample_size=sample, questions=QUESTION_IDS,
        text_questions=["remedy"])
    by_question = SURVEY.question(by) if by else None
    sql_tally = tally.tally_from_counts(SURVEY, by_question, days=counts.days,
                                        answers=counts.answers, texts=counts.texts,
                                        samples=counts.samples)
    py_tally = tally.tally_responses(
        SURVEY, [(r.answers, r.submitted_on, r.language) for r in decoded], by_question)
    assert (sql_tally.respondents, sql_tally.per_day, sql_tally.group_sizes) == (
        py_tally.respondents, py_tally.per_day, py_tally.group_sizes)
    assert sql_tally.questions.keys() == py_tally.questions.keys()
    for question_id, sql_question in sql_tally.questions.items():
        py_question = py_tally.questions[question_id]
        assert sql_question.answered == py_question.answered, question_id
        assert sql_question.values == py_question.values, question_id
        assert sql_question.sampled_texts == py_question.sampled_texts, question_id
    # Counted with record keys, each count is followed by its key sum; with every record
    # key 1 the key sums are the counts themselves, and the Python pass (every record key
    # 1) gives the same cell keys: noise is decided by the same numbers either way.
    keyed = await storage.results.summary_counts(
        SURVEY.id, by=by, sample_size=sample, questions=QUESTION_IDS,
        text_questions=["remedy"], record_keys=lambda response_id: 1)
    keyed_tally = tally.tally_from_counts(SURVEY, by_question, days=keyed.days,
                                          answers=keyed.answers, texts=keyed.texts,
                                          samples=keyed.samples)
    ones = tally.tally_responses(
        SURVEY, [(r.answers, r.submitted_on, r.language, 1) for r in decoded], by_question)
    assert keyed_tally.respondents_key == ones.respondents_key == len(decoded)
    assert keyed_tally.per_day_keys == ones.per_day_keys == ones.per_day
    assert keyed_tally.group_keys == ones.group_keys
    for question_id, keyed_question in keyed_tally.questions.items():
        one = ones.questions[question_id]
        assert keyed_question.value_keys == one.value_keys == one.values, question_id
        assert keyed_question.answered_keys == one.answered_keys == one.answered, question_id
    assert render_summary(got) == render_summary(expected)
    if sample < 100:
        languages = {c.key for q in got.questions if q.question.id == "remedy"
                     for c in q.overall.categories}
        assert tally.NOT_ANALYSED in languages


def test_text_answers_are_not_counted_in_bulk() -> None:
    question_tally = tally.QuestionTally(SURVEY.question("remedy"))
    with pytest.raises(ValueError):
        question_tally.add(None, "some text", count=3)
