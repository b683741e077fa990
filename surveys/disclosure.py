"""Disclosure control: which counts of a summary may be shown.

A count of fewer than ``min_cell`` people can point at someone ("the two garment workers in
the north said …"), so such a cell is hidden (*primary* suppression). Hiding it is not enough
when totals are shown: one hidden cell in a row is the row total minus the shown cells. So more
cells are hidden (*complementary* suppression) until no hidden sensitive cell can be worked
out from what is shown.

A table is described as cells plus linear relations ``total = part + part + …`` (rows,
columns, margins). :class:`LinkedTable.suppress` then:

1. hides every displayed cell with ``0 < count < min_cell`` (zero discloses nobody), and
   the zero parts of a relation whose total is such a small group (they would tell what
   its few members did not answer);
2. in every relation whose total is shown and whose hidden parts include a sensitive cell,
   hides the next smallest shown part while fewer than two parts are hidden or the hidden
   parts add up to less than ``min_cell`` (so subtraction only ever yields a group of at
   least ``min_cell``);
3. audits the whole system with linear algebra: a hidden cell is recoverable exactly when its
   coordinate vanishes on every vector of the null space of the relations restricted to the
   hidden cells. While a sensitive cell is recoverable, one more complementary cell is hidden.

Step 3 is what makes the result safe against attacks that combine rows *and* columns
(a chain of subtractions through a breakdown table), not just single-line subtraction.
Cells may also be "never displayed" (e.g. "did not choose X" in a multi-select): they are
unknowns for an attacker but still protected when small, because they could be derived.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "MIN_CELL_FLOOR",
    "LinkedTable",
    "SuppressionReason",
    "effective_min_cell",
]

#: The configuration may raise the threshold but never lower it below this.
MIN_CELL_FLOOR = 3

#: Below this, a null-space coordinate counts as zero (relations have coefficients ±1).
_EPSILON = 1e-9


class SuppressionReason(StrEnum):
    """Why a number is not shown; rendered to moderators so they know what happened."""

    #: The group has fewer than ``min_cell`` people.
    SMALL_GROUP = "small_group"
    #: Hidden so that a small group cannot be recovered by subtraction.
    COMPLEMENTARY = "complementary"
    #: The whole survey has fewer than ``min_cell`` respondents.
    TOO_FEW_RESPONDENTS = "too_few_respondents"
    #: Not enough responses on finished days yet for a first publication (surveys.snapshot).
    NOT_PUBLISHED_YET = "not_published_yet"
    #: A mean or median next to a hidden count (it could help work the count out).
    BESIDE_HIDDEN = "beside_hidden"


def effective_min_cell(min_cell: int) -> int:
    """The threshold actually applied: the configured one, but never below the floor."""
    return max(MIN_CELL_FLOOR, int(min_cell))


@dataclass(frozen=True, slots=True)
class _Relation:
    total: int
    parts: tuple[int, ...]


class LinkedTable:
    """Cells and the sum relations that tie them together, to be suppressed as one system.

    Build it with :meth:`cell` and :meth:`add_sum`, then call :meth:`suppress` once.
    """

    __slots__ = ("_displayed", "_forced", "_keys", "_pinned", "_relations", "_values")

    def __init__(self) -> None:
        self._values: list[int] = []
        self._keys: list[int] = []
        self._displayed: list[bool] = []
        self._pinned: list[bool] = []
        self._forced: list[SuppressionReason | None] = []
        self._relations: list[_Relation] = []

    def cell(
        self,
        value: int,
        *,
        displayed: bool = True,
        pinned: bool = False,
        hidden_because: SuppressionReason | None = None,
        key: int = 0,
    ) -> int:
        """Add a cell and return its handle.

        Args:
            value: The true count.
            key: The cell key (sum of its responses' record keys), which decides its noise
                (:mod:`surveys.perturbation`); carried here so it travels with the cell.
            displayed: ``False`` for counts that are never shown but follow from others.
            pinned: Shown whatever happens (the overall respondent count, already checked
                against ``min_cell``); complements are then taken elsewhere.
            hidden_because: Hide this cell from the start, e.g. every cell of a breakdown
                group whose size was hidden in the group table, so the group cannot be
                rebuilt from its rows in another table.
        """
        self._values.append(int(value))
        self._keys.append(int(key))
        self._displayed.append(displayed)
        self._pinned.append(pinned and displayed and hidden_because is None)
        self._forced.append(hidden_because if displayed else None)
        return len(self._values) - 1

    def add_sum(self, total: int, parts: Sequence[int]) -> None:
        """Declare ``total == sum(parts)``, which a reader can use to subtract."""
        parts = tuple(parts)
        if sum(self._values[p] for p in parts) != self._values[total]:
            raise ValueError("inconsistent relation: parts do not add up to the total")
        self._relations.append(_Relation(total, parts))

    def value(self, handle: int) -> int:
        """The true count of a cell."""
        return self._values[handle]

    def key(self, handle: int) -> int:
        """The cell key of a cell."""
        return self._keys[handle]

    def suppress(self, min_cell: int, *, complementary: bool = True
                 ) -> dict[int, SuppressionReason]:
        """Decide which displayed cells to hide.

        Args:
            min_cell: Smallest group size that may be shown (raised to the floor).
            complementary: ``False`` hides only the small cells themselves; that is the
                naive protection the attack tests show to be broken, never used to publish.

        Returns:
            The hidden *displayed* cells and why; every other displayed cell may be shown.
        """
        k = effective_min_cell(min_cell)
        values = self._values
        sensitive = {i for i, v in enumerate(values) if 0 < v < k}
        hidden = {i for i, shown in enumerate(self._displayed) if not shown}
        reasons: dict[int, SuppressionReason] = {
            i: reason for i, reason in enumerate(self._forced) if reason is not None
        }
        hidden.update(reasons)
        for i in sorted(sensitive):
            if self._displayed[i] and i not in reasons:
                if self._pinned[i]:
                    raise ValueError("a pinned cell is smaller than min_cell")
                hidden.add(i)
                reasons[i] = SuppressionReason.SMALL_GROUP
        if not sensitive or not complementary:
            return reasons

        def hide(handle: int) -> None:
            hidden.add(handle)
            reasons[handle] = SuppressionReason.COMPLEMENTARY

        # The zeros of a small group tell what its few people did *not* answer ("none of the
        # two in the east chose safety", so both chose wages): hidden with the group.
        for relation in self._relations:
            if relation.total in sensitive:
                for part in relation.parts:
                    if values[part] == 0 and self._hideable(part, hidden) \
                            and self._displayed[part]:
                        hide(part)

        while True:
            if self._apply_line_rule(k, sensitive, hidden, hide):
                continue
            recoverable = self._recoverable(sensitive, hidden)
            if not recoverable:
                return reasons
            if not self._hide_complement_for(recoverable[0], hidden, hide):
                # Nothing local is left to hide: hide every unpinned cell rather than leak.
                for i, shown in enumerate(self._displayed):
                    if shown and i not in hidden and not self._pinned[i]:
                        hide(i)
                if self._recoverable(sensitive, hidden):
                    raise ValueError("cannot protect a sensitive cell: check pinned cells")
                return reasons

    def _hideable(self, handle: int, hidden: set[int]) -> bool:
        return handle not in hidden and not self._pinned[handle]

    def _smallest(self, handles: Sequence[int]) -> int | None:
        # Prefer a non-zero cell: hiding a zero next to a 2 still tells "at most 2".
        if not handles:
            return None
        return min(handles, key=lambda h: (self._values[h] == 0, self._values[h], h))

    def _apply_line_rule(self, k: int, sensitive: set[int], hidden: set[int],
                         hide: Callable[[int], None]) -> bool:
        changed = False
        for relation in self._relations:
            if relation.total in hidden or self._values[relation.total] == 0:
                continue
            hidden_parts = [p for p in relation.parts if p in hidden]
            if not any(p in sensitive for p in hidden_parts):
                continue
            while len(hidden_parts) < 2 or sum(self._values[p] for p in hidden_parts) < k:
                candidate = self._smallest(
                    [p for p in relation.parts if self._hideable(p, hidden)]
                )
                if candidate is None:
                    if self._hideable(relation.total, hidden):
                        hide(relation.total)
                        changed = True
                    break
                hide(candidate)
                hidden_parts.append(candidate)
                changed = True
        return changed

    def _recoverable(self, sensitive: set[int], hidden: set[int]) -> list[int]:
        """Sensitive cells whose exact value follows from the shown cells."""
        # numpy is imported here, not at the top: only tables with hidden cells need the
        # audit, and importing numpy is a tenth of a second of every command's start-up.
        import numpy as np

        unknowns = sorted(hidden)
        column = {handle: j for j, handle in enumerate(unknowns)}
        rows = []
        for relation in self._relations:
            row = np.zeros(len(unknowns))
            for part in relation.parts:
                if part in column:
                    row[column[part]] += 1.0
            if relation.total in column:
                row[column[relation.total]] -= 1.0
            if row.any():
                rows.append(row)
        if not rows:
            return []
        matrix = np.array(rows)
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        rank = int((singular > _EPSILON * max(1.0, singular[0])).sum())
        null_space = vt[rank:]
        recoverable = []
        for handle in sorted(sensitive):
            j = column[handle]
            if null_space.shape[0] == 0 or np.all(np.abs(null_space[:, j]) < 1e-7):
                recoverable.append(handle)
        return recoverable

    def _hide_complement_for(self, handle: int, hidden: set[int],
                             hide: Callable[[int], None]) -> bool:
        """Hide one more cell in a relation of ``handle``; ``False`` if none is left."""
        best: int | None = None
        for relation in self._relations:
            if handle != relation.total and handle not in relation.parts:
                continue
            candidate = self._smallest([p for p in relation.parts if self._hideable(p, hidden)])
            if candidate is None and self._hideable(relation.total, hidden):
                candidate = relation.total
            if candidate is not None and (
                best is None or self._values[candidate] < self._values[best]
            ):
                best = candidate
        if best is None:
            # Not in any relation with a shown cell: look one step further along the chain.
            for relation in self._relations:
                cells = (relation.total, *relation.parts)
                if any(c in hidden for c in cells):
                    candidate = self._smallest([p for p in cells if self._hideable(p, hidden)])
                    if candidate is not None:
                        best = candidate
                        break
        if best is None:
            return False
        hide(best)
        return True
