"""The reporter's own key pair, derived from their receipt code.

Each report gets a key pair whose private half is never stored anywhere: it is computed
from the receipt code (which only the reporter has) with Argon2id, a deliberately slow,
memory-hard function, and a random salt kept beside the report. Moderator replies are
sealed to the public half, so in sealed mode they can be opened only by someone holding
the receipt (the reporter, through ``/status``) or the moderators' private key — never by
the server from its database and secret key alone.

The cost parameters are stored with each report (``argon2id13:OPS:MEM``), so raising them
later never makes an older report's replies unreadable.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from nacl import pwhash
from nacl.public import PrivateKey, PublicKey

__all__ = [
    "DEFAULT_MEMLIMIT",
    "DEFAULT_OPSLIMIT",
    "ReporterKey",
    "derive_private_key",
    "new_reporter_key",
    "public_key_of",
]

#: libsodium's "interactive" Argon2id cost: 64 MiB and ~0.2 s per derivation. The
#: receipt already has 80 random bits, so this slows guessing further rather than
#: being the only protection.
DEFAULT_OPSLIMIT = pwhash.argon2id.OPSLIMIT_INTERACTIVE
DEFAULT_MEMLIMIT = pwhash.argon2id.MEMLIMIT_INTERACTIVE
_ALGORITHM = "argon2id13"


@dataclass(frozen=True, slots=True)
class ReporterKey:
    """What the database keeps of a reporter's key pair: the public half and how to re-derive.

    Attributes:
        public_key: 32 bytes; replies are sealed to it.
        salt: 16 random bytes, one per report.
        kdf: ``argon2id13:OPSLIMIT:MEMLIMIT``.
    """

    public_key: bytes
    salt: bytes
    kdf: str


def _derive(receipt: str, salt: bytes, kdf: str) -> PrivateKey:
    algorithm, ops, mem = kdf.split(":")
    if algorithm != _ALGORITHM:
        raise ValueError(f"unknown key derivation {algorithm!r}")
    seed = pwhash.argon2id.kdf(
        PrivateKey.SIZE, receipt.encode("ascii"), salt, opslimit=int(ops), memlimit=int(mem)
    )
    return PrivateKey(seed)


def new_reporter_key(
    receipt: str, opslimit: int = DEFAULT_OPSLIMIT, memlimit: int = DEFAULT_MEMLIMIT
) -> ReporterKey:
    """Derive a fresh report's key pair from its canonical receipt code (slow: use a thread).

    Returns:
        The public half and the parameters to store; the private half is discarded.
    """
    salt = secrets.token_bytes(pwhash.argon2id.SALTBYTES)
    kdf = f"{_ALGORITHM}:{opslimit}:{memlimit}"
    return ReporterKey(bytes(_derive(receipt, salt, kdf).public_key), salt, kdf)


def derive_private_key(receipt: str, stored: ReporterKey) -> PrivateKey | None:
    """Re-derive the private key from the receipt (slow: use a thread).

    Returns:
        The private key, or ``None`` when the code does not derive the stored public key
        (a wrong code must never be mistaken for the right one).
    """
    key = _derive(receipt, stored.salt, stored.kdf)
    if bytes(key.public_key) != stored.public_key:
        return None
    return key


def public_key_of(stored: ReporterKey) -> PublicKey:
    """The stored public half as a PyNaCl key."""
    return PublicKey(stored.public_key)
