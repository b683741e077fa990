"""Padding plaintexts to size buckets, so a ciphertext's length says little about its text.

An encrypted message is exactly as long as its plaintext plus a fixed overhead, so
without padding anyone with the database learns how long each description, follow-up,
reply, note and file is — enough to tell "yes" from a page of testimony, or to match a
file against one seen elsewhere. Every plaintext is therefore prefixed with its length
(4 bytes) and filled with zero bytes up to its bucket before it is encrypted:

* the smallest power of two that holds it, from :data:`MIN_BUCKET` (256 bytes) up to
  :data:`POWER_OF_TWO_LIMIT` (1 MiB): 256 B, 512 B, 1 KiB, … 1 MiB;
* above 1 MiB (only files), the next multiple of 1 MiB, so a 10 MB photo costs at most
  1 MiB more instead of doubling.

All texts (at most 10,000 characters, ≤ 40 KB of UTF-8) fall into the power-of-two
buckets; what stays visible is which bucket a plaintext is in.
"""

from __future__ import annotations

import struct

__all__ = ["MIN_BUCKET", "POWER_OF_TWO_LIMIT", "PaddingError", "bucket_size", "pad", "unpad"]

#: The smallest bucket: every short text ("ok", "thank you") looks the same.
MIN_BUCKET = 256
#: Buckets double up to here, then grow in steps of this size.
POWER_OF_TWO_LIMIT = 1024 * 1024
_LENGTH = struct.Struct(">I")


class PaddingError(ValueError):
    """A padded plaintext whose length prefix does not fit it (corrupt, or not padded)."""


def bucket_size(length: int) -> int:
    """The padded size of a plaintext of ``length`` bytes (length prefix included)."""
    needed = length + _LENGTH.size
    if needed > POWER_OF_TWO_LIMIT:
        return -(-needed // POWER_OF_TWO_LIMIT) * POWER_OF_TWO_LIMIT
    size = MIN_BUCKET
    while size < needed:
        size *= 2
    return size


def pad(plaintext: bytes) -> bytes:
    """Prefix ``plaintext`` with its length and fill it with zeros to its bucket."""
    size = bucket_size(len(plaintext))
    return _LENGTH.pack(len(plaintext)) + plaintext + bytes(size - _LENGTH.size - len(plaintext))


def unpad(padded: bytes) -> bytes:
    """Inverse of :func:`pad`.

    Raises:
        PaddingError: The length prefix points past the end.
    """
    if len(padded) < _LENGTH.size:
        raise PaddingError("too short to be padded")
    (length,) = _LENGTH.unpack_from(padded)
    if length > len(padded) - _LENGTH.size:
        raise PaddingError("length prefix beyond the end")
    return padded[_LENGTH.size : _LENGTH.size + length]
