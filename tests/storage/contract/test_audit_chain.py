"""Contract: the audit log is a keyed hash chain, never keyed by Telegram ids."""

from __future__ import annotations

import pytest

from storage.audit import GENESIS, AuditLog
from tests.storage.contract.conftest import Opened


async def test_entries_chain_to_each_other(audit: AuditLog) -> None:
    log = audit
    first = await log.append("cli", "export", {"survey_id": "s1", "format": "csv"})
    second = await log.append("a" * 64, "report.status", {"report_id": "R", "status": "resolved"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS and second.prev_hash == first.hash
    result = await log.verify()
    assert result.ok and result.entries == 2 and result.last_hash == second.hash
    assert [e.action for e in await log.entries()] == ["export", "report.status"]


async def test_empty_log_verifies(audit: AuditLog) -> None:
    result = await audit.verify()
    assert result.ok and result.entries == 0 and result.last_hash == GENESIS


async def test_raw_telegram_ids_are_refused_as_actors(audit: AuditLog) -> None:
    with pytest.raises(ValueError):
        await audit.append("123456789", "report.open", {})


async def test_the_chain_continues_across_a_restart(opener: Opened) -> None:
    storage = await opener.open()
    first = await storage.audit.append("cli", "export", {"survey_id": "s1"})
    await storage.close()
    storage = await opener.open()
    second = await storage.audit.append("cli", "export", {"survey_id": "s2"})
    assert second.prev_hash == first.hash and second.seq == 2
    assert (await storage.audit.verify()).entries == 2
    assert [e.seq for e in await storage.audit.entries(after=1)] == [2]
