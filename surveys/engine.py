"""The survey engine: which question comes next, and whether an answer is acceptable.

The Telegram handlers and ``consultbot try`` both drive a survey with exactly these
functions, so what an author sees in the terminal is what participants get in the chat.
Everything here is pure: the caller stores the answers and passes them back in.
"""

from __future__ import annotations

import math

from surveys import expressions
from surveys.answer_parsing import InvalidAnswer, number_too_large, parse_raw
from surveys.limits import MAX_NUMBER
from surveys.messages import N_, Message
from surveys.model import Answer, Answers, Choice, Question, QuestionType, Survey, Text

__all__ = [
    "SKIPPED",
    "InvalidAnswer",
    "available_choices",
    "calculated_values",
    "check_answer",
    "format_answer",
    "is_relevant",
    "next_question",
    "parse_answer",
    "previous_question",
    "relevant_answers",
]

#: How a skipped or unanswered question is shown in reviews and summaries.
SKIPPED = "—"


def is_relevant(question: Question, answers: Answers) -> bool:
    """Whether ``question`` should be asked, given the answers so far.

    A select whose ``choice_filter`` leaves no choice is not asked: there is nothing to
    pick, and a required question would otherwise block the participant.
    """
    if question.relevant and not expressions.is_true(question.relevant, answers):
        return False
    return not question.choice_filter or any(_offered(question, choice, answers) for choice in question.choices)


def available_choices(question: Question, answers: Answers) -> tuple[Choice, ...]:
    """The choices a participant may pick, given the answers so far (``choice_filter``).

    The bot's buttons, ``consultbot try``'s numbered list and the answer check all use this,
    so a cascading select (region, then the districts of that region) offers and accepts
    the same choices everywhere. Without a ``choice_filter`` every choice is offered.
    Choices keep the order of ``question.choices``.
    """
    if not question.choice_filter:
        return question.choices
    return tuple(choice for choice in question.choices if _offered(question, choice, answers))


def _offered(question: Question, choice: Choice | None, answers: Answers) -> bool:
    """Whether ``choice`` passes the question's ``choice_filter`` (``None``: not a choice)."""
    if choice is None:
        return False
    if not question.choice_filter:
        return True
    return expressions.is_true(expressions.parse_choice_filter(question.choice_filter), answers, None, choice.columns)


def calculated_values(survey: Survey, answers: Answers) -> dict[str, str]:
    """The value of every calculation (XLSForm ``calculate``) for these answers.

    Calculations are never stored; this recomputes them, e.g. for ``consultbot try``.
    A calculation that is not relevant is the empty string, as in ODK.
    """
    current = relevant_answers(survey, answers)
    values: dict[str, str] = {}
    for calculation in survey.calculations:
        if calculation.relevant and not expressions.is_true(calculation.relevant, current):
            values[calculation.id] = ""
        else:
            values[calculation.id] = expressions.to_string(expressions.evaluate(expressions.parse(calculation.expression), current))
    return values


def relevant_answers(survey: Survey, answers: Answers) -> dict[str, Answer]:
    """The answers that still count, in question order.

    When a participant goes back and changes an answer, later questions may stop being
    relevant; their old answers must then be neither shown in the review nor submitted.
    Likewise a choice that a ``choice_filter`` no longer offers is cleared (as ODK does):
    after a change of region, the old district is not submitted. Relevance is decided on
    the already-cleaned answers so that it cascades.
    """
    kept: dict[str, Answer] = {}
    for question in survey.questions:
        if question.id in answers and question.waits_for_answer and is_relevant(question, kept):
            answer = _still_offered(question, answers[question.id], kept)
            if answer is not _WITHDRAWN:
                kept[question.id] = answer
    return kept


#: Marks an answer whose only choice is no longer offered: the question counts as unanswered.
_WITHDRAWN: Answer = ("\0withdrawn",)


def _still_offered(question: Question, answer: Answer, answers: Answers) -> Answer:
    if not question.choice_filter or answer is None:
        return answer
    # Only the chosen choices are evaluated: a cascading list may hold thousands.
    if isinstance(answer, tuple):
        kept = tuple(item for item in answer if _offered(question, question.choice(item), answers))
        return kept if kept or not answer else _WITHDRAWN
    return answer if isinstance(answer, str) and _offered(question, question.choice(answer), answers) else _WITHDRAWN


def next_question(survey: Survey, answers: Answers, after: str | None) -> Question | None:
    """The next relevant question after ``after`` (from the start when ``None``).

    Notes are returned too: the caller shows them and asks again with ``after`` set to
    the note's id.

    Returns:
        The question to show, or ``None`` when the survey is complete (show the review).

    Raises:
        KeyError: ``after`` is not a question of ``survey``.
    """
    start = 0 if after is None else survey.index_of(after) + 1
    current = relevant_answers(survey, answers)
    for question in survey.questions[start:]:
        if is_relevant(question, current):
            return question
    return None


def previous_question(survey: Survey, answers: Answers, before: str) -> Question | None:
    """The closest earlier relevant question that waits for an answer ("Back").

    Notes are passed over: going back to one would only bounce forward again.
    """
    current = relevant_answers(survey, answers)
    for question in reversed(survey.questions[: survey.index_of(before)]):
        if question.waits_for_answer and is_relevant(question, current):
            return question
    return None


def parse_answer(
    question: Question,
    raw: str,
    answers: Answers,
    *,
    language: str | None = None,
    default_language: str | None = None,
) -> Answer:
    """Read a typed answer and check it; empty text means "skip".

    Args:
        question: The question being answered.
        raw: What the participant typed.
        answers: The answers so far, for constraints that look at other questions.
        language: The participant's language, for the constraint message.
        default_language: The survey's default language, the fallback for that message.

    Returns:
        The typed answer (see :data:`surveys.model.Answer`), ``None`` when skipped.

    Raises:
        InvalidAnswer: With a message for the participant.
    """
    value = parse_raw(question, raw, available_choices(question, answers))
    return check_answer(question, value, answers, language=language, default_language=default_language)


def check_answer(
    question: Question,
    value: Answer,
    answers: Answers,
    *,
    language: str | None = None,
    default_language: str | None = None,
) -> Answer:
    """Check a typed or button answer: required, options, bounds, length, constraint.

    Returns:
        ``value``, unchanged, when it is acceptable.

    Raises:
        InvalidAnswer: With the survey's constraint message in ``language`` when the
            constraint fails, or a built-in message for the other checks.
    """
    if question.type is QuestionType.NOTE:
        return None
    if value is None or value == ():
        if question.required:
            raise InvalidAnswer(Message(N_("This question needs an answer.")))
        return None
    _check_shape(question, value)
    if question.choice_filter:
        chosen = value if isinstance(value, tuple) else (value,)
        if not all(isinstance(item, str) and _offered(question, question.choice(item), answers) for item in chosen):
            raise InvalidAnswer(Message(N_("Please choose one of the options.")))
    if question.constraint and not expressions.is_true(question.constraint, answers, value):
        raise InvalidAnswer(_constraint_message(question, language, default_language))
    return value


def _check_shape(question: Question, value: Answer) -> None:
    match question.type:
        case QuestionType.SINGLE:
            if not isinstance(value, str) or question.choice(value) is None:
                raise InvalidAnswer(Message(N_("Please choose one of the options.")))
        case QuestionType.MULTI:
            if not isinstance(value, tuple) or any(question.choice(item) is None for item in value):
                raise InvalidAnswer(Message(N_("Please choose among the options.")))
        case QuestionType.SCALE:
            if not isinstance(value, int) or isinstance(value, bool) or not _within(value, question):
                raise InvalidAnswer(Message(N_("Please choose a whole number from {min} to {max}."), {"min": question.min, "max": question.max}))
        case QuestionType.NUMBER:
            _check_number(question, value)
        case QuestionType.TEXT:
            if not isinstance(value, str):
                raise InvalidAnswer(Message(N_("Please answer with text.")))
            if question.max_length is not None and len(value) > question.max_length:
                raise InvalidAnswer(
                    Message(
                        N_("Your answer is {length} characters long; please keep it under {max_length}."),
                        {"length": len(value), "max_length": question.max_length},
                    )
                )
        case QuestionType.DATE:
            if not isinstance(value, str):
                raise InvalidAnswer(Message(N_("Please enter a date as YYYY-MM-DD, for example 2026-03-31.")))


def _check_number(question: Question, value: Answer) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        raise InvalidAnswer(Message(N_("Please enter a number, for example 12 or 12.5.")))
    if abs(value) > MAX_NUMBER:  # only a value that did not come through parse_number
        raise InvalidAnswer(number_too_large())
    if question.integer and not float(value).is_integer():
        raise InvalidAnswer(Message(N_("Please enter a whole number, without decimals.")))
    if _within(value, question):
        return
    bounds = {"min": _number_text(question.min), "max": _number_text(question.max)}
    if question.min is not None and question.max is not None:
        raise InvalidAnswer(Message(N_("Please enter a number from {min} to {max}."), bounds))
    if question.min is not None:
        raise InvalidAnswer(Message(N_("Please enter a number of at least {min}."), bounds))
    raise InvalidAnswer(Message(N_("Please enter a number of at most {max}."), bounds))


def _within(value: float, question: Question) -> bool:
    return (question.min is None or value >= question.min) and (question.max is None or value <= question.max)


def _constraint_message(question: Question, language: str | None, default_language: str | None) -> Message:
    if question.constraint_message:
        # Already written by the survey author in the participant's language: the
        # template is a bare placeholder so gettext leaves it alone.
        return Message("{text}", {"text": _resolve(question.constraint_message, language, default_language)})
    return Message(N_("This answer is not accepted. Please check it and try again."))


def _resolve(text: Text, language: str | None, default_language: str | None) -> str:
    return text.get(language or "", default_language or "")


def format_answer(question: Question, answer: Answer, language: str, default_language: str | None = None) -> str:
    """A human-readable answer for reviews, summaries and ``consultbot try``.

    Choices show their label in ``language``; multi-select labels are joined with
    ", "; a skipped question shows :data:`SKIPPED`.
    """
    if answer is None or answer == ():
        return SKIPPED
    if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        ids = answer if isinstance(answer, tuple) else (str(answer),)
        return ", ".join(_choice_label(question, choice_id, language, default_language) for choice_id in ids)
    if isinstance(answer, float):
        return _number_text(answer)
    return str(answer)


def _choice_label(question: Question, choice_id: str, language: str, default_language: str | None) -> str:
    choice = question.choice(choice_id)
    if choice is None:
        return choice_id  # an answer to an option removed in a later version
    return _resolve(choice.label, language, default_language)


def _number_text(value: float | None) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

