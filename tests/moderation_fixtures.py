"""Shared survey and response fixtures for the moderator tests (summaries, exports, handlers)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from storage import Storage
from storage.responses import ResponseRepository
from surveys.model import Answers, Choice, Question, QuestionType, Survey, Text, today


def text(value: str) -> Text:
    return Text({"en": value})


#: A small consultation: a breakdown question, a multi-select, a scale and free text.
SURVEY = Survey(
    id="wages-2026",
    title=text("Wages survey"),
    languages=("en",),
    questions=(
        Question("region", QuestionType.SINGLE, text("Where do you work?"),
                 choices=(Choice("north", text("North")), Choice("south", text("South")),
                          Choice("east", text("East")))),
        Question("issues", QuestionType.MULTI, text("Which issues affect you?"),
                 choices=(Choice("wages", text("Unpaid wages")), Choice("safety", text("Safety")))),
        Question("safe", QuestionType.SCALE, text("How safe do you feel?"), min=1, max=5),
        Question("remedy", QuestionType.TEXT, text("What would help?"), required=False),
    ),
)


def answers(region: str, issues: Sequence[str] = ("wages",), safe: int = 3,
            remedy: str | None = None) -> Answers:
    result: dict[str, object] = {"region": region, "issues": tuple(issues), "safe": safe}
    if remedy is not None:
        result["remedy"] = remedy
    return result


#: 12 respondents: 7 in the north, 3 in the south, 2 in the east (two groups under 5, which
#: together make 5, so the north can stay visible).
TWELVE: tuple[Answers, ...] = (
    *(answers("north", ("wages",), 2) for _ in range(4)),
    *(answers("north", ("wages", "safety"), 4) for _ in range(3)),
    *(answers("south", ("safety",), 5) for _ in range(2)),
    answers("south", ("wages",), 1, remedy="=HYPERLINK(\"http://evil.example\",\"click\")"),
    answers("east", ("wages",), 3, remedy="+1 more money for overtime please"),
    answers("east", ("safety",), 3),
)


async def seed(storage, survey: Survey = SURVEY, responses: Sequence[Answers] = TWELVE,
               in_progress: int = 0, days_ago: int = 2) -> None:
    """Publish ``survey`` and store ``responses`` as submitted, under made-up pseudonyms.

    The responses are submitted ``days_ago`` days ago: publications cover finished days
    only (``surveys.snapshot``), so responses from today would not be published yet.
    """
    await storage.surveys.save_draft(survey, b"source", "survey.yaml")
    record = await storage.surveys.publish(survey.id)
    day = today() - dt.timedelta(days=days_ago)
    earlier = ResponseRepository(storage.db, today=lambda: day)
    for number, answer_set in enumerate(responses):
        key = storage.secret.respondent_key(survey.id, 1000 + number)
        await earlier.start(survey.id, record.version, key, language="en")
        await earlier.save_answers(survey.id, key, answer_set, None)
        await earlier.submit(survey.id, key)
    for number in range(in_progress):
        key = storage.secret.respondent_key(survey.id, 5000 + number)
        await storage.responses.start(survey.id, record.version, key, language="en")


def seeded_data_dir(directory: Path) -> Path:
    """A data directory holding :data:`SURVEY` with :data:`TWELVE` submitted and two drafts.

    ``seed`` submits through a repository without the publication key, as responses stored
    before migration 0010 were: the survey awaits its first tally recount.
    """

    async def prepare() -> None:
        async with await Storage.open(directory) as storage:
            await seed(storage, in_progress=2)

    asyncio.run(prepare())
    return directory
