"""Answer keys back into export rows: each distinct key is decoded once, not each response.

Storage can hand the protected export one JSON text per response instead of a dozen cells
(``storage.answer_keys``): ``[version, language, [answers...]]`` then ``[answers...]``. Responses
that export the same row have the same key, so the export decodes, protects and formats
each distinct key once and only looks the rest up. This module turns a key into the scalar
row :class:`surveys.microdata.MicrodataPlan` reads, ``(version, None, language, *cells)``
with the cells of :func:`surveys.export.cell_columns` computed by
:func:`surveys.export.answer_cells` (the Python reference of storage's cell SQL).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from surveys.export import answer_cells
from surveys.model import Survey

__all__ = ["KeyDecoder"]


class KeyDecoder:
    """Decodes the keys of one read (the same questions, in the same order, as storage's).

    Args:
        questions: The questions whose answers the key's first part lists, in that order.
        rest: The questions whose answers its second part lists.
    """

    __slots__ = ("_cells", "_questions", "_rest")

    def __init__(self, survey: Survey, questions: Sequence[str],
                 rest: Sequence[str] = ()) -> None:
        self._questions = tuple(questions)
        self._rest = tuple(rest)
        self._cells = answer_cells(survey)

    def row(self, key: str) -> tuple[Any, ...]:
        """The scalar row of a key's first part (no submission day: keys carry none)."""
        version, language, answers = json.loads(key)
        return (version, None, language,
                *self._cells(dict(zip(self._questions, answers, strict=True))))

    def rest_row(self, part: str) -> tuple[Any, ...]:
        """The scalar row of a key's second part (version and language unknown: None)."""
        answers = json.loads(part) if part else []  # no part: nothing but quasi-identifiers
        return (None, None, None, *self._cells(dict(zip(self._rest, answers, strict=True))))
