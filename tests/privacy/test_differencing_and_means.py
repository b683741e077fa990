"""Differencing (before/after one response, across days) and mean-recovery attacks.

Each attack is also run with the protection off, and must then succeed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence

from surveys.aggregation import summarize
from surveys.model import Choice, Question, QuestionType, Survey
from surveys.perturbation import EXACT, PROTECTED, RECORD_KEY_RANGE, Protection
from surveys.snapshot import snapshot_cutoff
from surveys.summary_json import summary_document
from surveys.summary_model import SurveySummary
from tests.privacy.attack import Response, text

MIN_CELL = 5
SURVEY = Survey("diff", text("Differencing"), ("en",), (
    Question("sector", QuestionType.SINGLE, text("Sector"),
             choices=tuple(Choice(c, text(c)) for c in ("garment", "mining", "farming"))),
    Question("safe", QuestionType.SCALE, text("Safe?"), min=1, max=5),
    Question("issues", QuestionType.MULTI, text("Issues"),
             choices=(Choice("wages", text("Wages")), Choice("safety", text("Safety")))),
))
DAY0 = dt.date(2026, 11, 2)


def _response(rng: random.Random, day: dt.date) -> Response:
    answers = {"sector": rng.choice(("garment", "garment", "mining", "farming")),
               "safe": rng.choice((1, 3, 3, 5)),
               "issues": tuple(c for c in ("wages", "safety") if rng.random() < 0.5)}
    return answers, day, "en", rng.randrange(RECORD_KEY_RANGE)


def publish(responses: Sequence[Response], today: dt.date, *, snapshot: bool = True,
            protection: Protection = PROTECTED) -> list[dict]:
    """What a moderator can read on ``today``: the overall summary and the breakdown.

    ``snapshot=False`` publishes every response so far (the unprotected behaviour).
    """
    if snapshot:
        per_day: dict[dt.date, int] = {}
        for _answers, day, _language, _key in responses:
            per_day[day] = per_day.get(day, 0) + 1
        cutoff = snapshot_cutoff(per_day, step=MIN_CELL, today=today)
        covered = [r for r in responses if cutoff is not None and r[1] < cutoff]
    else:
        covered = list(responses)
    summaries: list[SurveySummary] = [
        summarize(SURVEY, covered, by=by, min_cell=MIN_CELL, protection=protection)
        for by in (None, "sector")]
    return [summary_document(summary) for summary in summaries]


def _history(seed: int) -> list[Response]:
    rng = random.Random(seed)
    return [_response(rng, DAY0 + dt.timedelta(days=d)) for d in range(4)
            for _ in range(rng.randint(2, 9))]


def test_one_more_response_today_changes_nothing_published() -> None:
    for seed in range(20):
        history = _history(seed)
        today = DAY0 + dt.timedelta(days=4)
        before = publish(history, today)
        newcomer = _response(random.Random(seed + 100), today)
        assert publish([*history, newcomer], today) == before


def _covered(responses: Sequence[Response], today: dt.date) -> int:
    per_day: dict[dt.date, int] = {}
    for _answers, day, _language, _key in responses:
        per_day[day] = per_day.get(day, 0) + 1
    cutoff = snapshot_cutoff(per_day, step=MIN_CELL, today=today)
    return sum(1 for r in responses if cutoff is not None and r[1] < cutoff)


def test_across_days_publications_move_only_by_min_cell_responses_at_once() -> None:
    rng = random.Random(7)
    responses = _history(7)
    day = DAY0 + dt.timedelta(days=4)
    published, covered = publish(responses, day), _covered(responses, day)
    changes = 0
    for _ in range(40):
        # One new response a day, published the next day at the earliest.
        responses.append(_response(rng, day))
        day += dt.timedelta(days=1)
        now, now_covered = publish(responses, day), _covered(responses, day)
        if now_covered == covered:
            assert now == published  # same responses, same noise: nothing to subtract
        else:
            # A new publication adds at least min_cell responses: no difference of two
            # publications isolates one person.
            assert now_covered - covered >= MIN_CELL
            changes += 1
        published, covered = now, now_covered
    assert changes >= 5


def _single_counts(document: dict) -> dict[str, int | None]:
    sector = next(q for q in document["questions"] if q["id"] == "sector")
    return {c["key"]: c["count"] for c in sector["overall"]["categories"]}


def test_without_the_snapshot_the_difference_gives_the_new_answer_away() -> None:
    """The attack succeeds when publications follow every response with exact counts."""
    attacked = 0
    for seed in range(10):
        history = _history(seed)
        today = DAY0 + dt.timedelta(days=4)
        newcomer = _response(random.Random(seed + 100), today)
        before = _single_counts(publish(history, today, snapshot=False, protection=EXACT)[0])
        after = _single_counts(publish([*history, newcomer], today, snapshot=False,
                                       protection=EXACT)[0])
        grew = [k for k in before if before[k] is not None and after[k] is not None
                and after[k] - before[k] == 1]
        if all(v is not None for v in (*before.values(), *after.values())):
            assert grew == [newcomer[0]["sector"]]
            attacked += 1
    assert attacked >= 5


def _solutions(result: dict, n: int, mean: float | None) -> set[tuple[int, ...]]:
    """Every count vector of a scale result consistent with what it shows."""
    options = []
    for category in result["categories"]:
        if category["hidden"] is None:
            options.append([category["count"]])
        elif category["hidden"] == "small_group":
            options.append(list(range(1, MIN_CELL)))
        else:
            options.append(list(range(n + 1)))
    found = set()
    for counts in itertools.product(*options):
        if sum(counts) != n:
            continue
        if mean is not None:
            total = sum(int(c["key"]) * k for c, k in zip(result["categories"], counts,
                                                            strict=True))
            if abs(total / n - mean) > 1e-9:
                continue
        found.add(counts)
    return found


def test_a_mean_beside_hidden_counts_solves_them_unless_protected() -> None:
    """Issue 13's example: "2: 5" shown, mean and median shown, one hidden answer."""
    answers = [2] * 5 + [4] * 6 + [5] * 6 + [1]
    responses = [({"safe": v}, DAY0, "en", i * 7919 % RECORD_KEY_RANGE)
                 for i, v in enumerate(answers)]
    exact = summary_document(summarize(SURVEY, responses, min_cell=MIN_CELL, protection=EXACT))
    safe = next(q for q in exact["questions"] if q["id"] == "safe")["overall"]
    assert any(c["hidden"] for c in safe["categories"])
    mean = safe["stats"]["mean"]
    n = safe["answered"]["count"]
    assert len(_solutions(safe, n, mean)) == 1  # the attack pins every hidden count
    protected = summary_document(summarize(SURVEY, responses, min_cell=MIN_CELL,
                                           protection=PROTECTED))
    safe = next(q for q in protected["questions"] if q["id"] == "safe")["overall"]
    assert safe["stats"] == {"mean": None, "median": None, "hidden": "beside_hidden"}


def test_a_published_mean_is_a_function_of_the_published_counts() -> None:
    rng = random.Random(3)
    responses = [_response(rng, DAY0) for _ in range(60)]
    document = summary_document(summarize(SURVEY, responses, min_cell=MIN_CELL))
    safe = next(q for q in document["questions"] if q["id"] == "safe")["overall"]
    categories = safe["categories"]
    assert all(c["hidden"] is None for c in categories)
    total = sum(c["count"] for c in categories)
    assert safe["stats"]["mean"] == sum(int(c["key"]) * c["count"] for c in categories) / total
