"""Cell-key perturbation: the small, consistent noise every published count carries.

The method is the Australian Bureau of Statistics' cell-key method (TableBuilder):

- every submitted response has a **record key**, a number in ``[0, RECORD_KEY_RANGE)``
  derived from a secret (:func:`record_key`), so nobody without the server's key can
  predict it;
- a cell's **cell key** is the sum of the record keys of the responses it counts, modulo
  the range. It depends on *which* responses a cell counts, not on which table it sits in:
  "chose garment" in the overall table, the "garment" group size of a breakdown, and
  "answered the follow-up asked only to garment workers" count the same people, so they get
  the same cell key and the same noise, and averaging many tables teaches nothing;
- the published count is ``true + noise(true, cell key)``, the noise drawn from the fixed
  distribution :data:`NOISE_PROBABILITIES` by the cell key, but never below ``min_cell``
  (:func:`perturb`). Zero stays zero.

Because noise is a function of the contributing responses, asking again gives the same
numbers (no averaging over repeated requests), and adding one response changes the cell key
of every cell it joins to an unrelated value: the difference of two publications is the
true difference plus the difference of two independent noises. The publication layer also
moves results forward only in steps of at least ``min_cell`` responses and whole days
(:mod:`surveys.snapshot`), so a difference never isolates one person.

Cell keys add up exactly like counts (a margin's key is the sum of its parts' keys), which
is why aggregation carries ``(count, key)`` pairs everywhere it carries counts.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "EXACT",
    "MAX_NOISE",
    "NOISE_PROBABILITIES",
    "PROTECTED",
    "RECORD_KEY_RANGE",
    "Protection",
    "content_record_key",
    "noise",
    "perturb",
    "record_key",
]

#: Record and cell keys live in ``[0, RECORD_KEY_RANGE)``. 2**20 keeps a million-response
#: key sum exactly representable as a float (numpy) and far below 2**63 as an int.
RECORD_KEY_RANGE = 1 << 20

#: The noise distribution: value -> probability. Symmetric with mean 0 and variance 1.2;
#: the largest possible noise, :data:`MAX_NOISE`, is what an attacker must allow for.
NOISE_PROBABILITIES: dict[int, float] = {-2: 0.1, -1: 0.2, 0: 0.4, 1: 0.2, 2: 0.1}
MAX_NOISE = max(abs(v) for v in NOISE_PROBABILITIES)

_VALUES = sorted(NOISE_PROBABILITIES)
_THRESHOLDS = [round(p * RECORD_KEY_RANGE) for p in
               accumulate(NOISE_PROBABILITIES[v] for v in _VALUES)][:-1]


@dataclass(frozen=True, slots=True)
class Protection:
    """Which protections a publication applies.

    Production always uses :data:`PROTECTED`. :data:`EXACT` exists for tests of the
    arithmetic, and so the attack tests can show that they succeed once protection is
    switched off (a privacy test that cannot fail proves nothing).

    Attributes:
        noise: Perturb every shown count with cell-key noise; means, medians and
            percentages are then computed from the perturbed counts only.
        complementary: Hide complementary cells so no hidden cell follows by subtraction.
    """

    noise: bool = True
    complementary: bool = True


PROTECTED = Protection()
EXACT = Protection(noise=False, complementary=True)


def record_key(secret: bytes, response_id: str) -> int:
    """The record key of one response: a keyed hash of its stored id, in the key range.

    Args:
        secret: The publication key (derived from the server secret; never published).
        response_id: The response's stable storage id.
    """
    digest = hashlib.blake2b(response_id.encode(), key=secret[:64], digest_size=8).digest()
    return int.from_bytes(digest, "big") % RECORD_KEY_RANGE


def content_record_key(content: object) -> int:
    """A record key for responses given without one (pure callers and tests).

    Stable for the same response content, so a pure summary is reproducible; production
    uses :func:`record_key`, which an attacker cannot compute.
    """
    digest = hashlib.blake2b(repr(content).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % RECORD_KEY_RANGE


def noise(count: int, cell_key: int) -> int:
    """The noise added to a cell of ``count`` responses whose key sum is ``cell_key``.

    Zero cells stay zero (nobody is in them, and "nobody" is not a disclosure); the
    perturbed count is never negative.
    """
    if count <= 0:
        return 0
    value = _VALUES[bisect_right(_THRESHOLDS, cell_key % RECORD_KEY_RANGE)]
    return max(value, -count)


def perturb(count: int, cell_key: int, floor: int = 0) -> int:
    """``count`` plus its noise: the number that is published.

    Args:
        count: The true count.
        cell_key: The cell's key.
        floor: The smallest count ever shown (``min_cell``). A shown cell is never
            published below it: readers know every shown count is at least ``min_cell``,
            so "5 minus 2 = 3" would tell them the count is exactly 5. Clamped, a
            published ``min_cell`` stands for anything up to ``min_cell + MAX_NOISE``.
    """
    if count <= 0:
        return 0
    return max(floor, count + noise(count, cell_key))
