"""Receipt codes: the whistleblower's only way back to their report.

A receipt is 16 symbols of Crockford's base32 alphabet (``0-9`` and ``A-Z`` without
``I L O U``), i.e. 80 bits from :mod:`secrets`, shown in four groups: ``7KQ2-MX9D-4T1B-ZR8W``.
People copy it by hand, read it aloud or photograph a note, so :func:`normalize` forgives
case, spaces, dashes, and the look-alikes ``O``→``0`` and ``I``/``L``→``1``.

How it is stored, and why this way:

* ``lookup`` = HMAC-SHA256(server key for ``"receipts"``, code), first 16 bytes. It lets
  the database find the one candidate row with an index, so checking a code costs one
  scrypt, never one per row. Without the secret key file it reveals nothing about the
  code; with it, finding a code still means trying 2^80 candidates.
* ``hash`` = scrypt(code, 16-byte random salt, n=2^14, r=8, p=1): the slow salted hash the
  contract asks for. It is what actually proves the code, so a lookup collision or a
  leaked HMAC key alone never opens a report.

:func:`verify_receipt` always runs scrypt exactly once and compares in constant time,
against a dummy hash when no row matched, so a wrong code takes the same time whatever
it is.

Survey deletion codes (``storage.responses``) are the same 80-bit codes, stored the same
way but with ``slow=False``: a salted BLAKE2b instead of scrypt. A slow hash buys time
against guessing a *low-entropy* secret; against 2^80 codes drawn by :mod:`secrets` a fast
hash resists exactly as well, and scrypt was 60 % of the CPU of a participant's whole
survey (one per submission, bench/README.md, benchmark 1). Whistleblower receipts keep
scrypt, as the product contract asks. A fast hash is stored with a leading version byte
(:data:`FAST_PREFIX`, 33 bytes; a scrypt hash is 32), so codes hashed with scrypt
before stay valid.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "ALPHABET",
    "RECEIPT_BITS",
    "ReceiptHash",
    "format_receipt",
    "hash_receipt",
    "lookup_id",
    "new_receipt",
    "normalize",
    "verify_receipt",
]

#: Crockford's base32 alphabet: no I, L, O, U, so nothing reads as another symbol.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOLS = 16
GROUP = 4
RECEIPT_BITS = SYMBOLS * 5  # 80

# scrypt cost: ~16 MiB and a few tens of milliseconds per check; it runs once per
# /status attempt (in a worker thread), and wrong guesses are rate-limited on top.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
LOOKUP_BYTES = 16
#: First byte of a fast (BLAKE2b) hash; a scrypt hash is HASH_BYTES long with no prefix.
FAST_PREFIX = b"\x01"

_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Also the en and em dashes a phone keyboard substitutes for a typed hyphen.
_SEPARATORS = re.compile("[\\s\\-_.\u00b7\u2013\u2014]+")


@dataclass(frozen=True, slots=True)
class ReceiptHash:
    """What the database keeps of a receipt: never the code itself."""

    lookup: bytes
    salt: bytes
    hash: bytes


def new_receipt() -> str:
    """Draw a fresh receipt code from :mod:`secrets`.

    Returns:
        The canonical form: 16 symbols, no separators (see :func:`format_receipt`).
    """
    return "".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS))


def format_receipt(code: str) -> str:
    """Group a canonical code as ``XXXX-XXXX-XXXX-XXXX`` for writing down."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize(text: str) -> str | None:
    """Turn what a person typed into the canonical code, or ``None`` if it cannot be one.

    Args:
        text: User input, e.g. ``"7kq2 mx9d-4t1b zr8w"`` or ``"7KQ2-MX9D-4TLB-ZR8W"``.

    Returns:
        The 16-symbol canonical code, or ``None`` when the length or a symbol is wrong.
    """
    candidate = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if len(candidate) != SYMBOLS or any(symbol not in ALPHABET for symbol in candidate):
        return None
    return candidate


def lookup_id(code: str, lookup_key: bytes) -> bytes:
    """The indexed, non-secret-without-the-key lookup value of a canonical code."""
    return hmac.new(lookup_key, code.encode("ascii"), hashlib.sha256).digest()[:LOOKUP_BYTES]


def _scrypt(code: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        code.encode("ascii"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=64 * 1024 * 1024,
        dklen=HASH_BYTES,
    )


def _fast(code: str, salt: bytes) -> bytes:
    digest = hashlib.blake2b(code.encode("ascii"), digest_size=HASH_BYTES, salt=salt,
                             person=b"consultbot-code").digest()
    return FAST_PREFIX + digest


def _is_fast(digest: bytes) -> bool:
    """Whether a stored hash is a fast one: by its length, since a scrypt hash is random
    bytes and starts with :data:`FAST_PREFIX` one time in 256."""
    return len(digest) == len(FAST_PREFIX) + HASH_BYTES and digest.startswith(FAST_PREFIX)


def _proof(code: str, salt: bytes, *, slow: bool) -> bytes:
    return _scrypt(code, salt) if slow else _fast(code, salt)


def hash_receipt(code: str, lookup_key: bytes, *, slow: bool = True) -> ReceiptHash:
    """Compute what to store for a new canonical code.

    Args:
        slow: scrypt (whistleblower receipts: run it off the event loop) or a salted
            BLAKE2b (deletion codes; see the module docstring for why that is as safe).
    """
    salt = secrets.token_bytes(SALT_BYTES)
    return ReceiptHash(lookup=lookup_id(code, lookup_key), salt=salt,
                       hash=_proof(code, salt, slow=slow))


# A fixed dummy, so a code with no matching row still costs one scrypt and one compare.
_DUMMY = ReceiptHash(lookup=b"\0" * LOOKUP_BYTES, salt=b"\0" * SALT_BYTES, hash=b"\0" * HASH_BYTES)


def verify_receipt(code: str | None, stored: ReceiptHash | None, *, slow: bool = True) -> bool:
    """Check a code against its stored hash in time independent of the code.

    Args:
        code: The canonical code, or ``None`` if the input could not be normalised
            (it still costs a hash, so malformed and wrong codes look alike).
        stored: The row found by :func:`lookup_id`, or ``None``.
        slow: How codes of this kind are hashed now (:func:`hash_receipt`); it decides the
            dummy's cost when no row matched. A stored hash says itself which it is.

    Returns:
        ``True`` only for the right code of an existing report.
    """
    if stored is not None:
        candidate, slow = stored, not _is_fast(stored.hash)
    else:
        candidate = _DUMMY
    computed = _proof(code if code is not None else "0" * SYMBOLS, candidate.salt, slow=slow)
    matches = hmac.compare_digest(computed, candidate.hash)
    return matches and stored is not None and code is not None
