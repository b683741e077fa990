"""Checks that apply to a survey whatever file format it came from.

Both loaders build a draft :class:`~surveys.model.Survey` (recording format-specific
problems on the way), then hand it here. Every check appends to the same
:class:`~surveys.problems.ProblemList`, so the author sees everything at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from surveys import expressions
from surveys.messages import N_, Message
from surveys.model import Question, QuestionType, Survey, Text
from surveys.problems import ProblemList

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
    _check_header(survey, problems, locations, title_translatable)
    seen: dict[str, Question] = {}
    for question in survey.questions:
        _check_question(survey, question, seen, problems)
        if question.id not in seen:
            seen[question.id] = question
    if not any(question.waits_for_answer for question in survey.questions):
        problems.error(locations.get("questions"), "no-questions", N_("the survey has no questions"))


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


def _check_question(survey: Survey, question: Question, seen: Mapping[str, Question], problems: ProblemList) -> None:
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
    params = {"id": question.id}
    _check_text(survey, question.label, N_("the label of question '{id}'"), line, problems, what_params=params)
    if question.hint is not None:
        _check_text(survey, question.hint, N_("the hint of question '{id}'"), line, problems, what_params=params)
    if question.constraint_message is not None:
        _check_text(survey, question.constraint_message, N_("the constraint message of question '{id}'"), line, problems, what_params=params)
    _check_choices(survey, question, problems)
    _check_bounds(question, problems)
    _check_expression(survey, question, "relevant", question.relevant, seen, problems)
    _check_expression(survey, question, "constraint", question.constraint, seen, problems)


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
    if question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        for choice in question.choices:
            _check_text(survey, choice.label, N_("the label of choice '{choice}' of question '{id}'"), question.line, problems, what_params={"choice": choice.id, "id": question.id})


def _check_bounds(question: Question, problems: ProblemList) -> None:
    low, high = question.min, question.max
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


def _check_expression(
    survey: Survey, question: Question, column: str, source: str | None, earlier: Mapping[str, Question], problems: ProblemList
) -> None:
    """Syntax first; then every ``${name}`` must be an earlier, answerable question."""
    if source is None:
        return
    try:
        tree = expressions.parse(source)
    except expressions.ExpressionError as error:
        problems.error(
            question.line, "bad-expression",
            N_("question '{id}': {column} '{source}' is not valid at character {position}: {reason}"),
            id=question.id, column=column, source=source, position=error.position + 1, reason=error.message.render(),
        )
        return
    for name in sorted(expressions.references(tree)):
        target = survey.question(name)
        if name == question.id:
            problems.error(
                question.line, "self-reference",
                N_("question '{id}': {column} refers to the question itself; use . for its own answer"),
                id=question.id, column=column,
            )
        elif target is None:
            problems.error(question.line, "unknown-reference", N_("question '{id}': {column} refers to unknown question '{name}'"), id=question.id, column=column, name=name)
        elif name not in earlier:
            problems.error(
                question.line, "later-reference",
                N_("question '{id}': {column} refers to '{name}', which is asked later"), id=question.id, column=column, name=name,
            )
        elif not target.waits_for_answer:
            problems.error(question.line, "note-reference", N_("question '{id}': {column} refers to note '{name}', which has no answer"), id=question.id, column=column, name=name)
    if column == "relevant" and expressions.uses_current(tree):
        problems.error(question.line, "current-in-relevant", N_("question '{id}': '.' has no value in relevant; refer to earlier questions with ${{name}}"), id=question.id)
