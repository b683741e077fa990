"""Reading an XLSForm workbook (``survey``, ``choices``, ``settings`` sheets).

The workbook is read with pyxform's own reader (``xlsx_to_dict``), so cells are cleaned
exactly as KoboToolbox/ODK tools clean them; consultbot then maps the rows onto its own
model. Row numbers are the spreadsheet's: the header is row 1, the first question row 2.

Groups (``begin group`` / ``end group``) are flattened: their questions are asked in
order, and a group's ``relevant`` is combined with each question's own. ``calculate`` rows
become :class:`~surveys.model.Calculation` values and ``choice_filter`` selects the
choices offered (cascading selects). What consultbot cannot do (repeats, locations, media
and files, ``or_other`` …) is refused with the row and the feature, never dropped;
metadata fields (``start``, ``deviceid`` …) are ignored with a warning, since consultbot
never collects them. The archive is checked against :mod:`surveys.limits` before pyxform
opens it (:mod:`surveys.xlsx_check`).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import xlsx_to_dict

from surveys.limits import MAX_NESTING, MAX_NUMBER
from surveys.messages import N_
from surveys.model import Calculation, Choice, Question, QuestionType, Survey, Text
from surveys.problems import ProblemList
from surveys.xlsx_check import check_archive
from surveys.yaml_loader import DraftSurvey

__all__ = ["read_xlsform"]

Row = Mapping[str, str]
_FIRST_DATA_ROW = 2

_SIMPLE_TYPES: Mapping[str, tuple[QuestionType, bool]] = {
    "text": (QuestionType.TEXT, False),
    "integer": (QuestionType.NUMBER, True),
    "int": (QuestionType.NUMBER, True),
    "decimal": (QuestionType.NUMBER, False),
    "date": (QuestionType.DATE, False),
    "note": (QuestionType.NOTE, False),
    "range": (QuestionType.SCALE, False),
}
_SELECT = re.compile(r"(select_one|select one|select_multiple|select all that apply)\s+(\S+)")
_METADATA = frozenset(
    {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email", "audit", "start-geopoint"}
)
#: Row types consultbot cannot ask in a chat: refused with the row, never dropped.
_UNSUPPORTED_TYPES = frozenset(
    {
        "begin repeat", "begin_repeat", "end repeat", "end_repeat", "geopoint", "geotrace", "geoshape",
        "image", "audio", "video", "file", "barcode", "background-audio", "background-geopoint", "rank",
        "acknowledge", "hidden", "trigger", "time", "datetime", "xml-external", "csv-external",
        "select_one_from_file", "select_multiple_from_file",
    }
)
#: Columns that would change what is asked or stored if dropped: refused where a question
#: row uses them (``calculation`` is only for ``calculate`` rows).
_UNSUPPORTED_COLUMNS = ("repeat_count", "trigger", "read_only", "calculation")
#: Columns about presentation only: ignored with a warning.
_IGNORED_COLUMNS = ("appearance", "default", "required_message", "image", "audio", "video", "media")
#: Columns of the choices sheet that are not properties a choice_filter can read.
_CHOICE_COLUMNS = frozenset({"list_name", "list name", "name", "label", "image", "audio", "video", "media"})
_LANGUAGE_IN_PARENS = re.compile(r".*\(([^()]+)\)\s*")
_YES = frozenset({"yes", "true", "1", "true()"})
_NO = frozenset({"no", "false", "0", "false()", ""})


@dataclass(slots=True)
class _Group:
    row: int
    relevant: str | None


@dataclass(slots=True)
class _Context:
    """State of one workbook read: problems, languages, choice lists, open groups."""

    problems: ProblemList
    default_language: str
    lists: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    groups: list[_Group] = field(default_factory=list)
    calculations: list[Calculation] = field(default_factory=list)
    questions: int = 0


def read_xlsform(data: bytes, filename: str) -> tuple[DraftSurvey | None, ProblemList]:
    """Parse an XLSForm workbook into a draft survey, collecting problems on the way."""
    problems = ProblemList(filename, "row")
    if not check_archive(data, problems):
        return None, problems
    book = _read_workbook(data, problems)
    if book is None:
        return None, problems
    survey_rows: list[Row] = book.get("survey") or []
    if "survey" not in book:
        problems.error(None, "missing-sheet", N_("the workbook has no 'survey' sheet"))
        return None, problems
    settings: Row = (book.get("settings") or [{}])[0]
    headers = _headers(book, "survey") + _headers(book, "choices")
    languages = _languages(headers, settings, problems)
    context = _Context(problems, languages[0])
    context.lists = _choice_lists(book.get("choices") or [], context)
    _warn_ignored_columns(_headers(book, "survey"), problems)
    questions = tuple(_questions(survey_rows, context))
    for group in context.groups:
        problems.error(group.row, "unclosed-group", N_("'begin group' on this row has no matching 'end group'"))
    survey = Survey(
        id=settings.get("form_id") or _fallback_id(filename),
        title=_title(settings, context) or Text({languages[0]: settings.get("form_id") or Path(filename).stem}),
        languages=languages,
        questions=questions,
        calculations=tuple(context.calculations),
    )
    settings_row = _FIRST_DATA_ROW if "settings" in book else None
    locations: dict[str, int | None] = {"id": settings_row, "title": settings_row, "languages": settings_row, "questions": 1}
    translated_title = any(column.startswith("form_title::") for column in _headers(book, "settings"))
    return DraftSurvey(survey, locations, title_translatable=translated_title), problems


def _read_workbook(data: bytes, problems: ProblemList) -> dict[str, list[Row]] | None:
    try:
        book: dict[str, list[Row]] = xlsx_to_dict(io.BytesIO(data))
        return book
    except PyXFormError as error:
        problems.error(None, "unreadable-workbook", N_("cannot read the workbook: {reason}"), reason=str(error))
    except Exception as error:  # noqa: BLE001 - any corrupt upload must become a message, not a crash
        problems.error(None, "unreadable-workbook", N_("cannot read the workbook: {reason}"), reason=type(error).__name__)
    return None


def _headers(book: Mapping[str, object], sheet: str) -> list[str]:
    header_rows = book.get(f"{sheet}_header") or [{}]
    return list(header_rows[0])  # type: ignore[index]  # pyxform returns untyped nested lists


def _language_of(column: str) -> str | None:
    """``label::English (en)`` -> ``en``; ``label::fr`` -> ``fr``; ``label`` -> ``None``."""
    if "::" not in column:
        return None
    language = column.split("::", 1)[1].strip()
    if match := _LANGUAGE_IN_PARENS.fullmatch(language):
        return match.group(1).strip()
    return language


def _languages(headers: list[str], settings: Row, problems: ProblemList) -> tuple[str, ...]:
    found: list[str] = []
    for column in headers:
        base = column.split("::", 1)[0].strip()
        language = _language_of(column)
        if base in ("label", "hint", "constraint_message") and language and language not in found:
            found.append(language)
    default_setting = settings.get("default_language")
    if default_setting:
        default = _language_of(f"x::{default_setting}") or default_setting
    elif found:
        default = found[0]
    else:
        default = "en"
        problems.warning(None, "assumed-language", N_("no default_language in the settings sheet and no label::language columns: assuming English (en)"))
    return (default, *(language for language in found if language != default))


def _text(row: Row, column: str, default_language: str) -> Text | None:
    """The translations of ``column`` in ``row``; the plain column is the default language."""
    translations: dict[str, str] = {}
    if row.get(column):
        translations[default_language] = row[column]
    for key, value in row.items():
        if key.split("::", 1)[0].strip() == column and (language := _language_of(key)) and value:
            translations.setdefault(language, value)
    return Text(translations) if translations else None


def _title(settings: Row, context: _Context) -> Text | None:
    """``form_title`` (plus ``form_title::Language (xx)``, a consultbot extension pyxform rejects)."""
    return _text(settings, "form_title", context.default_language)


def _fallback_id(filename: str) -> str:
    """Like pyxform, a form without ``form_id`` is named after its file."""
    return Path(filename).stem


def _choice_lists(rows: list[Row], context: _Context) -> dict[str, tuple[Choice, ...]]:
    lists: dict[str, list[Choice]] = {}
    for index, row in enumerate(rows):
        if not row:
            continue
        number = index + _FIRST_DATA_ROW
        list_name, name = row.get("list_name") or row.get("list name"), row.get("name")
        if not list_name or not name:
            context.problems.error(number, "incomplete-choice", N_("choices sheet: every row needs a list_name and a name"))
            continue
        choices = lists.setdefault(list_name, [])
        if any(choice.id == name for choice in choices):
            context.problems.error(number, "duplicate-choice", N_("choices sheet: duplicate choice name '{name}' in list '{list}'"), name=name, list=list_name)
            continue
        label = _text(row, "label", context.default_language)
        if label is None:
            context.problems.error(number, "missing-label", N_("choices sheet: choice '{name}' of list '{list}' has no label"), name=name, list=list_name)
            label = Text({context.default_language: name})
        properties = {key: value for key, value in row.items() if key.split("::", 1)[0].strip() not in _CHOICE_COLUMNS and value}
        choices.append(Choice(name, label, properties))
    return {name: tuple(choices) for name, choices in lists.items()}


def _warn_ignored_columns(headers: list[str], problems: ProblemList) -> None:
    for column in headers:
        if column.split("::", 1)[0].strip() in _IGNORED_COLUMNS:
            problems.warning(1, "ignored-column", N_("column '{column}' is not used by consultbot and is ignored"), column=column)


def _refuse_unsupported_columns(row: Row, number: int, problems: ProblemList) -> None:
    for column in _UNSUPPORTED_COLUMNS:
        value = row.get(column, "").strip().lower()
        if value and value not in _NO:
            problems.error(number, "unsupported-column", N_("column '{column}' is not supported by consultbot; remove it from this row"), column=column)


def _questions(rows: list[Row], context: _Context) -> Iterator[Question]:
    for index, row in enumerate(rows):
        if not row:
            continue
        number = index + _FIRST_DATA_ROW
        kind = " ".join(row.get("type", "").split())
        if not kind:
            context.problems.error(number, "missing-type", N_("the row has no type"))
        elif kind in ("begin group", "begin_group"):
            if len(context.groups) >= MAX_NESTING:
                context.problems.error(number, "too-deep", N_("groups are nested more than {limit} levels deep"), limit=MAX_NESTING)
            context.groups.append(_Group(number, row.get("relevant") or None))
        elif kind in ("end group", "end_group"):
            if not context.groups:
                context.problems.error(number, "unmatched-group", N_("'end group' without a matching 'begin group'"))
            else:
                context.groups.pop()
        elif kind in _METADATA:
            context.problems.warning(number, "ignored-metadata", N_("metadata type '{type}' is ignored: consultbot does not collect it"), type=kind)
        elif kind in _UNSUPPORTED_TYPES or (kind.split() or [""])[0] in _UNSUPPORTED_TYPES or kind.endswith("or_other"):
            context.problems.error(
                number, "unsupported-type",
                N_("type '{type}' is not supported by consultbot (no repeats, locations, media, files, times or 'or_other'); remove the row or change its type"),
                type=kind,
            )
        elif kind == "calculate":
            _calculation(row, number, context)
        elif (question := _question(row, kind, number, context)) is not None:
            context.questions += 1
            yield question


def _calculation(row: Row, number: int, context: _Context) -> None:
    name, expression = row.get("name"), row.get("calculation")
    if not name or not expression:
        context.problems.error(number, "incomplete-calculation", N_("a calculate row needs a name and a calculation"))
        return
    relevant = _relevant(row.get("relevant") or None, context)
    context.calculations.append(Calculation(name, expression, context.questions, relevant, number))


def _question(row: Row, kind: str, number: int, context: _Context) -> Question | None:
    problems = context.problems
    name = row.get("name")
    if not name:
        problems.error(number, "missing-name", N_("the row has type '{type}' but no name"), type=kind)
        return None
    _refuse_unsupported_columns(row, number, problems)
    question_type, integer, choices = _type(kind, name, number, context)
    values: dict[str, object] = {}
    if question_type is QuestionType.SCALE:
        values.update(_range_parameters(row.get("parameters", ""), name, number, problems))
    return Question(
        id=name,
        type=question_type,
        label=_text(row, "label", context.default_language) or Text({}),
        hint=_text(row, "hint", context.default_language),
        choices=choices,
        required=_required(row.get("required", ""), name, number, problems),
        relevant=_relevant(row.get("relevant") or None, context),
        constraint=row.get("constraint") or None,
        constraint_message=_text(row, "constraint_message", context.default_language),
        integer=integer,
        line=number,
        choice_filter=row.get("choice_filter") or None,
        **values,  # type: ignore[arg-type]  # values holds min/max with their field types
    )


def _type(kind: str, name: str, number: int, context: _Context) -> tuple[QuestionType, bool, tuple[Choice, ...]]:
    if kind in _SIMPLE_TYPES:
        question_type, integer = _SIMPLE_TYPES[kind]
        return question_type, integer, ()
    if select := _SELECT.fullmatch(kind):
        question_type = QuestionType.SINGLE if select.group(1) in ("select_one", "select one") else QuestionType.MULTI
        list_name = select.group(2)
        if list_name not in context.lists:
            context.problems.error(
                number, "unknown-choice-list",
                N_("question '{name}' uses choice list '{list}', which is not in the choices sheet"), name=name, list=list_name,
            )
            return question_type, False, ()
        return question_type, False, context.lists[list_name]
    context.problems.error(
        number, "unknown-type",
        N_("question '{name}' has type '{type}', which consultbot does not support (use select_one, select_multiple, range, integer, decimal, text, date or note)"),
        name=name, type=kind,
    )
    return QuestionType.TEXT, False, ()


def _required(value: str, name: str, number: int, problems: ProblemList) -> bool:
    """XLSForm questions are optional unless ``required`` says yes."""
    if value.strip().lower() in _YES:
        return True
    if value.strip().lower() not in _NO:
        problems.error(number, "bad-required", N_("question '{name}': required must be yes or no, not '{value}'"), name=name, value=value)
    return False


def _relevant(own: str | None, context: _Context) -> str | None:
    """A flattened question is relevant only when all its enclosing groups are."""
    conditions = [group.relevant for group in context.groups if group.relevant] + ([own] if own else [])
    if len(conditions) <= 1:
        return conditions[0] if conditions else None
    return " and ".join(f"({condition})" for condition in conditions)


def _range_parameters(text: str, name: str, number: int, problems: ProblemList) -> dict[str, int | float]:
    """``start=1 end=5 step=1``; missing parameters take XLSForm's defaults (1, 10, 1).

    Kobo's form builder writes ``range`` rows with no parameters or only some of them.
    """
    values: dict[str, float] = {"start": 1.0, "end": 10.0, "step": 1.0}
    for part in filter(None, re.split(r"[\s;,]+", text.strip())):
        key, _, raw = part.partition("=")
        try:
            if key.strip() not in values:
                raise ValueError(key)
            value = float(raw)
            if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                raise ValueError(raw)
            values[key.strip()] = value
        except ValueError:
            problems.error(number, "bad-parameters", N_("question '{name}': parameters '{text}' should look like start=1 end=5 step=1"), name=name, text=text)
            return {"min": 1, "max": 10}
    if values["step"] != 1:
        problems.error(number, "bad-parameters", N_("question '{name}': a range must have step=1 to be shown as buttons"), name=name)
    return {key: int(value) if value.is_integer() else value for key, value in (("min", values["start"]), ("max", values["end"]))}
