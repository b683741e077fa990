"""Checks that apply to a survey whatever file format it came from.

Both loaders build a draft :class:`~surveys.model.Survey` (recording format-specific
problems on the way), then hand it here. Every check appends to the same
:class:`~surveys.problems.ProblemList`, so the author sees everything at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from surveys import expressions
from surveys.limits import (
    MAX_CHOICE_LABEL_LENGTH,
    MAX_CHOICES,
    MAX_CHOICES_PER_QUESTION,
    MAX_NUMBER,
    MAX_PROMPT_LENGTH,
    MAX_QUESTIONS,
    MAX_TEXT_ANSWER_LENGTH,
    MAX_TEXT_LENGTH,
)
from surveys.messages import N_, Message
from surveys.model import Calculation, Question, QuestionType, Survey, Text
from surveys.problems import ProblemList

#: What an expression may refer to: an earlier question or calculation.
Earlier = Mapping[str, Question | Calculation]

__all__ = ["LANGUAGE_CODE", "QUESTION_ID", "SURVEY_ID", "validate_survey"]

SURVEY_ID = re.compile(r"[a-z0-9_-]+")
QUESTION_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
#: More scale points than this do not fit on one row of Telegram buttons.
WIDEST_SCALE = 11


def validate_survey(survey: Survey, problems: ProblemList, locations: Mapping[str, int | None], *, title_translatable: bool = True) -> None:
    """Record every problem of ``survey`` in ``problems``.

    Args:
        survey: The draft survey a loader built.
        problems: Where to record problems.
        locations: Row/line of the survey-level fields ``id``, ``title`` and ``languages``.
        title_translatable: Whether the format can translate the title at all.
    """
    if not _check_size(survey, problems, locations):
        return
    _check_header(survey, problems, locations, title_translatable)
    seen: dict[str, Question | Calculation] = {}
    calculations = list(survey.calculations)
    for index, question in enumerate(survey.questions):
        while calculations and calculations[0].position <= index:
            _check_calculation(survey, calculations.pop(0), seen, problems)
        _check_question(survey, question, seen, problems)
        if question.id not in seen:
            seen[question.id] = question
    for calculation in calculations:
        _check_calculation(survey, calculation, seen, problems)
    if not any(question.waits_for_answer for question in survey.questions):
        problems.error(locations.get("questions"), "no-questions", N_("the survey has no questions"))


def _check_size(survey: Survey, problems: ProblemList, locations: Mapping[str, int | None]) -> bool:
    """Count first: the other checks then run on a survey of bounded size."""
    count = len(survey.questions) + len(survey.calculations)
    if count > MAX_QUESTIONS:
        problems.error(locations.get("questions"), "too-many-questions", N_("the survey has {count} questions; the limit is {limit}"), count=count, limit=MAX_QUESTIONS)
        return False
    choices = sum(len(question.choices) for question in survey.questions)
    if choices > MAX_CHOICES:
        problems.error(
            locations.get("questions"), "too-many-choices",
            N_("the questions offer {count} choices in all; the limit is {limit}"), count=choices, limit=MAX_CHOICES,
        )
        return False
    return True


def _check_calculation(survey: Survey, calculation: Calculation, seen: dict[str, Question | Calculation], problems: ProblemList) -> None:
    if not QUESTION_ID.fullmatch(calculation.id):
        problems.error(
            calculation.line, "bad-question-id",
            N_("question id '{id}' must start with a letter or '_' and contain only letters, digits, '_', '-' and '.'"),
            id=calculation.id,
        )
    if calculation.id in seen or survey.question(calculation.id) is not None:
        problems.error(calculation.line, "duplicate-question", N_("duplicate question id '{id}' (first defined at {kind} {first})"),
                       id=calculation.id, kind=problems.kind, first=_line_of(survey, seen, calculation.id))
    _check_expression(calculation.id, calculation.line, "calculation", calculation.expression, survey, seen, problems)
    _check_expression(calculation.id, calculation.line, "relevant", calculation.relevant, survey, seen, problems)
    seen.setdefault(calculation.id, calculation)


def _line_of(survey: Survey, seen: Mapping[str, Question | Calculation], name: str) -> int | None:
    if name in seen:
        return seen[name].line
    question = survey.question(name)
    return question.line if question is not None else None


def _check_header(survey: Survey, problems: ProblemList, locations: Mapping[str, int | None], title_translatable: bool) -> None:
    if not SURVEY_ID.fullmatch(survey.id):
        problems.error(
            locations.get("id"), "bad-survey-id",
            N_("survey id '{id}' may only contain lowercase letters, digits, '-' and '_'"), id=survey.id,
        )
    seen: set[str] = set()
    for language in survey.languages:
        if not LANGUAGE_CODE.fullmatch(language):
            problems.error(
                locations.get("languages"), "bad-language",
                N_("'{language}' is not a language code such as en, fr or ar (in XLSForm, name columns like label::English (en))"),
                language=language,
            )
        if language in seen:
            problems.error(locations.get("languages"), "duplicate-language", N_("language '{language}' is listed twice"), language=language)
        seen.add(language)
    if title_translatable:
        _check_text(survey, survey.title, N_("the survey title"), locations.get("title"), problems, what_params={})
    _check_length(survey.title, MAX_CHOICE_LABEL_LENGTH, N_("the survey title"), {}, locations.get("title"), problems)


def _check_question(survey: Survey, question: Question, seen: Mapping[str, Question | Calculation], problems: ProblemList) -> None:
    line = question.line
    if not QUESTION_ID.fullmatch(question.id):
        problems.error(
            line, "bad-question-id",
            N_("question id '{id}' must start with a letter or '_' and contain only letters, digits, '_', '-' and '.'"),
            id=question.id,
        )
    if question.id in seen:
        problems.error(
            line, "duplicate-question",
            N_("duplicate question id '{id}' (first defined at {kind} {first})"),
            id=question.id, kind=problems.kind, first=seen[question.id].line,
        )
    _check_lengths(question, problems)
    params = {"id": question.id}
    _check_text(survey, question.label, N_("the label of question '{id}'"), line, problems, what_params=params)
    if question.hint is not None:
        _check_text(survey, question.hint, N_("the hint of question '{id}'"), line, problems, what_params=params)
    if question.constraint_message is not None:
        _check_text(survey, question.constraint_message, N_("the constraint message of question '{id}'"), line, problems, what_params=params)
    _check_choices(survey, question, problems)
    _check_bounds(question, problems)
    _check_expression(question.id, line, "relevant", question.relevant, survey, seen, problems)
    _check_expression(question.id, line, "constraint", question.constraint, survey, seen, problems)
    _check_choice_filter(survey, question, seen, problems)


def _check_lengths(question: Question, problems: ProblemList) -> None:
    """Every text must fit in a Telegram message (or button) with what the bot adds."""
    prompt = Text({
        language: text + (question.hint.translations.get(language, "") if question.hint else "")
        for language, text in question.label.translations.items()
    })
    _check_length(prompt, MAX_PROMPT_LENGTH, N_("the label and hint of question '{id}'"), {"id": question.id}, question.line, problems)
    if question.constraint_message is not None:
        _check_length(question.constraint_message, MAX_TEXT_LENGTH, N_("the constraint message of question '{id}'"), {"id": question.id}, question.line, problems)
    for choice in question.choices:
        _check_length(choice.label, MAX_CHOICE_LABEL_LENGTH, N_("the label of choice '{choice}' of question '{id}'"),
                      {"choice": choice.id, "id": question.id}, question.line, problems)
    if any("${" in text for text in question.label.translations.values()):
        problems.warning(question.line, "label-reference", N_("question '{id}': labels are shown as written; ${{name}} in a label is not replaced by an answer"), id=question.id)


def _check_length(text: Text, limit: int, what: str, what_params: Mapping[str, object], line: int | None, problems: ProblemList) -> None:
    longest = max(text.translations.items(), key=lambda item: len(item[1]), default=None)
    if longest is not None and len(longest[1]) > limit:
        problems.error(
            line, "text-too-long",
            N_("{what} is {length} characters long in '{language}'; the limit is {limit}"),
            what=Message(what, what_params).render(), length=len(longest[1]), language=longest[0], limit=limit,
        )


def _check_text(survey: Survey, text: Text, what: str, line: int | None, problems: ProblemList, *, what_params: Mapping[str, object]) -> None:
    """Default language required; other survey languages recommended; no stray languages."""
    described = Message(what, what_params).render()
    default = survey.default_language
    if not text.translations.get(default, "").strip():
        problems.error(line, "missing-label", N_("{what} has no text in the default language '{language}'"), what=described, language=default)
    for language in survey.languages[1:]:
        if not text.translations.get(language, "").strip():
            problems.warning(line, "missing-translation", N_("{what} has no '{language}' translation"), what=described, language=language)
    for language in sorted(text.languages - set(survey.languages)):
        problems.error(
            line, "unknown-language",
            N_("{what} has a '{language}' text, but '{language}' is not one of the survey languages"),
            what=described, language=language,
        )


def _check_choices(survey: Survey, question: Question, problems: ProblemList) -> None:
    # An empty choice list is reported by the loaders, which know where the list is.
    shown_whole = question.type is QuestionType.MULTI or not question.choice_filter
    if shown_whole and len(question.choices) > MAX_CHOICES_PER_QUESTION:
        problems.error(
            question.line, "too-many-choices",
            N_("question '{id}' offers {count} choices; a chat shows at most {limit} (a single-choice question with a choice_filter may have more)"),
            id=question.id, count=len(question.choices), limit=MAX_CHOICES_PER_QUESTION,
        )
    if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        for choice in question.choices:
            _check_text(survey, choice.label, N_("the label of choice '{choice}' of question '{id}'"), question.line, problems, what_params={"choice": choice.id, "id": question.id})


def _check_bounds(question: Question, problems: ProblemList) -> None:
    low, high = question.min, question.max
    for bound in (low, high):
        if bound is not None and (not math.isfinite(bound) or abs(bound) > MAX_NUMBER):
            problems.error(
                question.line, "number-out-of-range",
                N_("question '{id}': min and max must be numbers from -{limit} to {limit}"), id=question.id, limit=MAX_NUMBER,
            )
            return
    if question.max_length is not None and question.max_length > MAX_TEXT_ANSWER_LENGTH:
        problems.error(
            question.line, "bad-max-length",
            N_("question '{id}': max_length can be at most {limit} (the longest Telegram message)"), id=question.id, limit=MAX_TEXT_ANSWER_LENGTH,
        )
    if question.type is QuestionType.SCALE:
        if low is None or high is None:
            problems.error(question.line, "scale-bounds", N_("scale question '{id}' needs both min and max"), id=question.id)
            return
        if low != int(low) or high != int(high):
            problems.error(question.line, "scale-bounds", N_("scale question '{id}' needs whole-number min and max"), id=question.id)
        elif high - low + 1 > WIDEST_SCALE and low <= high:
            problems.warning(
                question.line, "wide-scale",
                N_("scale question '{id}' has {count} points; more than {widest} do not fit on one row of buttons"),
                id=question.id, count=int(high - low + 1), widest=WIDEST_SCALE,
            )
    if low is not None and high is not None and low > high:
        problems.error(question.line, "min-above-max", N_("question '{id}': min ({min}) is greater than max ({max})"), id=question.id, min=low, max=high)
    if question.max_length is not None and question.max_length < 1:
        problems.error(question.line, "bad-max-length", N_("question '{id}': max_length must be at least 1"), id=question.id)


def _check_choice_filter(survey: Survey, question: Question, earlier: Earlier, problems: ProblemList) -> None:
    """A filter needs a select question, and may only read columns its choices have."""
    if question.choice_filter is None:
        return
    if question.type not in (QuestionType.SINGLE, QuestionType.MULTI):
        problems.error(question.line, "choice-filter-not-allowed", N_("question '{id}': only select questions can have a choice_filter"), id=question.id)
        return
    tree = _check_expression(question.id, question.line, "choice_filter", question.choice_filter, survey, earlier, problems)
    if tree is None:
        return
    known = {"name"}.union(*(choice.properties for choice in question.choices))
    for column in sorted(expressions.columns(tree) - known):
        problems.error(
            question.line, "unknown-choice-column",
            N_("question '{id}': choice_filter reads '{column}', but its choices have no such column (they have: {columns})"),
            id=question.id, column=column, columns=", ".join(sorted(known)),
        )


def _check_expression(
    owner: str, line: int | None, column: str, source: str | None, survey: Survey, earlier: Earlier, problems: ProblemList
) -> expressions.Expr | None:
    """Syntax first; then every ``${name}`` must be an earlier, answerable question.

    Returns:
        The parsed expression, or ``None`` when there is none or it cannot be parsed.
    """
    if source is None:
        return None
    try:
        tree = expressions.parse_choice_filter(source) if column == "choice_filter" else expressions.parse(source)
    except expressions.ExpressionError as error:
        problems.error(
            line, "bad-expression",
            N_("question '{id}': {column} '{source}' is not valid at character {position}: {reason}"),
            id=owner, column=column, source=_excerpt(source), position=error.position + 1, reason=error.message.render(),
        )
        return None
    for name in sorted(expressions.references(tree)):
        target = survey.question(name) or next((c for c in survey.calculations if c.id == name), None)
        if name == owner:
            problems.error(
                line, "self-reference",
                N_("question '{id}': {column} refers to the question itself; use . for its own answer"),
                id=owner, column=column,
            )
        elif target is None:
            problems.error(line, "unknown-reference", N_("question '{id}': {column} refers to unknown question '{name}'"), id=owner, column=column, name=name)
        elif name not in earlier:
            problems.error(
                line, "later-reference",
                N_("question '{id}': {column} refers to '{name}', which is asked later"), id=owner, column=column, name=name,
            )
        elif isinstance(target, Question) and not target.waits_for_answer:
            problems.error(line, "note-reference", N_("question '{id}': {column} refers to note '{name}', which has no answer"), id=owner, column=column, name=name)
    if column != "constraint" and expressions.uses_current(tree):
        problems.error(line, "current-in-relevant", N_("question '{id}': '.' has no value in {column}; refer to earlier questions with ${{name}}"), id=owner, column=column)
    return tree


def _excerpt(source: str) -> str:
    """An expression quoted in a message: long ones are cut, so the message stays readable."""
    return source if len(source) <= 80 else source[:77] + "..."
