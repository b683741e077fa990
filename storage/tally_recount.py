"""Recounting a survey's tallies from its stored responses (``tallies check`` and ``rebuild``).

The write path keeps counters incrementally (``storage.tallies``); this module counts them
again from scratch, the same cells by another road, so the two can be compared (check) or
the counters replaced (rebuild, upgrades, bulk imports). See :class:`Recount` for how it
stays fast at a million responses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from storage.results import json_path
from surveys.perturbation import RECORD_KEY_RANGE, record_key
from surveys.tally_plan import (
    ANSWERED,
    NO_GROUP,
    OVERALL,
    RESPONDENTS,
    CellKind,
    TallyPlan,
    canonical,
    response_values,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Counter_", "Recount"]

#: ``(by_question, day, version, grp, question_id, value)``: one counter of a survey.
Counter_ = tuple[str, str, int, str, str, str]

_SUBMITTED = (
    "SELECT respondent_key, version, submitted_on, answers, text_languages FROM responses "
    "WHERE survey_id = ? AND status = 'submitted'"
)


class _Memo(dict[Any, int]):
    """Codes of answer texts, each decoded once: ``memo[text]`` calls ``decode`` if new."""

    __slots__ = ("_decode",)

    def __init__(self, decode: Callable[[Any], int]) -> None:
        super().__init__()
        self._decode = decode

    def __missing__(self, text: Any) -> int:
        code = self[text] = self._decode(text)
        return code


class Recount:
    """Counts responses into the counters ``storage.tally_keeper`` keeps, for a check or rebuild.

    The cells are those of ``surveys.tally_plan.response_values``, the keeper's; only the
    way to them differs. SQLite hands each answer as its own JSON text (``answers -> path``,
    in C) and, for text questions, the stored language of a string answer; Python turns
    each *distinct* answer text into an integer code once (``canonical`` of its decoding)
    and maps whole columns through those codes, so no response is decoded in Python. numpy
    then counts and sums record keys per (day, group, value) for each breakdown and
    question at once. Decoding each response's answers took ~25 µs a response (46 s of the
    1M bench set's generation; bench/README.md, benchmark 3). Surveys whose question ids
    cannot be written as JSON paths (older definitions) are recounted response by response
    (:meth:`_add_decoded`), the same cells.
    """

    __slots__ = ("_memos", "codes", "columns", "extracted", "names", "plans", "responses",
                 "secret", "texts", "totals")

    def __init__(self, plans: Mapping[int, TallyPlan], secret: bytes) -> None:
        self.plans = plans
        self.secret = secret
        self.codes: dict[str, int] = {}
        self.names: list[str] = []
        self.totals: dict[Counter_, list[int]] = {}
        self.responses = 0
        #: Every question id any version counts, and those a version asks as text.
        self.columns = list(dict.fromkeys(q for plan in plans.values() for q in plan.kinds))
        self.texts = list(dict.fromkeys(
            q for plan in plans.values() for q, kind in plan.kinds.items()
            if kind is CellKind.TEXT))
        try:
            for question_id in self.columns:
                json_path(question_id)
            self.extracted = True
        except ValueError:
            self.extracted = False
        code = self._code

        def value(text: str | None) -> int:
            answer = None if text is None else json.loads(text)
            return -1 if answer is None else code(canonical(answer))

        def group(text: str | None) -> int:
            answer = None if text is None else json.loads(text)
            return code(NO_GROUP) if answer is None else code(canonical(answer))

        def date(text: str | None) -> int:
            return -1 if text is None or text == "null" else code(ANSWERED)

        def language(text: str | None) -> int:
            return -1 if text is None else code(text)

        self._memos = {kind: _Memo(decode) for kind, decode in (
            (CellKind.VALUE, value), (CellKind.DATE, date), (CellKind.TEXT, language),
            (None, group))}

    def query(self) -> tuple[str, tuple[object, ...]]:
        """The ``SELECT`` of a survey's submitted responses, then its parameters but the
        survey id (bound last)."""
        if not self.extracted:
            return _SUBMITTED, ()
        params: list[object] = []
        cells = []
        for question_id in self.columns:
            cells.append("answers -> ?")
            params.append(json_path(question_id))
        for question_id in self.texts:
            # The stored language of a string answer ('' if none or not a string), NULL
            # when the answer is not a string: response_values' TEXT cell.
            cells.append("CASE WHEN json_type(answers, ?) = 'text' THEN "
                         "CASE json_type(text_languages, ?) WHEN 'text' "
                         "THEN text_languages ->> ? ELSE '' END END")
            path = json_path(question_id)
            params.extend((path, path, path))
        sql = ("SELECT respondent_key, version, submitted_on, " + ", ".join(cells)
               + " FROM responses WHERE survey_id = ? AND status = 'submitted'")
        return sql, tuple(params)

    def _code(self, text: str) -> int:
        code = self.codes.get(text)
        if code is None:
            code = self.codes[text] = len(self.names)
            self.names.append(text)
        return code

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Count a batch of rows of :meth:`query`."""
        # numpy only for a recount: importing it at the top cost every command (and the
        # bot) a tenth of a second of start-up for work they rarely do.
        import numpy as np

        if not self.extracted:
            self._add_decoded(rows)
            return
        by_version: dict[int, list[Sequence[Any]]] = {}
        for row in rows:
            by_version.setdefault(row[1], []).append(row)
        position = {q: 3 + i for i, q in enumerate(self.columns)}
        text_position = {q: 3 + len(self.columns) + i for i, q in enumerate(self.texts)}
        memos, secret = self._memos, self.secret
        for version, batch in by_version.items():
            plan = self.plans.get(version)
            if plan is None:
                continue  # a version this release cannot read (_readable_plans)
            columns = list(zip(*batch, strict=True))
            table = [list(map(self._code, columns[2])),
                     [record_key(secret, response_id) for response_id in columns[0]]]
            table.extend(list(map(memos[None].__getitem__, columns[position[by]]))
                         for by in plan.breakdowns)
            for question_id, kind in plan.kinds.items():
                column = columns[text_position[question_id] if kind is CellKind.TEXT
                                 else position[question_id]]
                table.append(list(map(memos[kind].__getitem__, column)))
            self.responses += len(batch)
            self._fold(version, np.array(table, dtype=np.int64).T)

    def _add_decoded(self, rows: Iterable[Sequence[Any]]) -> None:
        import numpy as np

        loads, code, secret = json.loads, self._code, self.secret
        tables: dict[int, list[list[int]]] = {}
        for response_id, version, day, answers, languages in rows:
            plan = self.plans.get(version)
            if plan is None:
                continue  # a version this release cannot read (_readable_plans)
            groups, values = response_values(plan, loads(answers), loads(languages))
            tables.setdefault(version, []).append(
                [code(day), record_key(secret, response_id), *map(code, groups),
                 *(-1 if value is None else code(value) for value in values)])
            self.responses += 1
        for version, table in tables.items():
            self._fold(version, np.array(table, dtype=np.int64))

    def _fold(self, version: int, table: np.ndarray[Any, Any]) -> None:
        import numpy as np

        plan = self.plans[version]
        days, keys = table[:, 0], table[:, 1]
        breakdowns = len(plan.breakdowns)
        everyone = np.full(len(table), self._code(NO_GROUP), dtype=np.int64)
        groups = [everyone, *(table[:, 2 + i] for i in range(breakdowns))]
        counted = np.full(len(table), self._code(RESPONDENTS), dtype=np.int64)
        values = [counted, *(table[:, 2 + breakdowns + j] for j in range(len(plan.kinds)))]
        names, totals, base = self.names, self.totals, len(self.names)
        packable = base ** 3 < 2 ** 63  # else (millions of distinct numbers) rows are unique-d
        for by, group in zip((OVERALL, *plan.breakdowns), groups, strict=True):
            for question_id, value in zip((RESPONDENTS, *plan.kinds), values, strict=True):
                answered = value >= 0
                # One integer per (day, group, value), unique-d and counted in C.
                if packable:
                    combined = (days[answered] * base + group[answered]) * base \
                        + value[answered]
                    found, inverse = np.unique(combined, return_inverse=True)
                    triples = [(packed // (base * base), packed // base % base, packed % base)
                               for packed in found.tolist()]
                else:
                    stacked = np.stack([days[answered], group[answered], value[answered]], 1)
                    found, inverse = np.unique(stacked, axis=0, return_inverse=True)
                    triples = [tuple(row) for row in found.tolist()]
                inverse = inverse.ravel()
                counts = np.bincount(inverse, minlength=len(found))
                # float64 sums are exact here: under 2**53 for any batch of < 2**33 rows.
                sums = np.bincount(inverse, weights=keys[answered], minlength=len(found))
                for (day, grp, val), count, key in zip(triples, counts.tolist(), sums.tolist(),
                                                       strict=True):
                    cell = (by, names[day], version, names[grp], question_id, names[val])
                    total = totals.get(cell)
                    if total is None:
                        totals[cell] = [count, int(key)]
                    else:
                        total[0] += count
                        total[1] += int(key)

    def rows(self) -> dict[Counter_, tuple[int, int]]:
        return {cell: (count, key % RECORD_KEY_RANGE)
                for cell, (count, key) in self.totals.items()}
