"""Where a participant goes next in a survey: pure steps over a definition and answers.

Kept apart from Telegram and storage (ARCHITECTURE.md, "Layers"), so the order of
questions, notes, "Back", the review and the carry-over of answers to a new version are
plain functions with plain tests.
"""

from __future__ import annotations

from surveys.engine import (
    InvalidAnswer,
    check_answer,
    is_relevant,
    next_question,
    relevant_answers,
)
from surveys.model import Answer, Question, Survey

__all__ = ["after_answer", "carry_over", "last_question", "walk"]


def walk(survey: Survey, answers: dict[str, Answer],
         after: str | None) -> tuple[list[Question], Question | None]:
    """The notes to show and the next question waiting for an answer (None: review)."""
    notes: list[Question] = []
    question = next_question(survey, answers, after)
    while question is not None and not question.waits_for_answer:
        notes.append(question)
        question = next_question(survey, answers, question.id)
    return notes, question


def after_answer(survey: Survey, answers: dict[str, Answer],
                 answered: str) -> tuple[list[Question], Question | None]:
    """Where to go once ``answered`` is answered: the next *unanswered* question, or the review.

    Going forward normally meets unanswered questions only. After "Back" or "Change",
    questions that still have their answer are passed over (they can be changed from the
    review), and so are the notes among them, which were shown the first time.
    """
    notes, following = walk(survey, answers, answered)
    if following is None or following.id not in answers:
        return notes, following
    while following is not None and following.id in answers:
        _, following = walk(survey, answers, following.id)
    return [], following


def last_question(survey: Survey, answers: dict[str, Answer]) -> Question | None:
    """The last relevant question that waits for an answer ("Back" from the review)."""
    current = relevant_answers(survey, answers)
    for question in reversed(survey.questions):
        if question.waits_for_answer and is_relevant(question, current):
            return question
    return None



def carry_over(survey: Survey, answers: dict[str, Answer],
               language: str) -> tuple[dict[str, Answer], str | None]:
    """Answers of an older version that are still valid in ``survey``, and where to resume.

    When a moderator publishes a new version while someone is answering, their answers to
    questions that still exist (and still accept them) are kept; the rest is asked again.
    """
    kept: dict[str, Answer] = {}
    for question in survey.questions:
        if question.id not in answers or not question.waits_for_answer:
            continue
        try:
            kept[question.id] = check_answer(question, answers[question.id], kept,
                                             language=language,
                                             default_language=survey.default_language)
        except InvalidAnswer:
            continue
    kept = relevant_answers(survey, kept)
    after: str | None = None
    while True:
        following = next_question(survey, kept, after)
        if following is None or (following.waits_for_answer and following.id not in kept):
            return kept, None if following is None else following.id
        after = following.id
