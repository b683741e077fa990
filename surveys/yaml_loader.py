"""Reading a YAML survey definition (README.md, "Survey files") into a draft survey.

The file is *composed* (not loaded) with PyYAML so every node keeps its line number;
values are then read from the nodes directly. That also sidesteps YAML 1.1 surprises:
a choice id ``no`` stays the string ``"no"`` instead of becoming ``False``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from surveys.limits import MAX_NUMBER
from surveys.messages import N_
from surveys.model import Calculation, Choice, Question, QuestionType, Survey, Text
from surveys.problems import ProblemList
from surveys.yaml_reader import SurveyYamlLoader, YamlLimitError

__all__ = ["DraftSurvey", "read_yaml"]

_SURVEY_KEYS = frozenset({"id", "title", "languages", "questions", "choice_lists", "description"})
_QUESTION_KEYS = frozenset(
    {
        "id", "type", "label", "hint", "choices", "required", "relevant", "constraint", "constraint_message",
        "min", "max", "integer", "max_length", "choice_filter",
    }
)
#: ``type: calculate`` items have only these keys; they are never asked.
_CALCULATION_KEYS = frozenset({"id", "type", "calculation", "relevant"})
#: Extra keys of a choice are its properties, read by ``choice_filter``.
_PROPERTY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


@dataclass(frozen=True, slots=True)
class DraftSurvey:
    """What a loader produced: a survey to validate, and where its header fields were."""

    survey: Survey
    locations: Mapping[str, int | None]
    #: XLSForm has no translated form title: missing title translations are then no news.
    title_translatable: bool = True


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Reads values out of YAML nodes, recording a problem for each misfit."""

    __slots__ = ("default_language", "problems")

    def __init__(self, problems: ProblemList) -> None:
        self.problems = problems
        self.default_language = "en"

    def mapping(self, node: Node, what: str, allowed: frozenset[str] | None = None) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            self.problems.error(_line(node), "not-a-mapping", N_("{what} must be a mapping of keys to values"), what=what)
            return {}
        entries: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else str(key_node.value)
            if key in entries:
                self.problems.error(_line(key_node), "duplicate-key", N_("key '{key}' appears twice in {what}"), key=key, what=what)
            elif allowed is not None and key not in allowed:
                self.problems.error(
                    _line(key_node), "unknown-key",
                    N_("unknown key '{key}' in {what} (expected one of: {allowed})"), key=key, what=what, allowed=", ".join(sorted(allowed)),
                )
            else:
                entries[key] = (key_node, value_node)
        return entries

    def sequence(self, node: Node, what: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.problems.error(_line(node), "not-a-list", N_("{what} must be a list"), what=what)
            return []
        return list(node.value)

    def string(self, node: Node, what: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.problems.error(_line(node), "not-a-string", N_("{what} must be a single value"), what=what)
            return None
        return str(node.value).strip()

    def number(self, node: Node, what: str) -> int | float | None:
        text = self.string(node, what)
        if text is None:
            return None
        value: int | float
        try:
            value = int(text) if len(text) <= 30 else float(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                self.problems.error(_line(node), "not-a-number", N_("{what} must be a number, not '{value}'"), what=what, value=text)
                return None
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            self.problems.error(_line(node), "number-out-of-range", N_("{what} must be a number from -{limit} to {limit}, not '{value}'"), what=what, limit=MAX_NUMBER, value=text)
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool | None:
        text = self.string(node, what)
        if text is None:
            return None
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        self.problems.error(_line(node), "not-a-boolean", N_("{what} must be true or false, not '{value}'"), what=what, value=text)
        return None

    def text(self, node: Node, what: str) -> Text:
        """A plain string (default language) or a mapping language -> string."""
        if isinstance(node, ScalarNode):
            value = self.string(node, what)
            return Text({self.default_language: value} if value else {})
        translations: dict[str, str] = {}
        for language, (_key, value_node) in self.mapping(node, what).items():
            value = self.string(value_node, what)
            if value:
                translations[language] = value
        return Text(translations)


def read_yaml(data: bytes, filename: str) -> tuple[DraftSurvey | None, ProblemList]:
    """Parse ``data`` and build a draft survey, collecting problems on the way.

    Returns:
        The draft (``None`` when the file is not usable YAML at all) and the problems.
    """
    problems = ProblemList(filename, "line")
    root = _compose(data, problems)
    if root is None:
        return None, problems
    reader = _Reader(problems)
    top = reader.mapping(root, N_("the survey"), _SURVEY_KEYS)
    languages = _languages(reader, top.get("languages"), _line(root))
    reader.default_language = languages[0]
    survey_id = reader.string(top["id"][1], "id") if "id" in top else None
    if "id" not in top:
        problems.error(_line(root), "missing-key", N_("the survey has no '{key}'"), key="id")
    if "title" not in top:
        problems.error(_line(root), "missing-key", N_("the survey has no '{key}'"), key="title")
    title = reader.text(top["title"][1], "title") if "title" in top else Text({})
    lists = _choice_lists(reader, top.get("choice_lists"))
    questions, calculations = _questions(reader, top.get("questions"), lists, _line(root))
    survey = Survey(id=survey_id or "", title=title, languages=languages, questions=questions, calculations=calculations)
    locations = {key: _line(top[key][0]) if key in top else _line(root) for key in ("id", "title", "languages", "questions")}
    return DraftSurvey(survey, locations), problems


def _compose(data: bytes, problems: ProblemList) -> Node | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.error(None, "not-utf8", N_("the file is not UTF-8 text (byte {position})"), position=error.start)
        return None
    try:
        root = yaml.compose(text, Loader=SurveyYamlLoader)
    except YamlLimitError as error:
        mark = error.problem_mark
        problems.error(mark.line + 1 if mark else None, error.code, error.message.template, **error.message.params)
        return None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        reason = error.problem or error.context or "?"
        if "flow" in str(error.context or ""):
            # E.g. {en: Yes, but: no}: the usual fix is quoting.
            problems.error(line, "yaml-syntax", N_("YAML syntax error: {reason}; inside {{...}} put texts containing ',' or ': ' in quotes"), reason=reason)
        else:
            problems.error(line, "yaml-syntax", N_("YAML syntax error: {reason}"), reason=reason)
        return None
    except yaml.YAMLError as error:
        problems.error(None, "yaml-syntax", N_("YAML syntax error: {reason}"), reason=str(error))
        return None
    if root is None:
        problems.error(None, "empty-file", N_("the file is empty"))
    return root


def _languages(reader: _Reader, entry: tuple[Node, Node] | None, root_line: int) -> tuple[str, ...]:
    if entry is None:
        reader.problems.error(root_line, "missing-key", N_("the survey has no '{key}'"), key="languages")
        return ("en",)
    languages = tuple(filter(None, (reader.string(node, "a language") for node in reader.sequence(entry[1], "languages"))))
    if not languages:
        reader.problems.error(_line(entry[1]), "no-languages", N_("languages must list at least one language code, the default first"))
        return ("en",)
    return languages


def _choice_lists(reader: _Reader, entry: tuple[Node, Node] | None) -> dict[str, tuple[Choice, ...]]:
    if entry is None:
        return {}
    return {name: _choices(reader, node, name) for name, (_key, node) in reader.mapping(entry[1], "choice_lists").items()}


def _questions(
    reader: _Reader, entry: tuple[Node, Node] | None, lists: dict[str, tuple[Choice, ...]], root_line: int
) -> tuple[tuple[Question, ...], tuple[Calculation, ...]]:
    """The questions, and the calculations between them (``type: calculate``)."""
    if entry is None:
        reader.problems.error(root_line, "missing-key", N_("the survey has no '{key}'"), key="questions")
        return (), ()
    questions: list[Question] = []
    calculations: list[Calculation] = []
    for node in reader.sequence(entry[1], "questions"):
        if _is_calculation(node):
            calculation = _calculation(reader, node, len(questions))
            if calculation is not None:
                calculations.append(calculation)
        elif (question := _question(reader, node, lists)) is not None:
            questions.append(question)
    return tuple(questions), tuple(calculations)


def _is_calculation(node: Node) -> bool:
    return isinstance(node, MappingNode) and any(
        isinstance(key, ScalarNode) and key.value == "type" and isinstance(value, ScalarNode) and value.value == "calculate"
        for key, value in node.value
    )


def _calculation(reader: _Reader, node: Node, position: int) -> Calculation | None:
    fields = reader.mapping(node, N_("a calculation"), _CALCULATION_KEYS)
    line = _line(node)
    if "id" not in fields or "calculation" not in fields:
        reader.problems.error(line, "missing-key", N_("a calculation needs an 'id' and a 'calculation'"))
        return None
    calculation_id = reader.string(fields["id"][1], "id") or ""
    expression = reader.string(fields["calculation"][1], f"calculation of '{calculation_id}'") or ""
    relevant = (reader.string(fields["relevant"][1], f"relevant of '{calculation_id}'") or None) if "relevant" in fields else None
    return Calculation(calculation_id, expression, position, relevant, line)


def _question(reader: _Reader, node: Node, lists: dict[str, tuple[Choice, ...]]) -> Question | None:
    fields = reader.mapping(node, N_("a question"), _QUESTION_KEYS)
    line = _line(node)
    if "id" not in fields:
        reader.problems.error(line, "missing-key", N_("a question has no 'id'"))
        return None
    question_id = reader.string(fields["id"][1], "id") or ""
    what = f"question '{question_id}'"
    question_type = _type(reader, fields, what, line)
    values: dict[str, object] = {}
    for key in ("min", "max"):
        if key in fields:
            values[key] = reader.number(fields[key][1], f"{key} of {what}")
    for key in ("required", "integer"):
        if key in fields:
            flag = reader.boolean(fields[key][1], f"{key} of {what}")
            if flag is not None:
                values[key] = flag
    if "max_length" in fields:
        length = reader.number(fields["max_length"][1], f"max_length of {what}")
        if length is not None and length != int(length):
            reader.problems.error(_line(fields["max_length"][1]), "bad-max-length", N_("question '{id}': max_length must be a whole number"), id=question_id)
        values["max_length"] = int(length) if length is not None else None
    for key in ("relevant", "constraint", "choice_filter"):
        if key in fields:
            values[key] = reader.string(fields[key][1], f"{key} of {what}") or None
    for key in ("hint", "constraint_message"):
        if key in fields:
            values[key] = reader.text(fields[key][1], f"{key} of {what}")
    label = reader.text(fields["label"][1], f"label of {what}") if "label" in fields else Text({})
    choices = _question_choices(reader, fields, question_type, what, lists, line)
    return Question(id=question_id, type=question_type, label=label, choices=choices, line=line, **values)  # type: ignore[arg-type]  # values holds each key with its field's type


def _type(reader: _Reader, fields: dict[str, tuple[Node, Node]], what: str, line: int) -> QuestionType:
    if "type" not in fields:
        reader.problems.error(line, "missing-key", N_("{what} has no 'type'"), what=what)
        return QuestionType.TEXT
    name = reader.string(fields["type"][1], f"type of {what}") or ""
    try:
        return QuestionType(name)
    except ValueError:
        reader.problems.error(
            _line(fields["type"][1]), "unknown-type",
            N_("{what} has unknown type '{type}' (expected one of: {types})"), what=what, type=name, types=", ".join(t.value for t in QuestionType),
        )
        return QuestionType.TEXT


def _question_choices(
    reader: _Reader, fields: dict[str, tuple[Node, Node]], question_type: QuestionType, what: str, lists: dict[str, tuple[Choice, ...]], line: int
) -> tuple[Choice, ...]:
    if question_type not in (QuestionType.SINGLE, QuestionType.MULTI):
        if "choices" in fields:
            reader.problems.error(_line(fields["choices"][0]), "choices-not-allowed", N_("{what} is not a single or multi question and cannot have choices"), what=what)
        return ()
    if "choices" not in fields:
        reader.problems.error(line, "empty-choices", N_("{what} has no choices"), what=what)
        return ()
    node = fields["choices"][1]
    if isinstance(node, ScalarNode):
        name = node.value
        if name not in lists:
            reader.problems.error(_line(node), "unknown-choice-list", N_("{what} uses unknown choice list '{list}'"), what=what, list=name)
            return ()
        return lists[name]
    return _choices(reader, node, what)


def _choices(reader: _Reader, node: Node, what: str) -> tuple[Choice, ...]:
    choices: list[Choice] = []
    for item in reader.sequence(node, f"the choices of {what}"):
        fields = reader.mapping(item, f"a choice of {what}")
        if "id" not in fields or "label" not in fields:
            reader.problems.error(_line(item), "missing-key", N_("each choice of {what} needs an id and a label"), what=what)
            continue
        choice_id = reader.string(fields["id"][1], "choice id") or ""
        if any(choice.id == choice_id for choice in choices):
            reader.problems.error(_line(item), "duplicate-choice", N_("duplicate choice id '{choice}' in {what}"), choice=choice_id, what=what)
            continue
        properties = _properties(reader, fields, choice_id)
        choices.append(Choice(choice_id, reader.text(fields["label"][1], f"label of choice '{choice_id}'"), properties))
    if not choices and isinstance(node, SequenceNode) and not node.value:
        reader.problems.error(_line(node), "empty-choices", N_("{what} has no choices"), what=what)
    return tuple(choices)


def _properties(reader: _Reader, fields: Mapping[str, tuple[Node, Node]], choice_id: str) -> dict[str, str]:
    """Keys of a choice besides ``id`` and ``label``: values a ``choice_filter`` can read."""
    properties: dict[str, str] = {}
    for key, (key_node, value_node) in fields.items():
        if key in ("id", "label", "name"):
            continue
        if not _PROPERTY.fullmatch(key):
            reader.problems.error(_line(key_node), "bad-choice-property", N_("choice '{choice}': '{key}' is not a usable column name (letters, digits, '_' and '-')"), choice=choice_id, key=key)
            continue
        value = reader.string(value_node, f"{key} of choice '{choice_id}'")
        if value is not None:
            properties[key] = value
    return properties
