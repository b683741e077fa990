"""Hostile and oversized survey files are refused quickly, with a clear problem.

Each hostile input is generated here (nothing large is checked in) and must be refused in
well under the time and memory a real upload may take; the assertions name the problem
code so that a refusal for the wrong reason does not pass.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from pyxform.xls2json_backends import md_table_to_workbook

from surveys import limits
from surveys.loading import LoadResult, inspect_bytes

YAML_HEAD = "id: s\ntitle: S\nlanguages: [en]\nquestions:\n"


def codes(result: LoadResult) -> set[str]:
    return {problem.code for problem in result.errors}


@contextmanager
def bounded(seconds: float = 10.0, megabytes: float | None = 64.0) -> Iterator[None]:
    """Fail if the block takes longer or allocates more (peak) than a real upload may.

    Time bounds are generous (the machine running the tests may be busy): the failures
    they guard against took minutes and gigabytes.

    Memory tracing slows Python down several times; ``megabytes=None`` measures time only.
    """
    if megabytes is None:
        started = time.perf_counter()
        yield
        assert time.perf_counter() - started < seconds
        return
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert peak < megabytes * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


def test_yaml_alias_fan_out_is_refused_at_the_first_alias() -> None:
    # The classic "billion laughs": nine levels of ten aliases each.
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    bomb = ("\n".join(lines) + "\n").encode()
    with bounded(seconds=10):
        result = inspect_bytes(bomb, "bomb.yaml")
    assert result.survey is None
    assert codes(result) == {"yaml-alias"}
    assert result.errors[0].number == 2  # the line of the first alias


def test_even_one_alias_is_refused_with_its_line() -> None:
    text = YAML_HEAD + "  - &q {id: q, type: text, label: Q}\n  - *q\n"
    result = inspect_bytes(text.encode(), "s.yaml")
    assert [(p.number, p.code) for p in result.errors] == [(6, "yaml-alias")]
    assert "aliases" in str(result.errors[0])


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_yaml_nested_thousands_of_levels_is_refused_not_a_recursion_error(opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    text = "id: " + opening * 5000 + "x" + closing * 5000 + "\n"
    with bounded(seconds=10):
        result = inspect_bytes(text.encode(), "deep.yaml")
    assert codes(result) == {"too-deep"}
    assert f"more than {limits.MAX_NESTING} levels" in str(result.errors[0])


def test_yaml_with_too_many_values_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("surveys.yaml_reader.MAX_YAML_NODES", 1_000)  # the mechanism, quickly
    result = inspect_bytes(("id: [" + ",".join(["1"] * 1_010) + "]\n").encode(), "wide.yaml")
    assert codes(result) == {"too-many-nodes"}
    assert "more than 1000 values" in str(result.errors[0])


def test_yaml_at_the_node_limit_is_refused_in_seconds() -> None:
    text = "id: [" + ",".join(["1"] * (limits.MAX_YAML_NODES + 10)) + "]\n"
    assert len(text) < limits.MAX_FILE_BYTES
    with bounded(seconds=30, megabytes=None):
        result = inspect_bytes(text.encode(), "wide.yaml")
    assert codes(result) == {"too-many-nodes"}


def test_file_over_the_size_limit_is_refused_before_parsing() -> None:
    data = b"#" * (limits.MAX_FILE_BYTES + 1)
    with bounded(seconds=10):
        result = inspect_bytes(data, "big.yaml")
    assert codes(result) == {"file-too-large"}
    assert "larger than 2048 KB" in str(result.errors[0])


def _zip_bomb_workbook() -> bytes:
    """A valid small form whose sharedStrings.xml inflates far beyond the limit."""
    buffer = io.BytesIO()
    md_table_to_workbook("| survey |\n| | type | name | label |\n| | text | q | Q |\n").save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    filler = b"<si><t>" + b"A" * 1_000_000 + b"</t></si>"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            bomb.writestr(item, source.read(item.filename))
        with bomb.open("xl/padding.xml", "w") as padding:
            for _ in range(limits.MAX_XLSX_UNCOMPRESSED_BYTES // len(filler) + 2):
                padding.write(filler)
    return out.getvalue()


def test_zip_bomb_workbook_is_refused_before_openpyxl_reads_it() -> None:
    data = _zip_bomb_workbook()
    assert len(data) < 200_000  # small on the wire
    with bounded(seconds=10, megabytes=32):
        result = inspect_bytes(data, "bomb.xlsx")
    assert codes(result) == {"too-large-uncompressed"}


def test_zip_bomb_with_forged_declared_sizes_is_caught_while_inflating() -> None:
    data = bytearray(_zip_bomb_workbook())
    # Rewrite every declared uncompressed size (local and central headers) to 1 byte.
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    for info in archive.infolist():
        if info.filename == "xl/padding.xml":
            local = info.header_offset
            data[local + 22 : local + 26] = (1).to_bytes(4, "little")
    for offset in _central_headers(bytes(data)):
        name_length = int.from_bytes(data[offset + 28 : offset + 30], "little")
        if data[offset + 46 : offset + 46 + name_length] == b"xl/padding.xml":
            data[offset + 24 : offset + 28] = (1).to_bytes(4, "little")
    with bounded(seconds=10, megabytes=32):
        result = inspect_bytes(bytes(data), "forged.xlsx")
    assert result.survey is None
    assert codes(result) & {"too-large-uncompressed", "unreadable-workbook"}


def _central_headers(data: bytes) -> Iterator[int]:
    offset = data.find(b"PK\x01\x02")
    while offset >= 0:
        yield offset
        offset = data.find(b"PK\x01\x02", offset + 4)


def _workbook_with_sheet(sheet_xml: bytes) -> bytes:
    """A real workbook whose survey sheet is replaced by ``sheet_xml``."""
    buffer = io.BytesIO()
    md_table_to_workbook("| survey |\n| | type | name | label |\n| | text | q | Q |\n").save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for item in source.infolist():
            content = source.read(item.filename)
            book.writestr(item.filename, sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else content)
    return out.getvalue()


def _sheet(rows: int) -> bytes:
    cell = '<c t="inlineStr"><is><t>{}</t></is></c>'
    header = "<row>" + "".join(cell.format(name) for name in ("type", "name", "label")) + "</row>"
    row = "<row>" + cell.format("text") + "</row>"  # one cell: small, yet a row
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{header}{row * rows}</sheetData></worksheet>"
    ).encode()


def test_sheet_with_200000_rows_is_refused() -> None:
    data = _workbook_with_sheet(_sheet(200_000))
    assert len(data) < limits.MAX_FILE_BYTES
    with bounded(seconds=10, megabytes=48):
        result = inspect_bytes(data, "rows.xlsx")
    assert codes(result) == {"too-many-rows"}
    assert "more than 10000 rows" in str(result.errors[0])


def test_sheet_at_the_row_limit_is_read_in_seconds() -> None:
    data = _workbook_with_sheet(_sheet(limits.MAX_SHEET_ROWS - 1))
    with bounded(seconds=10, megabytes=None):
        result = inspect_bytes(data, "rows.xlsx")
    assert "too-many-rows" not in codes(result)
    assert max(p.number or 0 for p in result.errors) == limits.MAX_SHEET_ROWS  # read to the end


def test_not_a_zip_is_a_clear_problem() -> None:
    result = inspect_bytes(b"PK\x03\x04 truncated", "broken.xlsx")
    assert codes(result) == {"unreadable-workbook"}


def test_corrupt_compressed_part_is_a_clear_problem() -> None:
    data = bytearray(_workbook_with_sheet(_sheet(3)))
    member = next(info for info in zipfile.ZipFile(io.BytesIO(bytes(data))).infolist() if info.filename.endswith("sheet1.xml"))
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    for offset in range(start + 5, start + 25):
        data[offset] ^= 0x55
    result = inspect_bytes(bytes(data), "corrupt.xlsx")
    assert [str(problem) for problem in result.errors] == ["corrupt.xlsx: cannot read the workbook: damaged or incomplete .xlsx file"]


def _yaml_question(label: str) -> bytes:
    return (YAML_HEAD + f"  - {{id: q, type: text, label: \"{label}\"}}\n").encode()


def test_label_that_cannot_fit_a_telegram_message_is_refused() -> None:
    result = inspect_bytes(_yaml_question("x" * 5199), "s.yaml")
    assert codes(result) == {"text-too-long"}
    assert "5199 characters long in 'en'; the limit is 3500" in str(result.errors[0])
    assert inspect_bytes(_yaml_question("x" * limits.MAX_PROMPT_LENGTH), "s.yaml").survey is not None


def test_too_many_questions_is_refused_once() -> None:
    body = "".join(f"  - {{id: q{n}, type: text, label: Q}}\n" for n in range(limits.MAX_QUESTIONS + 1))
    result = inspect_bytes((YAML_HEAD + body).encode(), "s.yaml")
    assert [p.code for p in result.errors] == ["too-many-questions"]


def test_more_choices_than_a_chat_can_show_are_refused_unless_filtered() -> None:
    choices = ", ".join(f"{{id: c{n}, label: C, group: g{n % 3}}}" for n in range(limits.MAX_CHOICES_PER_QUESTION + 1))
    head = "id: s\nchoice_lists:\n  big: [" + choices + "]\ntitle: S\nlanguages: [en]\nquestions:\n"
    for kind, extra, refused in [("single", "", True), ("multi", "", True), ("multi", ", choice_filter: \"group = 'g1'\"", True),
                                 ("single", ", choice_filter: \"group = 'g1'\"", False)]:
        result = inspect_bytes((head + f"  - {{id: q, type: {kind}, label: Q, choices: big{extra}}}\n").encode(), "s.yaml")
        assert (codes(result) == {"too-many-choices"}) is refused, (kind, extra)


def test_too_many_choices_is_refused() -> None:
    # Counted once per question that offers them: 110 filtered questions share a list of 100.
    choices = ", ".join(f"{{id: c{n}, label: C, group: g}}" for n in range(100))
    questions = "".join(f"  - {{id: q{n}, type: single, label: Q, choices: big, choice_filter: \"group = 'g'\"}}\n" for n in range(101))
    text = "id: s\ntitle: S\nlanguages: [en]\nchoice_lists:\n  big: [" + choices + "]\nquestions:\n" + questions
    result = inspect_bytes(text.encode(), "s.yaml")
    assert [p.code for p in result.errors] == ["too-many-choices"]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: "(" * 300 + "1" + ")" * 300, "bad-expression"),
        (lambda: "-" * 300 + "1", "bad-expression"),
        (lambda: "not(" * 300 + "1" + ")" * 300, "bad-expression"),
        (lambda: " + ".join(["1"] * 200) + " > 0", "bad-expression"),
        (lambda: "1 = 1" + " and 1 = 1" * 600, "bad-expression"),  # longer than the limit
    ],
)
def test_deep_or_long_expressions_are_refused_not_a_recursion_error(make: Callable[[], str], code: str) -> None:
    text = YAML_HEAD + f"  - {{id: q, type: text, label: Q, relevant: \"{make()}\"}}\n"
    result = inspect_bytes(text.encode(), "s.yaml")
    assert codes(result) == {code}


def test_long_or_chains_are_fine() -> None:
    # Real forms list alternatives: 300 of them stay within the depth limit.
    chain = " or ".join(f"${{a}} = '{n}'" for n in range(150))
    text = YAML_HEAD + f"  - {{id: a, type: text, label: A}}\n  - {{id: q, type: text, label: Q, relevant: \"{chain}\"}}\n"
    assert inspect_bytes(text.encode(), "s.yaml").survey is not None
