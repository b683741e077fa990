"""The single streaming pass over submitted responses that aggregation is built on.

Only counters are kept (per question, per breakdown group, per answer value), never the
responses themselves, so a million responses cost the memory of their distinct values.
Medians come from value counters for the same reason.

The language of a free-text answer is detected when the participant gives it and stored
with it, so a summary counts stored languages (:func:`tally_from_counts`, ``languages``).
Responses stored before that have no language; for those, languages are detected at
summary time for the first :data:`LANGUAGE_SAMPLE` texts of each question only: langdetect takes ~5 ms per text, which at a million responses
would be hours per text question (profile in bench/README.md, benchmark 3). Responses arrive
in pseudonym order, which is random, so those texts are a uniform sample. Texts after it are
counted under :data:`NOT_ANALYSED` rather than given estimated languages: every number a
summary shows stays a true count, so disclosure control keeps meaning what it says (an
estimate could show "Swahili: 500" for the one person in the sample who wrote Swahili).
Repeated texts are detected once (a bounded cache).
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surveys.model import Answer, Answers, Question, QuestionType, Survey
from surveys.perturbation import content_record_key

__all__ = [
    "LANGUAGE_SAMPLE",
    "MIN_DETECTABLE_LENGTH",
    "NOT_ANALYSED",
    "UNDETERMINED",
    "QuestionTally",
    "SurveyTally",
    "Tallier",
    "detect_language",
    "tally_from_counts",
    "tally_responses",
]

#: Shorter texts are not given to the language detector: its guesses on a few words are noise.
MIN_DETECTABLE_LENGTH = 20
#: The language "code" of texts too short or too odd to classify.
UNDETERMINED = "undetermined"
#: The "language" of texts after the sample, which are counted but not analysed.
NOT_ANALYSED = "not_analysed"
#: Texts per question whose language is detected.
LANGUAGE_SAMPLE = 2_000
#: The detector reads this much of a text: enough to tell a language, and bounded work.
_DETECT_CHARS = 1_000

#: One submitted response as aggregation sees it: answers, submission day, language and,
#: optionally, its record key (:mod:`surveys.perturbation`; derived from the content when
#: left out, which only pure callers and tests do).
Response = (tuple[Answers, _dt.date | None, str | None]
            | tuple[Answers, _dt.date | None, str | None, int])


def detect_language(text: str) -> str:
    """The ISO code langdetect sees in ``text``, or :data:`UNDETERMINED`.

    The detector is seeded so the same answers always give the same summary (langdetect is
    randomised otherwise, and a summary that changes on refresh erodes trust).
    """
    text = text.strip()
    if len(text) < MIN_DETECTABLE_LENGTH:
        return UNDETERMINED
    return _detect(text[:_DETECT_CHARS])


@functools.lru_cache(maxsize=4_096)
def _detect(text: str) -> str:
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    try:
        return str(detect(text))
    except LangDetectException:
        return UNDETERMINED


#: Turns one answer into the counter keys it contributes (``None``: not an answer).
KeysOf = Callable[[Answer], "tuple[object, ...] | None"]


@dataclass(slots=True)
class QuestionTally:
    """Counters for one question, per breakdown group (``None`` = no answer to "by").

    Beside every count is the sum of the record keys of the responses it counts (the cell
    key, :mod:`surveys.perturbation`), kept in the same shape so margins add up both.
    """

    question: Question
    answered: Counter[str | None] = field(default_factory=Counter)
    #: Per group: choice id / scale or number value / language code -> count.
    values: dict[str | None, Counter[object]] = field(default_factory=dict)
    answered_keys: Counter[str | None] = field(default_factory=Counter)
    value_keys: dict[str | None, Counter[object]] = field(default_factory=dict)
    #: Text answers given to the language detector so far (see the module docstring).
    sampled_texts: int = 0
    _keys_of: KeysOf | None = None

    def __post_init__(self) -> None:
        self._keys_of = _key_function(self.question)

    def add(self, group: str | None, answer: Answer, count: int = 1, key: int = 0) -> None:
        """Count one answer of a respondent in ``group``; unusable answers are ignored.

        ``count`` counts the same answer of that many respondents at once (counts made by
        storage), ``key`` is the sum of their record keys; a text answer is always counted
        once, since it may be detected.
        """
        if answer is None:
            return
        if self.question.type is QuestionType.TEXT and isinstance(answer, str):
            if count != 1:
                raise ValueError("text answers are counted one at a time")
            if self.sampled_texts >= LANGUAGE_SAMPLE:
                keys: tuple[object, ...] | None = (NOT_ANALYSED,)
            else:
                self.sampled_texts += 1
                keys = (detect_language(answer),)
        else:
            assert self._keys_of is not None
            keys = self._keys_of(answer)
        if keys is None:
            return
        self._count(group, keys, count, key)

    def _count(self, group: str | None, values: tuple[object, ...], count: int,
               key: int) -> None:
        self.answered[group] += count
        self.answered_keys[group] += key
        counter = self.values.get(group)
        if counter is None:
            counter = self.values[group] = Counter()
            self.value_keys[group] = Counter()
        key_counter = self.value_keys[group]
        for value in values:
            counter[value] += count
            key_counter[value] += key

    def add_language(self, group: str | None, language: str, count: int,
                     key: int = 0) -> None:
        """Count ``count`` text answers whose language was detected when they were given."""
        if count > 0:
            self._count(group, (language,), count, key)

    def add_not_analysed(self, group: str | None, count: int, key: int = 0) -> None:
        """Count ``count`` text answers after the language sample (see the module docstring)."""
        if count > 0:
            self._count(group, (NOT_ANALYSED,), count, key)


@dataclass(slots=True)
class SurveyTally:
    """Everything one pass over the responses learns (``*_keys``: the cell keys)."""

    respondents: int = 0
    per_day: Counter[_dt.date] = field(default_factory=Counter)
    #: Respondents per answer to the breakdown question (``None`` = did not answer it).
    group_sizes: Counter[str | None] = field(default_factory=Counter)
    questions: dict[str, QuestionTally] = field(default_factory=dict)
    respondents_key: int = 0
    per_day_keys: Counter[_dt.date] = field(default_factory=Counter)
    group_keys: Counter[str | None] = field(default_factory=Counter)


class Tallier:
    """Counts responses one at a time, so an async caller can feed it batch by batch."""

    __slots__ = ("_by", "tally")

    def __init__(self, survey: Survey, by: Question | None = None) -> None:
        self._by = by
        self.tally = SurveyTally(
            questions={
                q.id: QuestionTally(q)
                for q in survey.questions
                if q.type is not QuestionType.NOTE
            }
        )

    def group_of(self, raw: object) -> str | None:
        """The breakdown group of an answer to "by": a choice id, or ``None``."""
        by = self._by
        if by is None or not isinstance(raw, str) or by.choice(raw) is None:
            return None
        return raw

    def add(self, response: Response) -> None:
        """Count one submitted response."""
        answers, submitted_on = response[0], response[1]
        key = response[3] if len(response) > 3 else content_record_key(response)
        tally = self.tally
        tally.respondents += 1
        tally.respondents_key += key
        if submitted_on is not None:
            tally.per_day[submitted_on] += 1
            tally.per_day_keys[submitted_on] += key
        group: str | None = None
        if self._by is not None:
            group = self.group_of(answers.get(self._by.id))
            tally.group_sizes[group] += 1
            tally.group_keys[group] += key
        questions = tally.questions
        for question_id, answer in answers.items():
            question_tally = questions.get(question_id)
            if question_tally is not None:
                question_tally.add(group, answer, 1, key)

    def add_many(self, responses: Iterable[Response]) -> None:
        """Count a batch of responses."""
        add = self.add
        for response in responses:
            add(response)


def tally_from_counts(
    survey: Survey,
    by: Question | None,
    *,
    days: Iterable[tuple[Any, ...]],
    answers: Iterable[tuple[Any, ...]],
    texts: Iterable[tuple[Any, ...]],
    samples: Mapping[str, Sequence[tuple[Any, ...]]],
    languages: Iterable[tuple[Any, ...]] = (),
) -> SurveyTally:
    """The tally :func:`tally_responses` would make, from counts made elsewhere (in SQL).

    Every tuple may end with one more integer, the sum of the record keys of the responses
    it counts (samples: the record key of that response); without it the key is 0, which
    is only right for tests of the arithmetic.

    Args:
        survey: The survey whose questions are counted.
        by: The breakdown question, or ``None``.
        days: ``(submission day, answer to "by", respondents[, key sum])``.
        answers: ``(answer to "by", question id, answer, respondents[, key sum])``, every
            answer but the strings given to text questions.
        texts: ``(answer to "by", question id, respondents[, key sum])`` for the strings
            given to text questions that have no stored language.
        samples: Per text question, ``(answer to "by", text[, record key])`` of the first
            :data:`LANGUAGE_SAMPLE` of those strings in pseudonym order (the ones
            :class:`QuestionTally` would detect).
        languages: ``(answer to "by", question id, language, respondents[, key sum])`` for
            the strings given to text questions with the language stored with them.

    Returns:
        The counters; without stored languages, equal to those of a pass over the
        responses themselves.
    """
    tallier = Tallier(survey, by)
    tally = tallier.tally
    group_of = tallier.group_of
    for day, raw, count, *key in days:
        keysum = key[0] if key else 0
        tally.respondents += count
        tally.respondents_key += keysum
        if day is not None:
            tally.per_day[day] += count
            tally.per_day_keys[day] += keysum
        if by is not None:
            group = group_of(raw)
            tally.group_sizes[group] += count
            tally.group_keys[group] += keysum
    questions = tally.questions
    for raw, question_id, answer, count, *key in answers:
        question_tally = questions.get(question_id)
        if question_tally is not None:
            question_tally.add(group_of(raw), answer, count, key[0] if key else 0)
    for raw, question_id, language, count, *key in languages:
        question_tally = questions.get(question_id)
        if question_tally is not None:
            question_tally.add_language(group_of(raw), language, count, key[0] if key else 0)
    rest: Counter[tuple[str, str | None]] = Counter()
    rest_keys: Counter[tuple[str, str | None]] = Counter()
    for raw, question_id, count, *key in texts:
        rest[question_id, group_of(raw)] += count
        rest_keys[question_id, group_of(raw)] += key[0] if key else 0
    for question_id, sample in samples.items():
        question_tally = questions.get(question_id)
        if question_tally is None:
            continue
        for raw, text, *key in sample[:LANGUAGE_SAMPLE]:
            group = group_of(raw)
            record = key[0] if key else 0
            question_tally.add(group, text, 1, record)
            rest[question_id, group] -= 1
            rest_keys[question_id, group] -= record
    for (question_id, group), count in rest.items():
        question_tally = questions.get(question_id)
        if question_tally is not None:
            question_tally.add_not_analysed(group, count, rest_keys[question_id, group])
    return tally


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


def _key_function(question: Question) -> KeysOf:
    """The per-type answer reader, chosen once per question rather than once per answer."""
    kind = question.type
    choice_ids = frozenset(choice.id for choice in question.choices)

    def single(answer: Answer) -> tuple[object, ...] | None:
        return (answer,) if isinstance(answer, str) and answer in choice_ids else None

    def multi(answer: Answer) -> tuple[object, ...] | None:
        if isinstance(answer, str):
            answer = (answer,)
        if not isinstance(answer, (tuple, list)):
            return None
        return tuple(c for c in dict.fromkeys(answer) if c in choice_ids)

    def numeric(answer: Answer) -> tuple[object, ...] | None:
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            return None
        if answer != answer or answer in (float("inf"), float("-inf")):
            return None  # not a number a summary can place
        if kind is QuestionType.SCALE:
            # A scale has whole steps; anything else did not come from its buttons.
            return (int(answer),) if float(answer).is_integer() else None
        return (answer,)

    def text(answer: Answer) -> tuple[object, ...] | None:
        return (detect_language(answer),) if isinstance(answer, str) else None

    def date(answer: Answer) -> tuple[object, ...] | None:
        return ()

    def nothing(answer: Answer) -> tuple[object, ...] | None:
        return None

    readers: dict[QuestionType, KeysOf] = {
        QuestionType.SINGLE: single,
        QuestionType.MULTI: multi,
        QuestionType.SCALE: numeric,
        QuestionType.NUMBER: numeric,
        QuestionType.TEXT: text,
        QuestionType.DATE: date,
    }
    return readers.get(kind, nothing)
