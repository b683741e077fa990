"""The single streaming pass over submitted responses that aggregation is built on.

Only counters are kept (per question, per breakdown group, per answer value), never the
responses themselves, so a million responses cost the memory of their distinct values.
Medians come from value counters for the same reason.

The languages of free-text answers are detected for the first :data:`LANGUAGE_SAMPLE`
texts of each question only. langdetect takes ~5 ms per text: at a million responses
that alone was over an hour per text question (profile in bench/README.md, benchmark 3).
Responses arrive in pseudonym order, which is random, so those texts are a uniform sample;
the texts after it are counted as answered and shared out over the languages found in
the sample (per breakdown group, largest remainder), so the language counts still add up
to the number of answers. Below the sample size nothing changes: every text is detected.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from surveys.model import Answer, Answers, Question, QuestionType, Survey

__all__ = [
    "LANGUAGE_SAMPLE",
    "MIN_DETECTABLE_LENGTH",
    "UNDETERMINED",
    "QuestionTally",
    "SurveyTally",
    "Tallier",
    "detect_language",
    "tally_responses",
]

#: Shorter texts are not given to the language detector: its guesses on a few words are noise.
MIN_DETECTABLE_LENGTH = 20
#: The language "code" of texts too short or too odd to classify.
UNDETERMINED = "undetermined"
#: Texts per question whose language is detected; the rest follow the sample's shares.
LANGUAGE_SAMPLE = 2_000

#: One submitted response as aggregation sees it: answers, submission day, language.
Response = tuple[Answers, _dt.date | None, str | None]


def detect_language(text: str) -> str:
    """The ISO code langdetect sees in ``text``, or :data:`UNDETERMINED`.

    The detector is seeded so the same answers always give the same summary (langdetect is
    randomised otherwise, and a summary that changes on refresh erodes trust).
    """
    text = text.strip()
    if len(text) < MIN_DETECTABLE_LENGTH:
        return UNDETERMINED
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    try:
        return str(detect(text))
    except LangDetectException:
        return UNDETERMINED


@dataclass(slots=True)
class QuestionTally:
    """Counters for one question, per breakdown group (``None`` = no answer to "by")."""

    question: Question
    answered: Counter[str | None] = field(default_factory=Counter)
    #: Per group: choice id / scale or number value / language code -> count.
    values: dict[str | None, Counter[object]] = field(default_factory=dict)
    #: Text answers given to the language detector so far (see the module docstring).
    sampled_texts: int = 0
    #: Per group: text answers counted after the sample, whose language is not detected.
    unsampled: Counter[str | None] = field(default_factory=Counter)

    def add(self, group: str | None, answer: Answer) -> None:
        """Count one answer of a respondent in ``group``; unusable answers are ignored."""
        if self.question.type is QuestionType.TEXT and isinstance(answer, str):
            if self.sampled_texts >= LANGUAGE_SAMPLE:
                self.answered[group] += 1
                self.unsampled[group] += 1
                return
            self.sampled_texts += 1
        keys = _keys_of(self.question, answer)
        if keys is None:
            return
        self.answered[group] += 1
        counter = self.values.setdefault(group, Counter())
        for key in keys:
            counter[key] += 1

    def share_out_unsampled(self) -> None:
        """Give the texts counted after the sample the languages of the sample, per group."""
        overall: Counter[object] = Counter()
        for counter in self.values.values():
            overall.update(counter)
        for group, extra in self.unsampled.items():
            counter = self.values.setdefault(group, Counter())
            shares = counter if sum(counter.values()) else overall
            for key, count in _largest_remainder(shares, extra).items():
                counter[key] += count
        self.unsampled.clear()


@dataclass(slots=True)
class SurveyTally:
    """Everything one pass over the responses learns."""

    respondents: int = 0
    per_day: Counter[_dt.date] = field(default_factory=Counter)
    #: Respondents per answer to the breakdown question (``None`` = did not answer it).
    group_sizes: Counter[str | None] = field(default_factory=Counter)
    questions: dict[str, QuestionTally] = field(default_factory=dict)


class Tallier:
    """Counts responses one at a time, so an async caller can feed it batch by batch."""

    __slots__ = ("_by", "_tally")

    def __init__(self, survey: Survey, by: Question | None = None) -> None:
        self._by = by
        self._tally = SurveyTally(
            questions={
                q.id: QuestionTally(q)
                for q in survey.questions
                if q.type is not QuestionType.NOTE
            }
        )

    @property
    def tally(self) -> SurveyTally:
        """The counters so far (texts after the language sample shared out first)."""
        for question_tally in self._tally.questions.values():
            if question_tally.unsampled:
                question_tally.share_out_unsampled()
        return self._tally

    def add(self, response: Response) -> None:
        """Count one submitted response."""
        answers, submitted_on, _language = response
        tally = self._tally
        tally.respondents += 1
        if submitted_on is not None:
            tally.per_day[submitted_on] += 1
        group: str | None = None
        if self._by is not None:
            raw = answers.get(self._by.id)
            group = raw if isinstance(raw, str) and self._by.choice(raw) is not None else None
            tally.group_sizes[group] += 1
        for question_id, answer in answers.items():
            question_tally = tally.questions.get(question_id)
            if question_tally is not None:
                question_tally.add(group, answer)

    def add_many(self, responses: Iterable[Response]) -> None:
        """Count a batch of responses."""
        for response in responses:
            self.add(response)


def tally_responses(
    survey: Survey, responses: Iterable[Response], by: Question | None = None
) -> SurveyTally:
    """Count ``responses`` in one pass.

    Args:
        survey: The survey whose questions are counted; answers to unknown questions or
            unknown choices (e.g. from a withdrawn version) are ignored.
        responses: Submitted responses, streamed.
        by: A single-choice question to break the counts down by, or ``None``.

    Returns:
        The counters.
    """
    tallier = Tallier(survey, by)
    tallier.add_many(responses)
    return tallier.tally


def _largest_remainder(shares: Counter[object], total: int) -> Counter[object]:
    """``total`` split in proportion to ``shares`` in whole numbers that add up to it."""
    weight = sum(shares.values())
    if weight == 0:
        return Counter({UNDETERMINED: total})
    exact = {key: total * count / weight for key, count in shares.items()}
    split = Counter({key: int(value) for key, value in exact.items()})
    left = total - sum(split.values())
    by_remainder = sorted(exact, key=lambda key: (-(exact[key] - split[key]), str(key)))
    for key in by_remainder[:left]:
        split[key] += 1
    return split


def _keys_of(question: Question, answer: Answer) -> tuple[object, ...] | None:
    """The counter keys one answer contributes, or ``None`` when it is not an answer."""
    if answer is None:
        return None
    kind = question.type
    if kind is QuestionType.SINGLE:
        return (answer,) if isinstance(answer, str) and question.choice(answer) else None
    if kind is QuestionType.MULTI:
        if isinstance(answer, str):
            answer = (answer,)
        if not isinstance(answer, (tuple, list)):
            return None
        return tuple(c for c in dict.fromkeys(answer) if question.choice(str(c)) is not None)
    if kind in (QuestionType.SCALE, QuestionType.NUMBER):
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            return None
        if answer != answer or answer in (float("inf"), float("-inf")):
            return None  # not a number a summary can place
        if kind is QuestionType.SCALE:
            # A scale has whole steps; anything else did not come from its buttons.
            return (int(answer),) if float(answer).is_integer() else None
        return (answer,)
    if kind is QuestionType.TEXT:
        return (detect_language(answer),) if isinstance(answer, str) else None
    if kind is QuestionType.DATE:
        return ()
    return None
