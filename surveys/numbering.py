"""Random respondent numbers for one export, without holding every response in memory.

An export must not carry the pseudonym (it is stable, so two exports could be joined on it),
and responses arrive in pseudonym order, which is the same in every export. So each export
numbers its rows with a fresh random permutation of ``1..N``: a keyed bijection (a small
Feistel network over the next power of four, cycle-walking back into range) evaluated row by
row. Memory is constant, and a new random key per export means numbers never match across
exports.
"""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["RespondentNumbers"]

_ROUNDS = 4
#: Round functions over halves of at most this many bits are tabulated once per export
#: (4 x 2**12 digests at most, i.e. exports of up to 16.7 million rows): a million-row
#: export otherwise computes ~13 million blake2b digests, a third of its time (profile in
#: bench/README.md, benchmark 3). The numbers are the same either way.
_TABLE_MAX_BITS = 12


class RespondentNumbers:
    """A random bijection from row positions ``0..size-1`` to numbers ``1..size``.

    Rows beyond ``size`` (submitted while the export ran) get ``size+1, size+2, …``: still
    unique, and still unlinkable because row order itself is pseudonym order.
    """

    __slots__ = ("_half_bits", "_key", "_mask", "_size", "_tables")

    def __init__(self, size: int, key: bytes | None = None) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        self._size = size
        self._key = key if key is not None else secrets.token_bytes(32)
        bits = max(2, (max(size, 1) - 1).bit_length())
        self._half_bits = (bits + 1) // 2
        self._mask = (1 << self._half_bits) - 1
        self._tables: tuple[tuple[int, ...], ...] | None = None
        if size > 1 << self._half_bits and self._half_bits <= _TABLE_MAX_BITS:
            self._tables = tuple(
                tuple(self._round(round_number, half) for half in range(1 << self._half_bits))
                for round_number in range(_ROUNDS)
            )

    @property
    def size(self) -> int:
        """How many positions the permutation covers."""
        return self._size

    def number(self, position: int) -> int:
        """The respondent number of the row at ``position`` (0-based)."""
        if position < 0:
            raise ValueError("position must not be negative")
        if position >= self._size:
            return position + 1
        value = self._permute(position)
        while value >= self._size:  # cycle-walking: at most a few steps on average
            value = self._permute(value)
        return value + 1

    def numbers(self, first: int, count: int) -> list[int]:
        """The numbers of the ``count`` rows from position ``first`` on (a batch at once)."""
        if first < 0 or count < 0:
            raise ValueError("positions must not be negative")
        size = self._size
        tables = self._tables
        if tables is None:
            return [self.number(position) for position in range(first, first + count)]
        bits, mask = self._half_bits, self._mask
        out: list[int] = []
        append = out.append
        for position in range(first, first + count):
            if position >= size:
                append(position + 1)
                continue
            value = position
            while True:  # the tabulated rounds of _permute, inline: this runs once per row
                left, right = value >> bits, value & mask
                for table in tables:
                    left, right = right, left ^ table[right]
                value = (left << bits) | right
                if value < size:
                    break
            append(value + 1)
        return out

    def _permute(self, value: int) -> int:
        left, right = value >> self._half_bits, value & self._mask
        if self._tables is not None:
            for table in self._tables:
                left, right = right, left ^ table[right]
            return (left << self._half_bits) | right
        for round_number in range(_ROUNDS):
            left, right = right, left ^ self._round(round_number, right)
        return (left << self._half_bits) | right

    def _round(self, round_number: int, half: int) -> int:
        digest = hashlib.blake2b(
            half.to_bytes(8, "big") + bytes([round_number]), key=self._key, digest_size=8
        ).digest()
        return int.from_bytes(digest, "big") & self._mask
