"""The publication layer: summaries and exports read from storage, for the bot and the CLI alike.

No Telegram here, so ``consultbot summary``/``export`` and the bot run exactly the same code
and show the same numbers. Responses are read batch by batch from storage (``storage.results``:
decoded in a worker thread, no pseudonym) and handed to a worker thread (counting, detecting languages, writing XLSX are CPU work): one moderator's
export never stalls a participant's answer, and memory holds one batch at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from surveys.aggregation import Summarizer, SurveySummary
from surveys.export import ExportFormat, ExportResult, ExportWriter, cell_columns
from surveys.model import QuestionType, Survey
from surveys.tally import LANGUAGE_SAMPLE

__all__ = [
    "SurveyNotFound",
    "build_summary",
    "export_responses",
    "record_export",
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


async def build_summary(
    storage: Any, survey_id: str, *, by: str | None = None, min_cell: int = 5
) -> SurveySummary:
    """Aggregate every submitted response of a survey, with disclosure control.

    Raises:
        SurveyNotFound: No such survey.
        BreakdownError: ``by`` is not a single-choice question.
    """
    survey = await survey_for_results(storage, survey_id)
    summarizer = Summarizer(survey, min_cell=min_cell, by=by)
    # Answers extracted by SQLite and counted as plain strings (storage.results): Python
    # decodes only the distinct answer values; text languages are those stored with the
    # answers, and only older texts stored without one are sampled and detected here.
    counts = await storage.results.summary_counts(
        survey_id,
        by=summarizer.by.id if summarizer.by is not None else None,
        questions=[q.id for q in survey.questions if q.type is not QuestionType.NOTE],
        text_questions=[q.id for q in survey.questions if q.type is QuestionType.TEXT],
        sample_size=LANGUAGE_SAMPLE,
    )
    await asyncio.to_thread(summarizer.use_counts, days=counts.days, answers=counts.answers,
                            texts=counts.texts, samples=counts.samples,
                            languages=counts.languages)
    progress = await storage.responses.counts(survey_id)
    return await asyncio.to_thread(summarizer.result, progress.in_progress)


async def export_responses(
    storage: Any,
    survey_id: str,
    fmt: ExportFormat | str,
    output: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Write every submitted response of a survey to ``output``.

    Args:
        progress: Called with ``(rows written, rows expected)`` every thousand rows.

    Raises:
        SurveyNotFound: No such survey.
        ExportTooLarge: XLSX cannot hold that many rows.
    """
    survey = await survey_for_results(storage, survey_id)
    expected = (await storage.responses.counts(survey_id)).submitted
    report = None if progress is None else (lambda rows: progress(rows, expected))
    writer = await asyncio.to_thread(ExportWriter, survey, fmt, Path(output), expected, report)
    try:
        # Cells extracted by SQLite's JSON functions (storage.results): no answers JSON is
        # decoded in Python; the writer only numbers rows and neutralises text.
        async for batch in storage.results.cell_batches(survey_id, cell_columns(survey)):
            await asyncio.to_thread(writer.add_cells, batch)
    except BaseException:
        await asyncio.to_thread(writer.abort)
        raise
    return await asyncio.to_thread(writer.close)


async def record_export(storage: Any, actor: str, survey_id: str, result: ExportResult) -> None:
    """Put the export in the audit log: who (pseudonym), what, how many rows, which hash."""
    await storage.audit.append(
        actor,
        "export",
        {
            "survey_id": survey_id,
            "format": result.format.value,
            "rows": result.rows,
            "sha256": result.sha256,
        },
    )
