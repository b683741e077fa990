"""A data directory as an older release left it, for the tests of a migration."""

from __future__ import annotations

from pathlib import Path

from storage import DATABASE_FILE_NAME, Storage
from storage.database import Database
from storage.schema import load_migrations
from storage.secret import ServerSecret
from storage.surveys import SurveyRepository
from tests.storage.samples import make_survey


async def older_database(data_dir: Path, key_file: Path, survey_id: str,
                         before: int) -> tuple[Database, ServerSecret]:
    """The database with only the migrations numbered below ``before``, ``survey_id``
    published, and the directory's key (made by today's release, as an upgrade keeps it).

    The caller writes the rows the older release would have written, then closes it.
    """
    storage = await Storage.open(data_dir, key_file=key_file)
    secret = storage.secret
    await storage.close()
    path = data_dir / DATABASE_FILE_NAME
    path.unlink()  # rebuilt as the older release left it
    db = await Database.open(path, migrations=[m for m in load_migrations()
                                               if m.version < before])
    await SurveyRepository(db).publish_definition(make_survey(survey_id), b"", "s.yaml")
    return db, secret
