"""Upgrades: a database written by the previous release opens with everything in it, and
``consultbot upgrade`` backs up before migrating."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from storage import DATABASE_FILE_NAME, Database, Storage
from storage.backup import inspect
from storage.reports import ReportStatus
from storage.responses import ResponseStatus
from storage.schema import load_migrations
from tests.ops.conftest import BackupKeys, cli

PREVIOUS = Path(__file__).parent / "data" / "previous-release"
SURVEY_ID = "human-rights-dialogue-2026"


@pytest.fixture
def previous_release(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(PREVIOUS, data_dir)
    (data_dir / "secret.key").chmod(0o600)  # git does not keep modes
    data_dir.chmod(0o700)
    return data_dir


async def test_a_database_of_the_previous_release_opens_with_everything_in_it(
        previous_release: Path) -> None:
    receipt = (previous_release / "receipt.txt").read_text().strip()
    async with await Storage.open(previous_release) as storage:
        survey = await storage.surveys.published(SURVEY_ID)
        assert survey is not None
        roles = sorted([str(response.answers["role"])
                        async for batch in storage.results.submitted_batches(SURVEY_ID)
                        for response in batch])
        assert roles == ["lawyer", "ngo", "union"]
        draft = await storage.responses.get(
            SURVEY_ID, storage.secret.respondent_key(SURVEY_ID, 1004))
        assert draft is not None and draft.status is ResponseStatus.IN_PROGRESS
        assert draft.answers["role"] == "journalist"
        report_id = await storage.reports.find_by_receipt(receipt)
        assert report_id is not None
        report = await storage.reports.get(report_id)
        assert report.body == "Wages unpaid for six weeks at the depot."
        assert report.summary.status is ReportStatus.NEW
        assert [item.text for item in report.items] == [
            "It happened again this month.", "Thank you, we are looking into it."]
        assert await storage.moderators.is_moderator(2001)
        assert await storage.subscriptions.is_subscribed(SURVEY_ID, 3001)
        audit = await storage.audit.verify()
        assert audit.ok and audit.entries == 2
    found = await inspect(previous_release / DATABASE_FILE_NAME, None)
    assert found.ok and max(found.schema_versions) == found.newest_known


def test_upgrade_backs_up_before_applying_pending_migrations(
        tmp_path: Path, backup_keys: BackupKeys) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)

    async def older_schema() -> None:
        async with await Database.open(data_dir / DATABASE_FILE_NAME,
                                       migrations=load_migrations()[:-1]):
            pass

    asyncio.run(older_schema())
    newest = load_migrations()[-1].version
    result = cli(["upgrade", "--data-dir", str(data_dir), "--public-key",
                  str(backup_keys.public), "--backup-dir", str(tmp_path / "backups")])
    assert result.code == 0, result.err
    backups = list((tmp_path / "backups").glob("consultbot-pre-upgrade-*.cbbackup"))
    assert len(backups) == 1 and "Migrations applied" in result.out
    assert "Writing a backup before the migrations" in result.err
    assert "Applying the migrations…" in result.err
    after = asyncio.run(inspect(data_dir / DATABASE_FILE_NAME, None))
    assert max(after.schema_versions) == newest
    # The backup holds the database as it was before the migration.
    restored = tmp_path / "restored"
    key_file = tmp_path / "secret.key"  # restore checks the audit chain with a key file
    key_file.write_bytes(os.urandom(32))
    key_file.chmod(0o600)
    restore = cli(["restore", str(backups[0]), "--key", str(backup_keys.private),
                   "--data-dir", str(restored), "--key-file", str(key_file)])
    assert restore.code == 0, restore.err
    before = asyncio.run(inspect(restored / DATABASE_FILE_NAME, None))
    assert max(before.schema_versions) == load_migrations()[-2].version
    # A second run has nothing to do and writes no backup.
    again = cli(["upgrade", "--data-dir", str(data_dir), "--public-key",
                 str(backup_keys.public), "--backup-dir", str(tmp_path / "backups")])
    assert again.code == 0 and "up to date" in again.out
    assert len(list((tmp_path / "backups").iterdir())) == 1
