"""The publication layer: every figure and file that leaves the system is made here.

Summaries (chat, charts, ``consultbot summary`` text and JSON, the results site) come from
:func:`build_summary` and exports from :func:`export_responses`, both over the same
snapshot of responses (``surveys.snapshot``: whole finished days, advancing in steps of at
least ``min_cell``), with cell-key noise keyed by :func:`publication_key`
(``surveys.perturbation``) and k-anonymous microdata (``surveys.microdata``). Nothing else
reads stored answers to publish them.

No Telegram here, so ``consultbot summary``/``export`` and the bot run exactly the same code
and show the same numbers. Responses are read batch by batch from storage (``storage.results``:
decoded in a worker thread, no pseudonym) and handed to a worker thread (counting, detecting languages, writing XLSX are CPU work): one moderator's
export never stalls a participant's answer, and memory holds one batch at a time.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import functools
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from storage.secret import PUBLICATION_PURPOSE
from surveys import model
from surveys.aggregation import Cell, Summarizer, SurveySummary
from surveys.answer_keys import KeyDecoder
from surveys.disclosure import SuppressionReason, effective_min_cell
from surveys.export import ExportFormat, ExportResult, ExportWriter, cell_columns
from surveys.microdata import MicrodataPlan, RiskReport
from surveys.model import QuestionType, Survey
from surveys.perturbation import PROTECTED, record_key
from surveys.protected_export import ProtectedExportWriter
from surveys.snapshot import snapshot_cutoff
from surveys.tally import LANGUAGE_SAMPLE
from surveys.tally_plan import coverage

__all__ = [
    "SurveyNotFound",
    "build_summary",
    "export_responses",
    "publication_key",
    "record_export",
    "snapshot_day",
    "survey_for_results",
]


class SurveyNotFound(LookupError):
    """No survey with this id exists (draft, published or closed)."""


async def survey_for_results(storage: Any, survey_id: str) -> Survey:
    """The survey to summarise or export: the latest version, plus questions of older ones.

    Publishing a new version keeps old responses attached to their version; questions that
    only an older version asked are appended so their answers are not silently dropped.
    """
    versions = await storage.surveys.versions(survey_id)
    if not versions:
        raise SurveyNotFound(survey_id)
    # A draft nobody could answer yet does not decide the columns, unless it is all there is.
    answered = [record for record in versions if record.status.value != "draft"] or versions
    latest = max(answered, key=lambda record: record.version)
    questions = list(latest.survey.questions)
    known = {question.id for question in questions}
    for record in sorted(answered, key=lambda record: -record.version):
        for question in record.survey.questions:
            if question.id not in known:
                questions.append(question)
                known.add(question.id)
    survey = latest.survey
    return Survey(survey.id, survey.title, survey.languages, tuple(questions))


def publication_key(storage: Any) -> bytes:
    """The secret that record keys (and so every cell's noise) are derived from."""
    return bytes(storage.secret.derive_key(PUBLICATION_PURPOSE))


async def snapshot_day(storage: Any, survey_id: str, *, min_cell: int,
                       today: _dt.date | None = None, recount: bool = False) -> _dt.date | None:
    """The first day the current publication does *not* cover (``surveys.snapshot``).

    The responses per day come from the tallies (``storage.tallies``), or with ``recount``
    from the responses themselves.
    """
    source = storage.results if recount else storage.tallies
    per_day = await source.submitted_per_day(survey_id)
    return snapshot_cutoff(per_day, step=effective_min_cell(min_cell),
                           today=today or model.today())


async def build_summary(
    storage: Any, survey_id: str, *, by: str | None = None, min_cell: int = 5,
    today: _dt.date | None = None, recount: bool = False,
) -> SurveySummary:
    """The published summary of a survey: the protected snapshot, one table or breakdown.

    This is the only function that turns stored answers into published figures (chat,
    charts, ``consultbot summary`` as text or JSON, the results site): it counts the
    responses of the snapshot (whole days, advancing in steps of ``min_cell``), with the
    record keys that decide each count's noise, and applies disclosure control
    (``surveys.aggregation``) with full protection.

    The counts are sums of the incremental tallies (``storage.tallies``: milliseconds
    however many responses), unless a question changed type between versions or the
    breakdown question is not a single-choice question of every version that asks it
    (``surveys.tally_plan.coverage``); then the answers are counted one by one, as
    ``recount`` always does (for checks and tests: the same figures, from the responses).

    Args:
        today: The current day (tests); the snapshot never covers it.
        recount: Count the responses themselves instead of summing the tallies.

    Raises:
        SurveyNotFound: No such survey.
        BreakdownError: ``by`` is not a single-choice question.
    """
    survey = await survey_for_results(storage, survey_id)
    summarizer = Summarizer(survey, min_cell=min_cell, by=by, protection=PROTECTED)
    progress = await storage.responses.counts(survey_id)
    before = await snapshot_day(storage, survey_id, min_cell=min_cell, today=today,
                                recount=recount)
    if before is None:
        empty = await asyncio.to_thread(summarizer.result, progress.in_progress)
        reason = SuppressionReason.NOT_PUBLISHED_YET
        return replace(empty, respondents=Cell(None, None, reason), suppressed=reason,
                       completion_rate=None, per_day=(), questions=(), groups=())
    secret = publication_key(storage)
    # Answers extracted by SQLite and counted as plain strings (storage.results): Python
    # decodes only the distinct answer values; text languages are those stored with the
    # answers, and only older texts stored without one are sampled and detected here.
    by_id = summarizer.by.id if summarizer.by is not None else None
    questions = [q.id for q in survey.questions if q.type is not QuestionType.NOTE]
    text_questions = [q.id for q in survey.questions if q.type is QuestionType.TEXT]
    record_keys = functools.partial(record_key, secret)
    versions = {record.version: record.survey for record in await storage.surveys.versions(
        survey_id) if record.status.value != "draft"}
    covered = None if recount else coverage(survey, versions, by_id, questions)
    if covered is not None:
        counts = await storage.tallies.summary_counts(
            survey_id, coverage=covered, questions=questions, text_questions=text_questions,
            sample_size=LANGUAGE_SAMPLE, before=before, record_keys=record_keys)
    else:
        counts = await storage.results.summary_counts(
            survey_id, by=by_id, questions=questions, text_questions=text_questions,
            sample_size=LANGUAGE_SAMPLE, before=before, record_keys=record_keys)
    await asyncio.to_thread(summarizer.use_counts, days=counts.days, answers=counts.answers,
                            texts=counts.texts, samples=counts.samples,
                            languages=counts.languages)
    summary = await asyncio.to_thread(summarizer.result, progress.in_progress)
    return replace(summary, snapshot_before=before)


async def export_responses(
    storage: Any,
    survey_id: str,
    fmt: ExportFormat | str,
    output: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    include_text: bool = False,
    min_cell: int = 5,
    today: _dt.date | None = None,
    risk_check: Callable[[RiskReport], None] | None = None,
) -> ExportResult:
    """Write the responses of the publication's snapshot to ``output`` (mode 0600).

    By default the protected microdata of ``surveys.microdata`` (no free text, no dates,
    k-anonymous quasi-identifiers with k = ``min_cell``) of the snapshot's responses.
    ``include_text`` writes every submitted response raw instead (free text and days): the
    caller must have checked the role and must audit it (:func:`record_export` records
    ``raw``). Either way the risk check runs first and ``risk_check`` sees it before a byte
    is written.

    Args:
        progress: Called with ``(rows written, rows expected)`` every thousand rows.

    Raises:
        SurveyNotFound: No such survey.
        ExportTooLarge: XLSX cannot hold that many rows.
    """
    survey = await survey_for_results(storage, survey_id)
    before = await snapshot_day(storage, survey_id, min_cell=min_cell, today=today)
    columns = cell_columns(survey)
    # No snapshot yet: an empty file of the right shape (no row can be published). A raw
    # export is every row with its day anyway, so a snapshot would protect nothing there.
    cutoff = None if include_text else (before or _dt.date.min)

    plan = MicrodataPlan(survey, columns, effective_min_cell(min_cell))
    questions, rest = plan.key_parts()
    # A raw export reads its rows again as cells (free text, days); a protected one keeps
    # the keys it read.
    held = await _read_keys(storage, survey_id, survey, plan, cutoff, keep=not include_text)
    risk = await asyncio.to_thread(plan.finish)
    if risk_check is not None:
        risk_check(risk)
    expected = risk.records
    report = None if progress is None else (lambda rows: progress(rows, expected))
    writer: ExportWriter | ProtectedExportWriter
    if include_text:
        writer = await asyncio.to_thread(ExportWriter, survey, fmt, Path(output), expected,
                                         report)
    else:
        writer = await asyncio.to_thread(ProtectedExportWriter, plan, fmt, Path(output),
                                         expected)
        writer.key_decoder(survey)
    try:
        if isinstance(writer, ExportWriter):
            async for batch in storage.results.cell_batches(survey_id, columns, before=cutoff):
                await asyncio.to_thread(writer.add_cells, batch)
        else:
            async for heads, tails in _key_batches(storage, survey_id, questions, rest, cutoff,
                                                   held):
                await asyncio.to_thread(writer.add_keys, heads, tails)
                if report is not None:
                    report(writer.rows)
    except BaseException:
        await asyncio.to_thread(writer.abort)
        raise
    result = await asyncio.to_thread(writer.close)
    return replace(result, risk=risk, raw=include_text)


#: Responses whose answer keys an export keeps between its passes (two pointers each; the
#: distinct keys are shared): past this it reads them again instead.
_HELD_KEYS = 2_000_000
#: Distinct key halves past which an export reads its keys again rather than keep them.
_HELD_DISTINCT = 200_000
#: Responses handed to the writer at a time.
_WRITE_BATCH = 20_000


async def _read_keys(storage: Any, survey_id: str, survey: Survey, plan: MicrodataPlan,
                     before: _dt.date | None, *, keep: bool,
                     ) -> tuple[list[str], list[str]] | None:
    """Pass 1 of the export, one read: count the plan's quasi-identifiers and numbers.

    Storage hands two short keys per response (``storage.answer_keys``: the
    quasi-identifiers, then the other exported answers; one SQLite JSON parse each); they
    are counted in C (``Counter.update``) and only each distinct key is decoded. The keys
    are kept, in pseudonym order and each distinct one stored once, so pass 2 writes exactly
    the responses the risk check saw without reading the table again; ``None`` when there
    were too many to keep, or ``keep`` is false (pass 2 reads them again).
    """
    questions, rest = plan.key_parts()
    head_counts: Counter[str] = Counter()
    tail_counts: Counter[str] = Counter()
    canonical: dict[str, str] = {}
    heads: list[str] | None = [] if keep else None
    tails: list[str] | None = [] if keep else None

    def count(batch: list[tuple[Any, ...]]) -> None:
        nonlocal heads, tails
        parts = [key.partition("\x1e") for key, in batch]
        firsts, _, seconds = zip(*parts, strict=True)
        head_counts.update(firsts)
        tail_counts.update(seconds)
        if heads is None or tails is None:
            return
        if (len(heads) + len(batch) > _HELD_KEYS
                or len(head_counts) + len(tail_counts) > _HELD_DISTINCT):
            heads = tails = None
            canonical.clear()
            return
        # One object per distinct key: a held response costs two pointers.
        heads.extend(map(canonical.setdefault, firsts, firsts))
        tails.extend(map(canonical.setdefault, seconds, seconds))

    async for batch in storage.results.answer_keys(survey_id, questions, rest=rest,
                                                   before=before):
        await asyncio.to_thread(count, batch)

    def observe() -> None:
        decoder = KeyDecoder(survey, questions, rest)
        first = [(decoder.row(key), n) for key, n in head_counts.items()]
        plan.observe_counts(first)
        plan.observe_numbers(first)
        plan.observe_numbers((decoder.rest_row(key), n) for key, n in tail_counts.items())

    await asyncio.to_thread(observe)
    return None if heads is None or tails is None else (heads, tails)


async def _key_batches(
    storage: Any, survey_id: str, questions: Sequence[str], rest: Sequence[str],
    before: _dt.date | None, held: tuple[list[str], list[str]] | None,
) -> AsyncIterator[tuple[Sequence[str], Sequence[str]]]:
    """Pass 2's keys: those pass 1 kept, a batch at a time, else read again."""
    if held is not None:
        heads, tails = held
        for start in range(0, len(heads), _WRITE_BATCH):
            yield heads[start:start + _WRITE_BATCH], tails[start:start + _WRITE_BATCH]
        return
    async for batch in storage.results.answer_keys(survey_id, questions, rest=rest,
                                                   before=before):
        parts = [key.partition("\x1e") for key, in batch]
        firsts, _, seconds = zip(*parts, strict=True)
        yield firsts, seconds


async def record_export(storage: Any, actor: str, survey_id: str, result: ExportResult) -> None:
    """Put the export in the audit log: who (pseudonym), what, how many rows, which hash.

    A raw export (free text, days) is its own action, ``export_raw``, so it stands out.
    """
    details: dict[str, Any] = {
        "survey_id": survey_id,
        "format": result.format.value,
        "rows": result.rows,
        "sha256": result.sha256,
    }
    if result.risk is not None:
        details["unique_before"] = result.risk.unique_before
        details["suppressed_cells"] = sum(result.risk.suppressed_cells.values())
    await storage.audit.append(actor, "export_raw" if result.raw else "export", details)
