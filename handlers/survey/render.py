"""What a survey looks like in the chat: question texts, keyboards, the review.

Pure functions of the survey, the answers and a translator, so the look of the survey can
be read (and changed) in one place. Button data comes from a ``make_data`` callable
(signed callback data bound to the participant, see :mod:`handlers.shared.buttons`).

All messages are sent as plain text (no Markdown/HTML parse mode): survey labels and
participants' answers are shown exactly as written, and nothing in them can break the
formatting or inject a link.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import Translator
from handlers.shared.button_data import AnswerOp
from handlers.shared.localized import format_day, format_number, isolate
from surveys.engine import available_choices, format_answer
from surveys.model import Answer, Answers, Question, QuestionType, Survey

__all__ = [
    "CHECK",
    "MAX_SCALE_BUTTONS",
    "MakeData",
    "answered_text",
    "mask_of",
    "question_keyboard",
    "question_text",
    "review_keyboard",
    "review_lines",
    "reviewed_questions",
    "selected_ids",
    "shown_answer",
]

#: Builds signed callback data from fields (see handlers.shared.buttons.pack).
MakeData = Callable[..., str]

CHECK = "✓"
#: A scale with more values than this is answered by typing the number: more buttons
#: would not fit on a phone screen (Telegram allows 8 per row).
MAX_SCALE_BUTTONS = 11
_ROW = 6


def _label(question: Question, language: str, survey: Survey) -> str:
    return question.label.get(language, survey.default_language)


def shown_answer(survey: Survey, question: Question, answer: Answer, language: str,
                 tr: Translator) -> str:
    """An answer as its reader reads it: choice labels in ``language``, numbers and dates
    in the reader's locale (babel), isolated so it keeps its direction in any sentence."""
    if question.type is QuestionType.NUMBER and isinstance(answer, (int, float)) \
            and not isinstance(answer, bool):
        text = format_number(answer, tr.language)
    elif question.type is QuestionType.DATE and isinstance(answer, str):
        text = format_day(answer, tr.language)
    else:
        text = format_answer(question, answer, language, survey.default_language)
    return isolate(text, tr.language)


def question_text(
    survey: Survey,
    question: Question,
    language: str,
    tr: Translator,
    current: Answer = None,
    has_current: bool = False,
) -> str:
    """The message asking ``question``: position, label, hint, how to answer."""
    _ = tr.gettext
    asked = [q for q in survey.questions if q.waits_for_answer]
    lines = [_label(question, language, survey)]
    if question.type is QuestionType.NOTE:
        if question.hint:
            lines.append(question.hint.get(language, survey.default_language))
        return "\n\n".join(lines)
    if question in asked:
        header = _("{title} · question {number} of {total}").format(
            title=isolate(survey.title.get(language, survey.default_language), tr.language),
            number=asked.index(question) + 1,
            total=len(asked),
        )
        lines.insert(0, header)
    if question.hint:
        lines.append(question.hint.get(language, survey.default_language))
    lines.append(_instruction(question, tr))
    if has_current:
        lines.append(_("Your current answer: {answer}").format(
            answer=shown_answer(survey, question, current, language, tr)))
    return "\n\n".join(lines)


def _instruction(question: Question, tr: Translator) -> str:
    _ = tr.gettext
    match question.type:
        case QuestionType.SINGLE:
            text = _("Choose one answer.")
        case QuestionType.MULTI:
            text = _("Choose all that apply, then press Done.")
        case QuestionType.SCALE:
            if _scale_values(question) is None:
                text = _("Type a whole number from {min} to {max}.").format(
                    min=question.min, max=question.max)
            else:
                text = _("Choose a number from {min} to {max}.").format(
                    min=question.min, max=question.max)
        case QuestionType.NUMBER:
            text = _("Type a number.")
        case QuestionType.DATE:
            text = _("Type a date as YYYY-MM-DD, for example 2026-03-31.")
        case _:
            text = _("Type your answer.")
    if not question.required:
        text += " " + _("(optional: you can press Skip)")
    return text


def _scale_values(question: Question) -> list[int] | None:
    if question.min is None or question.max is None:
        return None
    low, high = int(question.min), int(question.max)
    if high < low or high - low + 1 > MAX_SCALE_BUTTONS:
        return None
    return list(range(low, high + 1))


def mask_of(question: Question, answer: Answer) -> int:
    """The multi-select answer as a bit mask over the choices (bit i = choice i)."""
    chosen = set(answer) if isinstance(answer, tuple) else set()
    return sum(1 << i for i, choice in enumerate(question.choices) if choice.id in chosen)


def selected_ids(question: Question, mask: int) -> tuple[str, ...]:
    """The choice ids a bit mask selects, in the survey's order."""
    return tuple(choice.id for i, choice in enumerate(question.choices) if mask >> i & 1)


def question_keyboard(
    survey: Survey,
    question: Question,
    language: str,
    tr: Translator,
    make_data: MakeData,
    *,
    current: Answer = None,
    has_current: bool = False,
    mask: int | None = None,
    first: bool = False,
    answers: Answers | None = None,
) -> InlineKeyboardMarkup | None:
    """Buttons for ``question``: choices, then Back / Skip / Keep as they apply.

    Args:
        make_data: ``make_data(op, arg)`` returns the callback data for this question.
        current: The stored answer, marked with a check mark.
        has_current: Whether there is a stored answer (``None`` is a stored "skipped").
        mask: For multi-select, the selection being built (defaults to ``current``).
        first: The first question has no Back button.
        answers: The answers so far: a ``choice_filter`` offers only the choices they allow
            (buttons keep each choice's position in the full list as their value).
    """
    _ = tr.gettext
    rows: list[list[InlineKeyboardButton]] = []
    offered = {choice.id for choice in available_choices(question, answers or {})}
    if question.type is QuestionType.SINGLE:
        for index, choice in enumerate(question.choices):
            if choice.id not in offered:
                continue
            label = choice.label.get(language, survey.default_language)
            if has_current and current == choice.id:
                label = f"{CHECK} {label}"
            rows.append([InlineKeyboardButton(label, callback_data=make_data(AnswerOp.VALUE, index))])
    elif question.type is QuestionType.MULTI:
        selection = mask_of(question, current) if mask is None else mask
        for index, choice in enumerate(question.choices):
            if choice.id not in offered:
                continue
            label = choice.label.get(language, survey.default_language)
            if selection >> index & 1:
                label = f"{CHECK} {label}"
            toggled = format(selection ^ (1 << index), "x")
            rows.append([InlineKeyboardButton(label, callback_data=make_data(AnswerOp.TOGGLE, toggled))])
        rows.append([InlineKeyboardButton(_("Done"), callback_data=make_data(AnswerOp.DONE, format(selection, "x")))])
    elif question.type is QuestionType.SCALE and (values := _scale_values(question)):
        buttons = [
            InlineKeyboardButton(
                f"{CHECK}{value}" if has_current and current == value else str(value),
                callback_data=make_data(AnswerOp.VALUE, value),
            )
            for value in values
        ]
        per_row = len(buttons) if len(buttons) <= 8 else _ROW
        rows.extend(buttons[i:i + per_row] for i in range(0, len(buttons), per_row))
    navigation: list[InlineKeyboardButton] = []
    if not first:
        navigation.append(InlineKeyboardButton(_("« Back"), callback_data=make_data(AnswerOp.BACK, "")))
    if not question.required:
        navigation.append(InlineKeyboardButton(_("Skip"), callback_data=make_data(AnswerOp.SKIP, "")))
    if has_current and question.type in (QuestionType.TEXT, QuestionType.NUMBER,
                                         QuestionType.DATE, QuestionType.SCALE):
        navigation.append(InlineKeyboardButton(_("Keep answer"), callback_data=make_data(AnswerOp.KEEP, "")))
    if navigation:
        rows.append(navigation)
    return InlineKeyboardMarkup(rows) if rows else None


def answered_text(survey: Survey, question: Question, language: str, tr: Translator,
                  answer: Answer) -> str:
    """The question message once answered: the label and what was recorded."""
    _ = tr.gettext
    shown = shown_answer(survey, question, answer, language, tr)
    if answer is None or answer == ():
        shown = _("skipped")
    return f"{_label(question, language, survey)}\n\n{CHECK} {shown}"


def reviewed_questions(survey: Survey, answers: Mapping[str, Answer]) -> list[Question]:
    """The questions a review lists, in order: answered (or skipped) ones that wait for input.

    The review numbers them, and its "Change N" buttons refer to this list.
    """
    return [q for q in survey.questions if q.waits_for_answer and q.id in answers]


def review_lines(survey: Survey, answers: Mapping[str, Answer], language: str,
                 tr: Translator, *, numbered: bool = False) -> list[str]:
    """One line per answered question, in survey order: ``label`` then the answer."""
    _ = tr.gettext
    lines = []
    for number, question in enumerate(reviewed_questions(survey, answers), start=1):
        answer = answers[question.id]
        shown = (_("skipped") if answer is None or answer == ()
                 else shown_answer(survey, question, answer, language, tr))
        bullet = f"{number}." if numbered else "•"
        lines.append(f"{bullet} {_label(question, language, survey)}\n  {shown}")
    return lines


def review_keyboard(survey: Survey, listed: list[Question], tr: Translator,
                    make_data: MakeData) -> InlineKeyboardMarkup:
    """Submit, "Change N" for each numbered answer of the review, and Back.

    "Change" buttons carry the question's position in the survey (not in the review), so
    a button of an older review can never change a different question.
    """
    _ = tr.gettext
    rows = [[InlineKeyboardButton(_("Submit"), callback_data=make_data("submit"))]]
    changes = [InlineKeyboardButton(_("Change {number}").format(number=number),
                                    callback_data=make_data(f"c{survey.index_of(question.id)}"))
               for number, question in enumerate(listed, start=1)]
    rows.extend(changes[i:i + 4] for i in range(0, len(changes), 4))
    rows.append([InlineKeyboardButton(_("« Back"), callback_data=make_data("back"))])
    return InlineKeyboardMarkup(rows)
