"""Writing each calculation (XLSForm ``calculate``) into the expressions that use it.

A calculation is a pure function of earlier answers, so ``${total} > 10`` means the same as
``(${a} + ${b}) > 10``. Substituting at load time, once the survey is valid, lets every
``relevant``, ``constraint`` and ``choice_filter`` be evaluated from the stored answers alone:
calculated values are never stored, cannot go stale when a participant goes back, and the
engine, the bot and ``consultbot try`` need nothing beyond the question and the answers.
A calculation that is not relevant is the empty string, as in ODK.
"""

from __future__ import annotations

import dataclasses

from surveys import expressions
from surveys.messages import N_
from surveys.model import Calculation, Question, Survey
from surveys.problems import ProblemList

__all__ = ["substitute_calculations"]


def substitute_calculations(survey: Survey, problems: ProblemList) -> Survey:
    """``survey`` with calculations written out in every expression that uses them.

    Args:
        survey: A survey that passed validation (every expression parses, references are
            to earlier questions or calculations).
        problems: Where to record an expression that becomes too long or too deep.

    Returns:
        The survey to publish; unchanged when it has no calculations.
    """
    if not survey.calculations:
        return survey
    replacements: dict[str, str] = {}
    calculations: list[Calculation] = []
    for calculation in survey.calculations:
        expression = _substitute(calculation.expression, replacements, calculation.id, calculation.line, "calculation", problems)
        relevant = _substitute(calculation.relevant, replacements, calculation.id, calculation.line, "relevant", problems)
        if expression is None:
            continue
        replacements[calculation.id] = f"if({relevant}, ({expression}), '')" if relevant else expression
        calculations.append(dataclasses.replace(calculation, expression=expression, relevant=relevant))
    questions = tuple(_question(question, replacements, problems) for question in survey.questions)
    return dataclasses.replace(survey, questions=questions, calculations=tuple(calculations))


def _question(question: Question, replacements: dict[str, str], problems: ProblemList) -> Question:
    def written_out(source: str | None, column: str) -> str | None:
        return _substitute(source, replacements, question.id, question.line, column, problems)

    return dataclasses.replace(
        question,
        relevant=written_out(question.relevant, "relevant"),
        constraint=written_out(question.constraint, "constraint"),
        choice_filter=written_out(question.choice_filter, "choice_filter"),
    )


def _substitute(source: str | None, replacements: dict[str, str], owner: str, line: int | None, column: str, problems: ProblemList) -> str | None:
    if source is None or "${" not in source:
        return source
    try:
        result = expressions.substitute(source, replacements)
        if column == "choice_filter":
            expressions.parse_choice_filter(result)
        else:
            expressions.parse(result)
    except expressions.ExpressionError as error:
        problems.error(
            line, "calculation-too-large",
            N_("question '{id}': {column} cannot use its calculations: {reason}"), id=owner, column=column, reason=error.message.render(),
        )
        return None
    return result
