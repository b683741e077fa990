"""Encryption of report bodies, follow-ups and files.

Two modes, chosen by the operator:

* **sealed** (``CONSULTBOT_REPORT_KEY`` names the moderators' public key file): everything
  a reporter writes is sealed with PyNaCl's :class:`~nacl.public.SealedBox` to that key.
  The server holds no private key, so neither it nor anyone with a copy of the data
  directory can read a report; moderators decrypt on their own machine with
  ``consultbot reports --key``.
* **server** (no key configured): a :class:`~nacl.secret.SecretBox` keyed by
  the key derived for ``REPORTS_PURPOSE``; the database alone is unreadable, the database
  plus the secret key file is not.

Every ciphertext starts with one byte naming its scheme, so reports filed before an
operator switched modes stay readable by whoever can read that scheme.

Moderator replies are always server-encrypted: the server must show them to the reporter
through ``/status``, and a moderator's reply is not the reporter's secret.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox

__all__ = [
    "PRIVATE_KEY_NAME",
    "PUBLIC_KEY_NAME",
    "CannotOpen",
    "ReportCipher",
    "generate_key_pair",
    "load_private_key",
    "load_public_key",
]

SCHEME_SERVER = b"\x01"
SCHEME_SEALED = b"\x02"

PUBLIC_KEY_NAME = "consultbot-reports.pub"
PRIVATE_KEY_NAME = "consultbot-reports.key"
_PUBLIC_HEADER = "# consultbot moderators' public key: point CONSULTBOT_REPORT_KEY at this file\n"
_PRIVATE_HEADER = (
    "# consultbot moderators' PRIVATE key: keep it off the server; it opens every sealed report\n"
)


class CannotOpen(Exception):
    """This process holds no key for the ciphertext (sealed on a server), or it is corrupt."""


@dataclass(frozen=True, slots=True)
class ReportCipher:
    """Seals new report content and opens what its keys allow.

    Attributes:
        server_key: 32 bytes from ``ServerSecret.derive_key(REPORTS_PURPOSE)``; ``None`` in the
            moderators' CLI, which reads sealed reports only.
        public_key: The moderators' public key; set means new content is sealed.
        private_key: The moderators' private key; only ever set on a moderator's machine.
    """

    server_key: bytes | None = None
    public_key: PublicKey | None = None
    private_key: PrivateKey | None = None

    @property
    def sealed(self) -> bool:
        """Whether new reporter content is sealed to the moderators (the server cannot read it)."""
        return self.public_key is not None

    def seal(self, plaintext: bytes) -> bytes:
        """Encrypt reporter content under the configured mode."""
        if self.public_key is not None:
            return SCHEME_SEALED + SealedBox(self.public_key).encrypt(plaintext)
        return self.seal_for_server(plaintext)

    def seal_for_server(self, plaintext: bytes) -> bytes:
        """Encrypt content the server must read back later (moderator replies)."""
        if self.server_key is None:
            raise CannotOpen("no server key in this process")
        return SCHEME_SERVER + bytes(SecretBox(self.server_key).encrypt(plaintext))

    def can_open(self, ciphertext: bytes) -> bool:
        """Whether :meth:`open` has the key for this ciphertext (without decrypting it)."""
        scheme = ciphertext[:1]
        if scheme == SCHEME_SERVER:
            return self.server_key is not None
        if scheme == SCHEME_SEALED:
            return self.private_key is not None
        return False

    def open(self, ciphertext: bytes) -> bytes:
        """Decrypt content.

        Raises:
            CannotOpen: The key for its scheme is not here (e.g. a sealed report on the
                server), or the ciphertext was tampered with.
        """
        scheme, body = ciphertext[:1], ciphertext[1:]
        try:
            if scheme == SCHEME_SERVER and self.server_key is not None:
                return SecretBox(self.server_key).decrypt(body)
            if scheme == SCHEME_SEALED and self.private_key is not None:
                return SealedBox(self.private_key).decrypt(body)
        except CryptoError as error:
            raise CannotOpen("ciphertext does not decrypt") from error
        raise CannotOpen("no key for this ciphertext here")


def _read_key(path: Path) -> bytes:
    lines = [
        line.strip()
        for line in path.read_text(encoding="ascii").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if len(lines) != 1:
        raise ValueError(f"{path}: expected one base64 key line")
    raw = base64.b64decode(lines[0], validate=True)
    if len(raw) != 32:
        raise ValueError(f"{path}: a key is 32 bytes")
    return raw


def load_public_key(path: Path) -> PublicKey:
    """Read the public key file written by :func:`generate_key_pair`.

    Raises:
        ValueError: The file is not a consultbot public key (it must never silently
            fall back to server-key mode).
        OSError: The file cannot be read.
    """
    return PublicKey(_read_key(path))


def load_private_key(path: Path) -> PrivateKey:
    """Read the private key file written by :func:`generate_key_pair`."""
    return PrivateKey(_read_key(path))


def generate_key_pair(directory: Path) -> tuple[Path, Path]:
    """Create the moderators' key pair in ``directory``.

    The private key file is created with mode 0600 from the start (never written
    world-readable and chmod-ed afterwards), and an existing file is never overwritten:
    replacing the private key would make every sealed report unreadable.

    Returns:
        ``(private_key_path, public_key_path)``.

    Raises:
        FileExistsError: A key file is already there.
    """
    directory.mkdir(parents=True, exist_ok=True)
    private_path = directory / PRIVATE_KEY_NAME
    public_path = directory / PUBLIC_KEY_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise FileExistsError(path)
    key = PrivateKey.generate()
    encoded_private = base64.b64encode(bytes(key)).decode("ascii")
    encoded_public = base64.b64encode(bytes(key.public_key)).decode("ascii")
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(_PRIVATE_HEADER + encoded_private + "\n")
    os.chmod(private_path, 0o600)  # in case the umask or the filesystem widened it
    public_path.write_text(_PUBLIC_HEADER + encoded_public + "\n", encoding="ascii")
    return private_path, public_path
