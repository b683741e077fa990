"""SQLite promises about responses on disk: erased text is gone, no Telegram id is stored."""

from __future__ import annotations

from pathlib import Path

from storage import Storage
from tests.storage.samples import make_survey

SURVEY = "labour-2026"


async def test_erased_text_is_gone_from_the_files(tmp_path: Path) -> None:
    storage = await Storage.open(tmp_path)
    try:
        await storage.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
        respondent = storage.secret.respondent_key(SURVEY, 77)
        await storage.responses.start(SURVEY, 1, respondent)
        await storage.responses.save_answer(
            SURVEY, respondent, "remedy", "my boss Zebulon Quux", None
        )
        await storage.responses.delete(SURVEY, respondent)
        files = [p.read_bytes() for p in tmp_path.iterdir() if p.is_file()]
    finally:
        await storage.close()
    assert files and not any(b"Zebulon" in content for content in files)


async def test_the_database_never_holds_the_telegram_id(tmp_path: Path) -> None:
    user_id = 987654321
    storage = await Storage.open(tmp_path)
    try:
        await storage.surveys.publish_definition(make_survey(SURVEY), b"", "s.yaml")
        respondent = storage.secret.respondent_key(SURVEY, user_id)
        participant = storage.secret.participant_key(user_id)
        await storage.preferences.set_consent(participant)
        await storage.preferences.set_language(participant, "fr")
        await storage.responses.start(SURVEY, 1, respondent)
        await storage.responses.save_answer(SURVEY, respondent, "weeks", 4, None)
        await storage.responses.submit(SURVEY, respondent)
        await storage.db.checkpoint()
        files = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    finally:
        await storage.close()
    for name, content in files.items():
        assert str(user_id).encode() not in content, name
        assert user_id.to_bytes(8, "big") not in content, name
        assert user_id.to_bytes(8, "little") not in content, name
