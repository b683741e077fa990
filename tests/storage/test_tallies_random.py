"""Incremental tallies stay exact under random submissions, erasures and survey versions.

Hypothesis draws a sequence of what happens to a consultation over some days: submissions
(some with texts stored without a language, as before migration 0004), drafts left open and
submitted after a new version was published, erasures with the deletion code, /forget of
drafts, retention erasing a whole survey, new versions (one that adds and drops questions,
one that changes a question's type). After every sequence ``TallyRepository.check`` must
find no difference from a recount, and every published summary built from the tallies must
equal the one built by counting the responses themselves, overall and by every
single-choice question.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.publication import build_summary
from storage import Storage
from storage.database import Database
from storage.secret import ServerSecret
from surveys.aggregation import BreakdownError
from surveys.model import Choice, Question, QuestionType, Survey, Text
from tests.storage.samples import Clock

SURVEY = "tally-check"
OTHER = "tally-other"
START = dt.date(2026, 3, 2)


def _single(question_id: str, *choices: str) -> Question:
    return Question(id=question_id, type=QuestionType.SINGLE, label=Text({"en": question_id}),
                    choices=tuple(Choice(c, Text({"en": c})) for c in choices), required=False)


def _question(question_id: str, kind: QuestionType) -> Question:
    if kind is QuestionType.MULTI:
        return replace(_single(question_id, "pay", "safety", "hours"), type=kind)
    extra = {"min": 1, "max": 5} if kind is QuestionType.SCALE else {}
    return Question(id=question_id, type=kind, label=Text({"en": question_id}), required=False,
                    **extra)  # type: ignore[arg-type]  # min/max only for scales


def _survey(survey_id: str, *questions: Question) -> Survey:
    return Survey(survey_id, Text({"en": survey_id}), ("en",), questions)


FIRST = (_single("sector", "garment", "mining", "farming"), _single("region", "north", "south"),
         _question("issues", QuestionType.MULTI), _question("safe", QuestionType.SCALE),
         _question("weeks", QuestionType.NUMBER), _question("started", QuestionType.DATE),
         _question("remedy", QuestionType.TEXT))
#: A second version: "region" dropped, "union" added (breakdowns by either cover versions
#: without it as "no answer").
SECOND = (FIRST[0], _single("union", "yes", "no"), *FIRST[2:])
#: A third version changes a question's type: summaries then count answers one by one.
THIRD = (*SECOND[:4], _question("weeks", QuestionType.TEXT), *SECOND[5:])
VERSIONS = (FIRST, SECOND, THIRD)

TEXTS = ("Pay us on time", "Les salaires ne sont pas payés à temps depuis des mois.",
         "Safety first", "=HYPERLINK(1)")


def _answer(question: Question, rng: random.Random) -> object:
    kind = question.type
    if rng.random() < 0.15:
        return None  # skipped
    if kind is QuestionType.SINGLE:
        return rng.choice([c.id for c in question.choices] + ["withdrawn"])
    if kind is QuestionType.MULTI:
        return tuple(rng.sample([c.id for c in question.choices], rng.randint(0, 2)))
    if kind is QuestionType.SCALE:
        return rng.randint(1, 5)
    if kind is QuestionType.NUMBER:
        return rng.choice([0, 1, 2.5, 52])
    if kind is QuestionType.DATE:
        return rng.choice(["2020-01-01", "2024-06-30"])
    return rng.choice(TEXTS)


OPERATIONS = st.lists(
    st.sampled_from(["submit", "submit", "submit", "submit", "other", "draft", "finish",
                     "erase", "forget", "retention", "version", "day"]),
    min_size=4, max_size=28)


class World:
    """One data directory and what the test knows about it (codes, drafts, versions)."""

    def __init__(self, storage: Storage, clock: Clock, rng: random.Random) -> None:
        self.storage, self.clock, self.rng = storage, clock, rng
        self.codes: list[str] = []
        self.drafts: list[str] = []
        self.people = 0
        self.version = 0

    def person(self, survey_id: str) -> str:
        self.people += 1
        return self.storage.secret.respondent_key(survey_id, 10_000 + self.people)

    async def publish(self, survey_id: str, questions: tuple[Question, ...]) -> int:
        record = await self.storage.surveys.publish_definition(
            _survey(survey_id, *questions), repr(questions).encode(), "s.yaml")
        return record.version

    async def answer(self, survey_id: str, key: str, questions: tuple[Question, ...]) -> None:
        """Answer every question of ``questions``; texts keep a language 2 times in 3."""
        responses = self.storage.responses
        for question in questions:
            answer = self._answer(question)
            language = None
            if isinstance(answer, str) and question.type is QuestionType.TEXT \
                    and self.rng.random() < 0.67:
                language = self.rng.choice(["en", "fr", "undetermined"])
            await responses.save_answer(survey_id, key, question.id, answer, None,  # type: ignore[arg-type]  # drawn to fit
                                        text_language=language)

    def _answer(self, question: Question) -> object:
        return _answer(question, self.rng)

    async def submit(self, survey_id: str, questions: tuple[Question, ...],
                     version: int) -> None:
        key = self.person(survey_id)
        await self.storage.responses.start(survey_id, version, key, language="en")
        await self.answer(survey_id, key, questions)
        submitted = await self.storage.responses.submit(survey_id, key)
        assert submitted.deletion_code is not None
        if survey_id == SURVEY:
            self.codes.append(submitted.deletion_code)

    async def step(self, operation: str) -> None:
        storage, rng = self.storage, self.rng
        questions = VERSIONS[self.version]
        version = (await storage.surveys.published(SURVEY)).version  # type: ignore[union-attr]
        if operation == "submit":
            await self.submit(SURVEY, questions, version)
        elif operation == "other":
            await self.submit(OTHER, FIRST, 1)
        elif operation == "draft":
            key = self.person(SURVEY)
            await storage.responses.start(SURVEY, version, key)
            await self.answer(SURVEY, key, questions)
            self.drafts.append(key)
        elif operation == "finish" and self.drafts:
            key = self.drafts.pop(rng.randrange(len(self.drafts)))
            submitted = await storage.responses.submit(SURVEY, key)
            assert submitted.deletion_code is not None
            self.codes.append(submitted.deletion_code)
        elif operation == "erase" and self.codes:
            code = self.codes.pop(rng.randrange(len(self.codes)))
            assert await storage.responses.delete_by_code(code) is not None
        elif operation == "forget" and self.drafts:
            key = self.drafts.pop()
            assert await storage.responses.forget({SURVEY: key}) == 1
        elif operation == "retention":
            await storage.retention.erase_responses(OTHER, None, self.clock.day)
        elif operation == "version" and self.version + 1 < len(VERSIONS):
            self.version += 1
            await self.publish(SURVEY, VERSIONS[self.version])
        elif operation == "day":
            self.clock.day += dt.timedelta(days=rng.randint(1, 3))
        if rng.random() < 0.3:
            self.clock.day += dt.timedelta(days=1)


async def _published(storage: Storage, survey_id: str, by: str | None, today: dt.date, *,
                     recount: bool) -> object:
    """The published summary, or the error refusing it (a breakdown not asked yet)."""
    try:
        return await build_summary(storage, survey_id, by=by, min_cell=3, today=today,
                                   recount=recount)
    except BreakdownError as error:
        return error.message


async def _scenario(directory: Path, operations: list[str], seed: int) -> None:
    clock = Clock(START)
    data_dir = directory / "data"
    data_dir.mkdir(mode=0o700)
    secret = ServerSecret.load(directory / "consultbot.key", data_dir)
    storage = Storage(await Database.open(data_dir / "consultbot.sqlite3"), secret, today=clock)
    try:
        world = World(storage, clock, random.Random(seed))
        await world.publish(SURVEY, FIRST)
        await world.publish(OTHER, FIRST)
        for operation in operations:
            await world.step(operation)
        for survey_id in (SURVEY, OTHER):
            checked = await storage.tallies.check(survey_id)
            assert checked.exact, checked.differences[:5]
        today = clock.day + dt.timedelta(days=1)
        for survey_id in (SURVEY, OTHER):
            for by in (None, "sector", "region", "union"):
                tallied = await _published(storage, survey_id, by, today, recount=False)
                counted = await _published(storage, survey_id, by, today, recount=True)
                assert tallied == counted, (survey_id, by)
    finally:
        await storage.close()


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS, seed=st.integers(0, 2**32))
def test_tallies_equal_a_recount_after_random_operations(
    tmp_path_factory: object, operations: list[str], seed: int
) -> None:
    directory = tmp_path_factory.mktemp("tallies")  # type: ignore[attr-defined]  # pytest's factory
    asyncio.run(_scenario(directory, operations, seed))
