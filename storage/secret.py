"""The server secret: pseudonyms for participants and keys for server-side encryption.

The secret is 32 random bytes in a key file **outside** the data directory (see
:mod:`storage.keyfile`), never in the database: someone holding a copy of the data
directory cannot recompute a pseudonym from a Telegram id, so it does not say who answered
what (ARCHITECTURE.md, "Storage").

Every use of the secret is domain-separated by a label (the constants below), so a
respondent pseudonym, a participant pseudonym and an encryption key can never coincide, and
pseudonyms of the same person in two surveys cannot be linked. A label is part of what is
stored: changing one changes every pseudonym or key derived with it, so they never change.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Final

from storage.errors import SecretKeyError
from storage.keyfile import (
    KEY_SIZE,
    LEGACY_KEY_FILE_NAME,
    create_key_file,
    legacy_key_file,
    load_key,
    read_key_file,
)

__all__ = [
    "AUDIT_ACTOR_PURPOSE",
    "AUDIT_PURPOSE",
    "DELETION_CODES_PURPOSE",
    "INVITES_PURPOSE",
    "KEY_FILE_NAME",
    "KEY_SIZE",
    "PARTICIPANT_LABEL",
    "PUBLICATION_PURPOSE",
    "RECEIPTS_PURPOSE",
    "REPORTS_PURPOSE",
    "RESPONDENT_LABEL",
    "TOTP_PURPOSE",
    "ServerSecret",
]

#: Deprecated name of the key file inside the data directory (older installations); new
#: code passes a key file outside it (``Storage.open(..., key_file=...)``).
KEY_FILE_NAME: Final = LEGACY_KEY_FILE_NAME

# --- pseudonym labels: HMAC(key, label \0 parts) -----------------------------------------

#: A respondent of one survey: keys the draft and the "has responded" marker. Separate from
#: every other use so the same person's rows in two surveys, or in preferences, never match.
RESPONDENT_LABEL: Final = b"respondent"
#: A participant's preferences (consent, language) and report-status sessions: one per
#: person, deliberately different from any respondent pseudonym so preferences cannot be
#: joined to answers from the database alone.
PARTICIPANT_LABEL: Final = b"participant"

# --- derived keys: HKDF-Expand(key, "consultbot:" + purpose) ------------------------------

#: Server-side encryption of reports when no moderator public key is configured.
REPORTS_PURPOSE: Final = "reports"
#: The HMAC that turns a report receipt into its lookup id (never the receipt itself).
RECEIPTS_PURPOSE: Final = "receipts"
#: The HMAC that turns a response's deletion code into its lookup id (never the code itself).
DELETION_CODES_PURPOSE: Final = "deletion-codes"
#: The HMAC chaining audit-log entries, so an edit of the log is detected.
AUDIT_PURPOSE: Final = "audit"
#: The pseudonym of a moderator in the audit log: matches no participant pseudonym.
AUDIT_ACTOR_PURPOSE: Final = "audit-actor"
#: The key that encrypts moderators' TOTP secrets at rest (never stored in plain text).
TOTP_PURPOSE: Final = "totp"
#: The HMAC under which invite codes are stored (a code is never stored itself).
INVITES_PURPOSE: Final = "invites"
#: Record keys of submitted responses, which decide every published count's noise
#: (``surveys.perturbation``); storage adds them into the tallies as responses arrive.
PUBLICATION_PURPOSE: Final = "publication"

#: Prefix of every derived key's HKDF info: keys of another application using the same
#: secret (there should be none) still could not coincide with ours.
_DERIVE_PREFIX: Final = b"consultbot:"


class ServerSecret:
    """The secret key, and the values derived from it. Never logged, never stored in SQL."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        """Wrap raw key bytes (use :meth:`load` for a key file)."""
        if len(key) != KEY_SIZE:
            raise SecretKeyError(f"the secret key must be {KEY_SIZE} bytes, not {len(key)}")
        self._key = bytes(key)

    def __repr__(self) -> str:
        return "ServerSecret(<hidden>)"

    @classmethod
    def load(cls, key_file: Path | None, data_dir: Path, *, create: bool = True) -> ServerSecret:
        """The secret of this data directory, from ``key_file`` (outside it).

        See :func:`storage.keyfile.load_key` for the rules (refusals, the legacy key).

        Raises:
            UnsafeKeyFile: The key file is inside the data directory or not private.
            SecretKeyError: It is missing (``create=False``), damaged or ambiguous.
        """
        return cls(load_key(key_file, data_dir, create=create))

    @classmethod
    def load_or_create(cls, data_dir: Path) -> ServerSecret:
        """Deprecated: the key inside ``data_dir`` (older installations), created if missing.

        Kept for callers not yet given a key file; use :meth:`load`.

        Raises:
            SecretKeyError: The file exists but has the wrong size, is not a regular file,
                or is readable or writable by group or others.
        """
        path = legacy_key_file(data_dir)
        if not path.exists():
            create_key_file(path)
        return cls(read_key_file(path))

    def _mac(self, label: bytes, *parts: bytes) -> bytes:
        # label\0part\0part: the labels and survey ids contain no NUL, so the encoding of
        # (label, parts) is unambiguous and different uses can never collide.
        return hmac.new(self._key, b"\0".join((label, *parts)), hashlib.sha256).digest()

    def respondent_key(self, survey_id: str, user_id: int) -> str:
        """The pseudonym of a Telegram user as a respondent of one survey (64 hex chars).

        Stable for the same survey (so a response can be resumed), different across surveys
        (so responses cannot be linked), not reversible without the key file.
        """
        if "\0" in survey_id:
            raise ValueError("a survey id cannot contain NUL")
        return self._mac(RESPONDENT_LABEL, survey_id.encode(), str(int(user_id)).encode()).hex()

    def participant_key(self, user_id: int) -> str:
        """The pseudonym of a Telegram user for their preferences (64 hex chars)."""
        return self._mac(PARTICIPANT_LABEL, str(int(user_id)).encode()).hex()

    def derive_key(self, purpose: str) -> bytes:
        """A 32-byte key for one purpose (one of the ``*_PURPOSE`` constants).

        This is HKDF-Expand (RFC 5869) with the key file as the pseudorandom key and
        ``consultbot:<purpose>`` as the info, for a single output block.
        """
        if not purpose:
            raise ValueError("a purpose is required")
        info = _DERIVE_PREFIX + purpose.encode()
        return hmac.new(self._key, info + b"\x01", hashlib.sha256).digest()
