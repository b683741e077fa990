"""Benchmark 3's generated rows carry the text languages the bot stores with the answers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bench.dataset import generate
from storage import DATABASE_FILE_NAME
from surveys.tally import detect_language


async def test_generated_responses_store_each_text_answers_language(tmp_path: Path) -> None:
    await generate(tmp_path / "data", submitted=30, in_progress=10)

    with sqlite3.connect(tmp_path / "data" / DATABASE_FILE_NAME) as connection:
        rows = connection.execute("SELECT answers, text_languages FROM responses").fetchall()
    assert len(rows) == 40
    seen = set()
    for answers_json, languages_json in rows:
        answers, languages = json.loads(answers_json), json.loads(languages_json)
        texts = {q: answers[q] for q in ("remedy", "comment") if isinstance(answers.get(q), str)}
        assert languages == {q: detect_language(text) for q, text in texts.items()}
        seen.update(languages.values())
    assert {"en", "fr"} <= seen


async def test_generated_answers_are_the_codecs_exact_encoding(tmp_path: Path) -> None:
    """The fragment-joined answers equal what surveys.codec writes, and resume as the bot does."""
    from bench.survey import QUESTION_KINDS
    from storage import Storage
    from surveys.codec import answers_from_json, answers_to_json

    await generate(tmp_path / "data", submitted=300, in_progress=200)
    with sqlite3.connect(tmp_path / "data" / DATABASE_FILE_NAME) as connection:
        rows = connection.execute("SELECT respondent_key, status, answers, current_question "
                                  "FROM responses").fetchall()
    assert len(rows) == 500
    order = [question for question, _ in QUESTION_KINDS]
    for _key, status, answers_json, current in rows:
        decoded = answers_from_json(answers_json)
        assert answers_to_json(decoded) == answers_json
        if status == "submitted":
            assert list(decoded) == order and current is None
        else:
            assert list(decoded) == order[:len(decoded)] and current == order[len(decoded)]
    storage = await Storage.open(tmp_path / "data")
    try:  # genuine pseudonyms: the bot finds respondent n by their (fake) user id
        from bench.dataset import respondent_user_id
        from bench.survey import SURVEY_ID
        keys = {key for key, *_ in rows}
        assert all(storage.secret.respondent_key(SURVEY_ID, respondent_user_id(n)) in keys
                   for n in (0, 299, 300, 499))
    finally:
        await storage.close()
