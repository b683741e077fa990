"""Protected microdata: the default export, k-anonymous on the quasi-identifiers.

A row-level export lets anyone who knows a workplace re-identify people from a few answers
("the only garment worker in the north who answers in Swahili"). The default export is
therefore protected as sdcMicro protects microdata:

- **no free text and no dates**: text and date questions and the submission day are left
  out; number answers become the same safe ranges summaries show (:mod:`surveys.binning`);
- **quasi-identifiers** are the answers that could be known about someone from elsewhere:
  every single- and multi-select question (unless the survey marks it
  ``quasi_identifier: false``), any question marked ``quasi_identifier: true``, the
  survey version and the language;
- **k-anonymity with local suppression**: every combination of quasi-identifier values in
  the file is shared by at least ``k`` rows. Rows whose combination is rarer lose values
  one quasi-identifier at a time, the one with the most distinct values first (the most
  identifying), until their combination - with the blanked values as one value "*" - is
  shared by ``k`` rows or every quasi-identifier is blank. Rows never lose their other
  answers, and suppressed cells are counted in the :class:`RiskReport`.

Two passes: :meth:`MicrodataPlan.observe` counts the combinations (and number answers),
:meth:`MicrodataPlan.finish` decides the suppression and reports the risk before anything
is written, then :meth:`MicrodataPlan.protect` turns each row into its exported form.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from surveys.binning import Bin, bin_index, safe_bins
from surveys.model import Question, QuestionType, Survey

__all__ = ["SUPPRESSED", "MicrodataPlan", "RiskReport", "is_quasi_identifier"]

#: What a suppressed quasi-identifier cell holds in the export (an empty cell).
SUPPRESSED = None
#: The stand-in for a suppressed value while combinations are counted.
_STAR = "\0*"


def is_quasi_identifier(question: Question) -> bool:
    """Whether ``question`` is a quasi-identifier (see the module docstring)."""
    if question.quasi_identifier is not None:
        return question.quasi_identifier
    return question.type in (QuestionType.SINGLE, QuestionType.MULTI)


@dataclass(frozen=True, slots=True)
class RiskReport:
    """The risk check printed before an export is written, and what protection did.

    Attributes:
        records: Rows in the export.
        quasi_identifiers: Names of the quasi-identifier columns (multi-select: the
            question id, covering its choice columns).
        unique_before: Rows whose quasi-identifier combination no other row shares.
        below_k_before: Rows whose combination fewer than ``k`` rows share.
        suppressed_cells: Per quasi-identifier, the rows where its value was blanked.
        fully_suppressed: Rows that lost every quasi-identifier.
        unique_after: Rows still unique after protection (never counting fully
            suppressed ones; 0 unless protection is off).
        k: The k of k-anonymity.
    """

    records: int
    quasi_identifiers: tuple[str, ...]
    unique_before: int
    below_k_before: int
    suppressed_cells: dict[str, int]
    fully_suppressed: int
    unique_after: int
    k: int


@dataclass(frozen=True, slots=True)
class _Source:
    """One exported column: where its value comes from in a storage row."""

    name: str
    position: int
    bins: str | None = None  # question id whose safe ranges replace the value
    question: str | None = None  # the question the value answers


class MicrodataPlan:
    """The protected export of one survey, built in two passes over the same rows.

    Rows are storage's scalar rows, ``(version, ISO day, language, *cells)`` with the cells
    of :func:`surveys.export.cell_columns`.
    """

    def __init__(self, survey: Survey, cell_columns: Sequence[tuple[str, str | None]],
                 k: int) -> None:
        self._k = k
        self._sources: list[_Source] = [_Source("version", 0)]
        # Quasi-identifiers as groups of row positions (a multi-select is all its choices).
        self._qi_names: list[str] = ["version", "language"]
        self._qi_positions: list[tuple[int, ...]] = [(0,), (2,)]
        self._sources.append(_Source("language", 2))
        self._number_questions: dict[str, int] = {}
        self._number_at: dict[int, str] = {}
        grouped: dict[str, list[int]] = {}
        for offset, (question_id, choice_id) in enumerate(cell_columns):
            question = survey.question(question_id)
            if question is None or question.type in (QuestionType.TEXT, QuestionType.DATE,
                                                     QuestionType.NOTE):
                continue
            position = 3 + offset
            name = question_id if choice_id is None else f"{question_id}/{choice_id}"
            if question.type is QuestionType.NUMBER:
                self._number_questions[question_id] = position
                self._number_at[position] = question_id
                self._sources.append(_Source(name, position, question_id, question_id))
            else:
                self._sources.append(_Source(name, position, question=question_id))
            if is_quasi_identifier(question):
                grouped.setdefault(question_id, []).append(position)
        for question_id, positions in grouped.items():
            self._qi_names.append(question_id)
            self._qi_positions.append(tuple(positions))
        self._combinations: Counter[tuple[Any, ...]] = Counter()
        self._numbers: dict[str, Counter[object]] = {q: Counter() for q in self._number_questions}
        self._bins: dict[str, list[Bin]] = {}
        self._replacement: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._records = 0

    @property
    def column_names(self) -> list[str]:
        """The exported columns after the respondent number."""
        return [source.name for source in self._sources]

    @property
    def quasi_identifier_questions(self) -> tuple[str, ...]:
        """The question ids among the quasi-identifiers (version and language are not)."""
        return tuple(self._qi_names[2:])

    @property
    def number_questions(self) -> tuple[str, ...]:
        """The number questions, exported as the ranges :meth:`finish` decides."""
        return tuple(self._number_questions)

    @property
    def exported_questions(self) -> tuple[str, ...]:
        """The questions whose answers are exported (no text or date), in column order."""
        return tuple(dict.fromkeys(source.question for source in self._sources
                                   if source.question is not None))

    def key_parts(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The questions of an answer key's two parts (``storage.answer_keys``): the
        quasi-identifiers, then the other exported questions."""
        first = self.quasi_identifier_questions
        return first, tuple(q for q in self.exported_questions if q not in first)

    def quasi_identifier_mask(self) -> tuple[bool, ...]:
        """Per exported column, whether it is the version, the language or a
        quasi-identifier (what suppression may blank); the rest never changes."""
        positions = {p for group in self._qi_positions for p in group}
        return tuple(source.position in positions for source in self._sources)

    def _combination(self, row: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(tuple(row[p] for p in positions) for positions in self._qi_positions)

    def _binned(self, combination: tuple[Any, ...]) -> tuple[Any, ...]:
        """A combination with number answers replaced by their ranges."""
        if not self._number_at:
            return combination
        return tuple(
            tuple(self._range(self._number_at[p], v) if p in self._number_at else v
                  for p, v in zip(positions, values, strict=True))
            for positions, values in zip(self._qi_positions, combination, strict=True))

    def observe(self, rows: Iterable[Sequence[Any]]) -> None:
        """Pass 1: count quasi-identifier combinations and number answers."""
        combination = self._combination
        for row in rows:
            self._records += 1
            self._combinations[combination(row)] += 1
            for question_id, position in self._number_questions.items():
                value = row[position]
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._numbers[question_id][value] += 1

    def observe_counts(self, rows: Iterable[tuple[Sequence[Any], int]]) -> None:
        """Pass 1 from rows given once with how many responses share them: the
        quasi-identifier combinations (number answers: :meth:`observe_numbers`).

        The same counts as :meth:`observe` over every response, from one row per distinct
        first part of an answer key (``storage.answer_keys``).
        """
        combination = self._combination
        combinations = self._combinations
        for row, count in rows:
            self._records += count
            combinations[combination(row)] += count

    def observe_numbers(self, rows: Iterable[tuple[Sequence[Any], int]]) -> None:
        """Pass 1 for number answers, from rows given once with how many responses share
        them (cells that are not a number are skipped)."""
        for row, count in rows:
            for question_id, position in self._number_questions.items():
                value = row[position]
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._numbers[question_id][value] += count

    def range_label(self, question_id: str, index: int) -> str:
        """How range ``index`` of a number question is exported (``"20-<40"``)."""
        low, high = self._bins[question_id][index]
        if low is None:
            return f"<{high:g}"
        if high is None:
            return f">={low:g}"
        return f"{low:g}-<{high:g}"

    def _range(self, question_id: str, value: Any) -> str | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        return self.range_label(question_id, bin_index(float(value), self._bins[question_id]))

    def finish(self) -> RiskReport:
        """Decide the local suppression; the report says what it did and what the risk was."""
        k = self._k
        for question_id, counter in self._numbers.items():
            self._bins[question_id] = safe_bins(counter, integer=False, k=k)
        counts: Counter[tuple[Any, ...]] = Counter()
        for raw, count in self._combinations.items():
            counts[self._binned(raw)] += count
        self._combinations = counts
        # Suppress the most identifying (most distinct values) quasi-identifier first.
        distinct = [len({combination[i] for combination in counts})
                    for i in range(len(self._qi_names))]
        order = sorted(range(len(self._qi_names)), key=lambda i: (-distinct[i], i))
        current = {combination: combination for combination in counts}
        all_blank = tuple(_STAR for _ in self._qi_names)
        for level in range(1, len(order) + 1):
            sizes: Counter[tuple[Any, ...]] = Counter()
            for combination, count in counts.items():
                sizes[current[combination]] += count
            rare = [c for c in counts
                    if sizes[current[c]] < k and current[c] != all_blank]
            if not rare:
                break
            for combination in rare:
                blanked = list(combination)
                for i in order[:level]:
                    blanked[i] = _STAR
                current[combination] = tuple(blanked)
        sizes = Counter()
        for combination, count in counts.items():
            sizes[current[combination]] += count
        suppressed = dict.fromkeys(self._qi_names, 0)
        fully = 0
        for combination, count in counts.items():
            out = current[combination]
            for name, before, after in zip(self._qi_names, combination, out, strict=True):
                if after == _STAR and before != after:
                    suppressed[name] += count
            if out == all_blank:
                fully += count
        self._replacement = {c: out for c, out in current.items() if out != c}
        return RiskReport(
            records=self._records,
            quasi_identifiers=tuple(self._qi_names),
            unique_before=sum(c for c in counts.values() if c == 1),
            below_k_before=sum(c for c in counts.values() if c < k),
            suppressed_cells={name: n for name, n in suppressed.items() if n},
            fully_suppressed=fully,
            unique_after=sum(1 for out, size in sizes.items()
                             if size == 1 and out != all_blank),
            k=k,
        )

    def protect(self, row: Sequence[Any]) -> list[Any]:
        """Pass 2: the exported values of one row (after :meth:`finish`)."""
        values = [self._range(s.bins, row[s.position]) if s.bins is not None
                  else row[s.position] for s in self._sources]
        if self._replacement:
            combination = self._binned(self._combination(row))
            out = self._replacement.get(combination)
            if out is not None:
                blank = {p for positions, before, after in
                         zip(self._qi_positions, combination, out, strict=True)
                         if after == _STAR and before != after for p in positions}
                values = [SUPPRESSED if s.position in blank else v
                          for s, v in zip(self._sources, values, strict=True)]
        if values[1] == "":
            values[1] = None  # an empty language is no language
        return values
