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
