"""``python -m bench.fuzz_surveys``: generate survey files, check them, answer the valid ones.

For each generated file (:mod:`bench.survey_generator`) this does what consultbot does:
``check`` it through the one loading entry point, and if it passes, answer it end to end
with the pure engine the bot uses (random typed answers, valid and invalid, forged button
values, going back), walk it once more through ``consultbot try``'s terminal, and store it
and its answers through the storage codec. Any exception other than a refusal is a
failure, reported with the seed that reproduces it::

    python -m bench.fuzz_surveys --count 1000            # about a minute
    python -m bench.fuzz_surveys --count 1 --seed 1234   # replay one file

Exit status 0 when no file raised, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass

from bench.survey_generator import GeneratedFile, generate_survey_file
from surveys.codec import answers_from_json, answers_to_json, survey_from_json, survey_to_json
from surveys.engine import (
    InvalidAnswer,
    available_choices,
    calculated_values,
    check_answer,
    format_answer,
    next_question,
    parse_answer,
    previous_question,
    relevant_answers,
)
from surveys.loading import inspect_bytes
from surveys.model import Answer, Question, QuestionType, Survey

__all__ = ["Outcome", "exercise", "main"]

#: Typed answers tried at every question, besides answers built from the question itself.
_RAW = ("", " ", "1", "2", "0", "-1", "12.5", "1,000", "9" * 310, "-" + "9" * 309, "1e400", "nan", "٣", "2026-02-30",
        "2026-03-31", "31/03/2026", "yes", "x" * 5000, "1,2,3", "c0", "north", "\x00", "\u0661\u0662\u066b\u0665", "${q0}", "'")


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: ``refused`` by check, or ``answered`` end to end."""

    verdict: str
    questions_answered: int = 0


def exercise(generated: GeneratedFile, rng: random.Random) -> Outcome:
    """Check ``generated``; answer it end to end if it passes. Raises on any crash."""
    result = inspect_bytes(generated.data, generated.name)
    for problem in result.problems:
        rendered = str(problem)
        problem.message.template.format(**problem.message.params)  # every placeholder filled
        if not rendered.startswith(f"{generated.name}: "):
            raise AssertionError(f"unclear problem: {rendered!r}")
    if result.survey is None:
        if not result.errors:
            raise AssertionError("refused without an error")
        return Outcome("refused")
    survey = survey_from_json(survey_to_json(result.survey))
    if survey != result.survey:
        raise AssertionError("the codec changed the survey")
    answered = _answer(survey, rng)
    _try_walk(survey, rng)
    return Outcome("answered", answered)


def _answer(survey: Survey, rng: random.Random) -> int:
    answers: dict[str, Answer] = {}
    after: str | None = None
    count = 0
    for _step in range(4 * len(survey.questions) + 4):
        question = next_question(survey, answers, after)
        if question is None:
            break
        after = question.id
        if not question.waits_for_answer:
            continue
        value = _one_answer(question, answers, rng)
        if value is _STUCK:
            break  # an impossible constraint is the author's problem, not a crash
        answers[question.id] = value
        count += 1
        if rng.random() < 0.1 and (back := previous_question(survey, answers, question.id)) is not None:
            after = survey.questions[survey.index_of(back.id) - 1].id if survey.index_of(back.id) else None
    kept = relevant_answers(survey, answers)
    for question in survey.questions:
        if question.id in kept:
            format_answer(question, kept[question.id], survey.default_language, survey.default_language)
    calculated_values(survey, answers)
    if answers_from_json(answers_to_json(kept)) != kept:
        raise AssertionError("answers changed through the codec")
    return count


_STUCK: Answer = ("\0stuck",)


def _one_answer(question: Question, answers: dict[str, Answer], rng: random.Random) -> Answer:
    offered = available_choices(question, answers)
    candidates = list(rng.sample(_RAW, 6)) + _from_question(question, offered, rng)
    for raw in candidates:
        try:
            return parse_answer(question, raw, answers, language="fr", default_language="en")
        except InvalidAnswer as refusal:
            refusal.message.render()
    for value in _forged(question, offered, rng):  # button values, as the handlers pass them
        try:
            return check_answer(question, value, answers)
        except InvalidAnswer:
            continue
    return _STUCK


def _from_question(question: Question, offered: tuple[object, ...], rng: random.Random) -> list[str]:
    raws: list[str] = []
    if offered:
        raws += [str(rng.randint(1, len(offered))), ",".join(str(n + 1) for n in range(len(offered)))]
    for bound in (question.min, question.max):
        if bound is not None:
            raws.append(str(bound))
    if question.min is not None and question.max is not None:
        raws.append(str(int((question.min + question.max) // 2)))
    raws += ["hello", "2024-05-01"]
    return raws


def _forged(question: Question, offered: tuple[object, ...], rng: random.Random) -> list[Answer]:
    values: list[Answer] = [None, (), "", 10**400, -(10**20), 3, 2.5, float("nan"), ("c0", "zz"), "c0"]
    values += [choice.id for choice in question.choices]  # filtered-out ones too
    if question.type is QuestionType.SCALE and question.min is not None:
        values.append(int(question.min))
    rng.shuffle(values)
    return values


def _try_walk(survey: Survey, rng: random.Random) -> None:
    """``consultbot try``'s terminal on the same survey, fed random lines until they run out."""
    from bot.commands.try_survey import InputEnded, _Terminal

    lines = "\n".join(rng.choice((*_RAW, "1", "1", "")) for _ in range(3 * len(survey.questions) + 3)) + "\n"
    terminal = _Terminal(survey, survey.default_language, lambda text: text, io.StringIO(lines), io.StringIO())
    with contextlib.suppress(InputEnded):  # the random lines ran out before the end
        terminal.show_answers(terminal.walk())


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz campaign and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_surveys", description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="how many survey files to generate (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first file; file i uses seed+i")
    args = parser.parse_args(argv)
    verdicts: Counter[str] = Counter()
    crashes: list[tuple[int, str]] = []
    answered_questions = 0
    started = time.perf_counter()
    for index in range(args.count):
        seed = args.seed + index
        generated = generate_survey_file(seed)
        try:
            outcome = exercise(generated, random.Random(seed))
        except Exception:  # noqa: BLE001 - every crash is counted and shown with its seed
            crashes.append((seed, traceback.format_exc()))
            verdicts["traceback"] += 1
            continue
        verdicts[f"{outcome.verdict} ({generated.name.rsplit('.', 1)[1]})"] += 1
        answered_questions += outcome.questions_answered
    elapsed = time.perf_counter() - started
    for seed, text in crashes[:5]:
        print(f"--- seed {seed}\n{text}", file=sys.stderr)
    print(f"{args.count} survey files in {elapsed:.1f} s (seeds {args.seed}..{args.seed + args.count - 1})")
    for verdict, count in sorted(verdicts.items()):
        print(f"  {verdict}: {count}")
    print(f"  questions answered end to end: {answered_questions}")
    print(f"  tracebacks: {len(crashes)}")
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
