"""Random survey files, valid and broken, for the survey fuzz tests and ``bench.fuzz_surveys``.

Each file is built from random rows (questions, choices, calculations, groups) whose fields
are drawn from a mix of good values and the values that broke consultbot before: huge and
non-finite numbers, deep or malformed expressions, references to later or unknown
questions, over-long labels, duplicate ids, unsupported XLSForm types. The same rows are
written either as YAML or as an XLSForm workbook, so both loaders see the same cases.

Everything comes from one ``random.Random``: a seed reproduces a file exactly.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from typing import Any

import yaml
from openpyxl import Workbook

__all__ = ["GeneratedFile", "generate_survey_file", "random_expression"]

_TYPES = ("single", "multi", "scale", "text", "number", "date", "note", "calculate")
_XLSFORM_TYPES = {
    "single": "select_one {list}", "multi": "select_multiple {list}", "scale": "range", "text": "text",
    "number": "integer", "date": "date", "note": "note", "calculate": "calculate",
}
_ODD_XLSFORM_TYPES = ("geopoint", "begin repeat", "image", "time", "select_one_from_file a.csv", "decimal", "int",
                      "select one {list}", "select_one {list} or_other", "start", "deviceid", "acknowledge", "")
_NUMBERS: tuple[object, ...] = (0, 1, 5, 10, -3, 2.5, 1e15, 1e16, 1e300, 1e400, float("nan"), float("inf"),
                                "1e400", "nan", ".inf", "abc", "", 10**20, -(10**15))
_WORDS = ("yes", "no", "Why?", "Pourquoi ?", "a: b", "{x}", "${q0}", "لماذا؟", "Что?", "'", '"', "#", "- x", "&a", "*a", "%", "\\")


@dataclass
class GeneratedFile:
    """A generated survey file: its name (the extension chooses the loader) and bytes."""

    name: str
    data: bytes
    rows: list[dict[str, Any]] = field(default_factory=list)


_ARITY = {"not": 1, "selected": 2, "count-selected": 1, "string-length": 1, "if": 3, "number": 1, "string": 1, "true": 0, "false": 0, "today": 0}


class _Noisy(random.Random):
    """A ``Random`` that also knows how often to produce a broken value (``noise``)."""

    noise = 0.3

    def odd(self) -> bool:
        return self.random() < self.noise


def random_expression(rng: random.Random, names: list[str], depth: int = 0, *, columns: bool = False, current: bool = True) -> str:
    """A random expression over ``names``: mostly well-formed, sometimes not at all."""
    if isinstance(rng, _Noisy) and not rng.odd():
        return _good_expression(rng, names, depth, columns=columns, current=current)
    roll = rng.random()
    if roll < 0.03:
        return rng.choice(["(" * 300 + "1" + ")" * 300, "-" * 200 + "1", "not(" * 100 + "1" + ")" * 100,
                           " or ".join(["1"] * 400), "1 +" * 300 + "1", "${", "'", "1 ==  2", ". mod", "${q0 }"])
    if roll < 0.08:
        return "".join(rng.choice("${}().=<>!'\" abcq0123456789-+*,") for _ in range(rng.randint(0, 30)))
    if depth > 3 or roll < 0.35:
        return _atom(rng, names, columns)
    if roll < 0.6:
        operator = rng.choice(["=", "!=", "<", "<=", ">", ">=", "and", "or", "+", "-", "*", "div", "mod"])
        return f"{random_expression(rng, names, depth + 1, columns=columns)} {operator} {random_expression(rng, names, depth + 1, columns=columns)}"
    if roll < 0.8:
        function = rng.choice(["not", "selected", "count-selected", "string-length", "if", "number", "string", "true", "false", "today", "concat"])
        arity = rng.randint(0, 3)
        args = ", ".join(random_expression(rng, names, depth + 1, columns=columns) for _ in range(arity))
        return f"{function}({args})"
    return f"({random_expression(rng, names, depth + 1, columns=columns)})"


def _good_expression(rng: random.Random, names: list[str], depth: int, *, columns: bool, current: bool) -> str:
    """A well-formed expression reading only ``names`` (and ``.``/columns where allowed)."""
    roll = rng.random()
    if depth > 2 or roll < 0.4:
        atoms = ["${" + name + "}" for name in names] + ["1", "18", "'north'", "''", "2.5", str(10**15)]
        atoms += ["."] * (3 if current else 0) + (["region", "name"] if columns else [])
        return rng.choice(atoms)
    if roll < 0.75:
        operator = rng.choice(["=", "!=", "<", "<=", ">", ">=", "and", "or", "+", "-", "*", "div", "mod"])
        left = _good_expression(rng, names, depth + 1, columns=columns, current=current)
        right = _good_expression(rng, names, depth + 1, columns=columns, current=current)
        return f"{left} {operator} {right}"
    function = rng.choice(sorted(_ARITY))
    args = ", ".join(_good_expression(rng, names, depth + 1, columns=columns, current=current) for _ in range(_ARITY[function]))
    return f"{function}({args})"


def _atom(rng: random.Random, names: list[str], columns: bool) -> str:
    roll = rng.random()
    if roll < 0.4 and names:
        return "${" + rng.choice(names) + "}"
    if roll < 0.5:
        return "."
    if roll < 0.6 and columns:
        return rng.choice(["region", "name", "colour", "missing"])
    if roll < 0.8:
        return str(rng.choice([0, 1, 2, 18, 52, -1, 2.5, 10**309, 10**15, 99999999999999999999]))
    return "'" + rng.choice(["a", "north", "south", "2024-01-01", "", "yes", "x y"]) + "'"


def _number(rng: _Noisy) -> object:
    return rng.choice(_NUMBERS) if rng.odd() else rng.randint(-5, 60)


def _text(rng: _Noisy) -> str:
    if not rng.odd():
        return rng.choice(("Question", "Pourquoi ?", "لماذا؟", "How many weeks?", "Yes: really", "Region")) + f" {rng.randint(1, 99)}"
    roll = rng.random()
    if roll < 0.03:
        return "x" * rng.choice([3501, 5199, 600])
    if roll < 0.06:
        return ""
    return " ".join(rng.choice((*_WORDS, "Question", "answer", "the", "label")) for _ in range(rng.randint(1, 5)))


def _rows(rng: _Noisy) -> list[dict[str, Any]]:
    """The survey's items in order, format-neutral."""
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    for index in range(rng.randint(1, 9)):
        kind = rng.choice(_TYPES)
        name = f"q{index}" if not rng.odd() else rng.choice(["", "q0", "1bad", "a b", "ünï", "no", f"q{index}"])
        row: dict[str, Any] = {"id": name, "type": kind, "label": _text(rng)}
        earlier = names + (["later", "unknown"] if rng.odd() else [])
        if rng.random() < 0.3:
            row["relevant"] = random_expression(rng, earlier, current=False)
        if kind == "calculate":
            row["calculation"] = random_expression(rng, earlier, current=False)
        if kind in ("number", "text", "scale", "date", "single", "multi") and rng.random() < 0.3:
            row["constraint"] = random_expression(rng, earlier)
        if rng.random() < 0.4:
            row["required"] = rng.choice([True, False, "maybe", "yes", "no"]) if rng.odd() else rng.choice([True, False])
        if kind == "scale" or (kind == "number" and rng.random() < 0.5):
            low = _number(rng)
            row["min"], row["max"] = low, (low + rng.randint(0, 6) if isinstance(low, int) and not rng.odd() else _number(rng))
        if kind == "number" and rng.random() < 0.5:
            row["integer"] = rng.choice([True, False])
        if kind == "text" and rng.random() < 0.3:
            row["max_length"] = _number(rng)
        if kind in ("single", "multi"):
            row["choices"] = _choices(rng)
            if rng.random() < 0.4:
                row["choice_filter"] = random_expression(rng, earlier, columns=True, current=False)
        if rng.random() < 0.1:
            row["hint"] = _text(rng)
        rows.append(row)
        if kind != "note":
            names.append(name)
    return rows


def _choices(rng: _Noisy) -> list[dict[str, Any]]:
    choices = []
    for index in range(rng.randint(0, 6) if rng.odd() else rng.randint(1, 6)):
        choice: dict[str, Any] = {"id": f"c{index}" if not rng.odd() else rng.choice(["c0", "", "x y"]), "label": _text(rng)}
        if rng.random() < 0.8:
            choice["region"] = rng.choice(["north", "south", "a"]) if not rng.odd() else ""
        choices.append(choice)
    return choices


def generate_survey_file(seed: int) -> GeneratedFile:
    """One random survey file, YAML or XLSForm (about half each), reproducible from ``seed``.

    Half the files are mostly well-formed (a broken value is rare), half are noisy, so that
    both the refusals of ``check`` and the answering of valid surveys are well covered.
    """
    rng = _Noisy(seed)
    rng.noise = rng.choice((0.01, 0.02, 0.05, 0.3))
    rows = _rows(rng)
    if rng.random() < 0.5:
        return GeneratedFile("fuzz.yaml", _yaml(rng, rows), rows)
    return GeneratedFile("fuzz.xlsx", _xlsform(rng, rows), rows)


def _yaml(rng: _Noisy, rows: list[dict[str, Any]]) -> bytes:
    questions = [
        {key: value for key, value in row.items() if key in ("id", "type", "calculation", "relevant")}
        if row["type"] == "calculate" and not rng.odd() else row
        for row in rows
    ]
    document: dict[str, Any] = {
        "id": rng.choice(["Bad Id", ""]) if rng.odd() else "fuzz", "title": _text(rng) or "T",
        "languages": rng.choice([[], ["english"], ["en", "en"]]) if rng.odd() else ["en"], "questions": questions,
    }
    if rng.odd():
        document["extra"] = 1
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    if rng.odd():  # mutate the text itself: truncation, a stray character
        position = rng.randint(0, len(text))
        text = text[:position] + rng.choice(["", ":", "[", "\t", "&a ", "*a", "'", "\x00"]) + text[position + rng.randint(0, 3):]
    return text.encode()


def _xlsform(rng: _Noisy, rows: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    columns = ["type", "name", "label", "hint", "required", "relevant", "constraint", "calculation", "choice_filter", "parameters"]
    survey.append(columns)
    choice_rows: list[list[object]] = []
    depth = 0
    for number, row in enumerate(rows):
        if rng.random() < 0.1:
            survey.append(["begin group", f"g{number}", "G", None, None, random_expression(rng, [r["id"] for r in rows[:number]], current=False)])
            depth += 1
        list_name = f"l{number}"
        kind = _XLSFORM_TYPES[row["type"]] if not rng.odd() else rng.choice(_ODD_XLSFORM_TYPES)
        if row["type"] == "number" and not row.get("integer", True):
            kind = "decimal"
        parameters = None
        if row["type"] == "scale":
            parameters = rng.choice(["", "start=1 end=5", f"start={row.get('min')} end={row.get('max')}", "start=3", "end=4"])
            if rng.odd():
                parameters = rng.choice(["step=2", "start=nan", "end=1e400", "start=x", "start=1.5"])
        survey.append([
            kind.format(list=list_name), row["id"], row["label"] or None, row.get("hint"),
            _cell(row.get("required")), row.get("relevant"), row.get("constraint"), row.get("calculation"),
            row.get("choice_filter"), parameters,
        ])
        for choice in row.get("choices", []):
            choice_rows.append([list_name, choice["id"] or None, choice["label"] or None, choice.get("region") or None])
        if depth and rng.random() < 0.4:
            survey.append(["end group"])
            depth -= 1
    if rng.random() < 0.8:
        for _ in range(depth):
            survey.append(["end group"])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label", "region"])
    for choice_row in choice_rows:
        choices.append(choice_row)
    if rng.random() < 0.7:
        settings = book.create_sheet("settings")
        settings.append(["form_id", "form_title", "default_language"])
        settings.append([rng.choice(["Bad Id", None]) if rng.odd() else "fuzz", "Title", rng.choice([None, "en", "English (en)"]) if not rng.odd() else "xx yy"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
