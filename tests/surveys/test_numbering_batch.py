"""RespondentNumbers.numbers (a batch in one loop) gives exactly what number() gives."""

from __future__ import annotations

import pytest

from surveys.numbering import RespondentNumbers


@pytest.mark.parametrize("size", [0, 1, 2, 7, 300, 5_000, 70_001])
def test_a_batch_is_the_numbers_one_by_one(size: int) -> None:
    numbering = RespondentNumbers(size, key=b"k" * 32)
    extra = 5  # rows submitted while the export ran are numbered after the expected ones
    batch = numbering.numbers(0, size // 3) + numbering.numbers(size // 3, size - size // 3 + extra)
    assert batch == [numbering.number(position) for position in range(size + extra)]
    assert sorted(batch[:size]) == list(range(1, size + 1))
    with pytest.raises(ValueError):
        numbering.numbers(-1, 2)
