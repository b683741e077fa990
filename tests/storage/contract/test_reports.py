"""Contract: reports — filing with files, receipts, status, replies, digests, retention."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.attachments import Attachment
from storage.errors import NotFound
from storage.receipts import format_receipt
from storage.reports import DigestCounts, ReportRepository, ReportStatus
from tests.storage.samples import Clock

BODY = "Wages unpaid for six weeks at the Northgate depot"


async def test_filing_and_reading_back(reports: ReportRepository, clock: Clock) -> None:
    photo = Attachment("photo.jpg", "image/jpeg", b"\xff\xd8pixels")
    filed = await reports.file("labour_rights", BODY, [photo])
    report = await reports.get(filed.report_id)
    assert report.body == BODY
    assert report.summary.status is ReportStatus.NEW
    assert report.summary.filed_on == clock.day
    assert report.summary.files == 1 and report.items[0].attachment == photo
    assert await reports.find_by_receipt(format_receipt(filed.receipt).lower()) == filed.report_id


async def test_wrong_and_malformed_receipts_open_nothing(reports: ReportRepository) -> None:
    filed = await reports.file("other", BODY)
    wrong = ("0" if filed.receipt[0] != "0" else "1") + filed.receipt[1:]
    assert await reports.find_by_receipt(wrong) is None
    assert await reports.find_by_receipt("hello") is None
    assert await reports.find_by_receipt("") is None


async def test_status_replies_and_reporter_view(reports: ReportRepository, clock: Clock) -> None:
    filed = await reports.file("discrimination", BODY)
    clock.day = dt.date(2026, 3, 5)
    summary = await reports.set_status(filed.report_id, ReportStatus.IN_REVIEW)
    assert summary.status is ReportStatus.IN_REVIEW and summary.closed_on is None
    await reports.add_reply(filed.report_id, "Can you say which shift?")
    await reports.add_followup(filed.report_id, "Night shift")
    view = await reports.reporter_view(filed.report_id)
    assert view.status is ReportStatus.IN_REVIEW and view.followups == 1
    assert view.replies == ((dt.date(2026, 3, 5), "Can you say which shift?"),)
    closed = await reports.set_status(filed.report_id, ReportStatus.RESOLVED)
    assert closed.closed_on == dt.date(2026, 3, 5)
    reopened = await reports.set_status(filed.report_id, ReportStatus.IN_REVIEW)
    assert reopened.closed_on is None
    with pytest.raises(NotFound):
        await reports.set_status("NOSUCHID", ReportStatus.NEW)


async def test_listing_filters_by_status(reports: ReportRepository) -> None:
    first = await reports.file("other", "a")
    second = await reports.file("other", "b")
    await reports.set_status(second.report_id, ReportStatus.REJECTED)
    open_ids = [s.report_id for s in await reports.list_reports([ReportStatus.NEW])]
    assert open_ids == [first.report_id]
    assert len(await reports.list_reports()) == 2


async def test_the_digest_counts_reports_waiting_for_triage_and_open_ones(
        reports: ReportRepository) -> None:
    assert (await reports.digest()).new == 0
    first = await reports.file("other", "a")
    await reports.file("other", "b")
    counts = await reports.digest()
    assert (counts.new, counts.open) == (2, 2)
    assert await reports.digest() == counts  # counting marks nothing: the same again
    await reports.set_status(first.report_id, ReportStatus.IN_REVIEW)
    assert await reports.digest() == DigestCounts(new=1, open=2)


async def test_retention_erases_only_reports_closed_long_enough(
    reports: ReportRepository, clock: Clock
) -> None:
    kept = await reports.file("other", "still open")
    gone = await reports.file("other", "closed", [Attachment("p.png", "image/png", b"x" * 50)])
    await reports.set_status(gone.report_id, ReportStatus.RESOLVED)
    clock.day += dt.timedelta(days=89)
    assert await reports.purge_closed(90) == 0
    clock.day += dt.timedelta(days=1)
    assert await reports.purge_closed(90) == 1
    with pytest.raises(NotFound):
        await reports.get(gone.report_id)
    assert await reports.find_by_receipt(gone.receipt) is None
    assert (await reports.get(kept.report_id)).body == "still open"


async def test_a_deleted_report_and_its_receipt_are_gone(reports: ReportRepository) -> None:
    filed = await reports.file("other", BODY)
    await reports.add_followup(filed.report_id, "more")
    assert await reports.delete(filed.report_id) is True
    assert await reports.delete(filed.report_id) is False
    assert await reports.find_by_receipt(filed.receipt) is None
    with pytest.raises(NotFound):
        await reports.add_followup(filed.report_id, "too late")


async def test_items_keep_their_order_and_kind(reports: ReportRepository) -> None:
    filed = await reports.file("other", BODY)
    await reports.add_followup(filed.report_id, "one")
    await reports.add_reply(filed.report_id, "two")
    await reports.add_file(filed.report_id, Attachment("n.pdf", "application/pdf", b"%PDF"))
    report = await reports.get(filed.report_id)
    assert [(i.seq, i.kind) for i in report.items] == [(1, "followup"), (2, "reply"), (3, "file")]
    assert [i.text for i in report.items[:2]] == ["one", "two"]
    assert report.summary.followups == 1 and report.summary.files == 1
