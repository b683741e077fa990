"""Encryption of report bodies, follow-ups, files, moderator replies and notes.

Two modes, chosen by the operator:

* **sealed** (``CONSULTBOT_REPORT_KEY`` names the moderators' public key file): what a
  reporter writes (description, follow-ups, files) and the moderators' internal notes are
  sealed with PyNaCl's :class:`~nacl.public.SealedBox` to that key. A moderator's reply is
  encrypted with a fresh random key that is itself sealed twice: to the report's own
  public key (derived from the receipt, :mod:`storage.reporter_keys`) and to the
  moderators' key. The server holds none of the private keys, so neither it, nor anyone
  with the data directory and the secret key file, can read either direction; the
  reporter opens replies with the receipt through ``/status``, moderators read everything
  on their own machine with ``consultbot reports --key``.
* **server** (no key configured): a :class:`~nacl.secret.SecretBox` keyed by
  the key derived for ``REPORTS_PURPOSE``; the database alone is unreadable, the database
  plus the secret key file is not.

Every plaintext is padded to a size bucket first (:mod:`storage.padding`), so ciphertext
lengths reveal only the bucket. Every ciphertext starts with one byte naming its scheme,
so reports filed before an operator switched modes, or before padding existed
(schemes 1 and 2), stay readable by whoever can read that scheme.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import SecretBox
from nacl.utils import random as random_bytes

from storage.padding import PaddingError, pad, unpad

__all__ = [
    "PRIVATE_KEY_NAME",
    "PUBLIC_KEY_NAME",
    "CannotOpen",
    "PrivateKeyGiven",
    "ReportCipher",
    "generate_key_pair",
    "load_private_key",
    "load_public_key",
]

# Before padding (kept only to read old reports; nothing new is written with them).
SCHEME_SERVER = b"\x01"
SCHEME_SEALED = b"\x02"
# Padded: server key; sealed to the moderators; a reply sealed to reporter and moderators.
SCHEME_SERVER_PADDED = b"\x11"
SCHEME_SEALED_PADDED = b"\x12"
SCHEME_REPLY = b"\x13"

# A content key sealed to one public key: an ephemeral public key (32), a MAC (16), the key (32).
_WRAPPED = PublicKey.SIZE + SecretBox.MACBYTES + SecretBox.KEY_SIZE

PUBLIC_KEY_NAME = "consultbot-reports.pub"
PRIVATE_KEY_NAME = "consultbot-reports.key"
_PUBLIC_HEADER = "# consultbot moderators' public key: point CONSULTBOT_REPORT_KEY at this file\n"
_PRIVATE_HEADER = (
    "# consultbot moderators' PRIVATE key: keep it off the server; it opens every sealed report\n"
)
#: What marks the private key file's header, so it is never taken for the public key.
_PRIVATE_MARK = "moderators' PRIVATE key"


class PrivateKeyGiven(ValueError):
    """The moderators' private key file was given where their public key belongs.

    Both files hold one base64 line of 32 bytes, so without this the private key would load
    as a "public" key: reports sealed to it could be opened by nobody, and the key meant to
    stay on the moderators' computer would be on the server.
    """


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
        padding: Whether plaintexts are padded to size buckets. Always on in the product;
            tests switch it off to show that the length attack it stops then works.
    """

    server_key: bytes | None = None
    public_key: PublicKey | None = None
    private_key: PrivateKey | None = None
    padding: bool = True

    @property
    def sealed(self) -> bool:
        """Whether new reporter content is sealed to the moderators (the server cannot read it)."""
        return self.public_key is not None

    def _pad(self, plaintext: bytes) -> bytes:
        return pad(plaintext) if self.padding else _unpadded_marker(plaintext)

    def seal(self, plaintext: bytes) -> bytes:
        """Encrypt reporter content or a moderators' note under the configured mode."""
        if self.public_key is not None:
            return SCHEME_SEALED_PADDED + SealedBox(self.public_key).encrypt(self._pad(plaintext))
        return self._seal_for_server(plaintext)

    def seal_reply(self, plaintext: bytes, reporter_key: PublicKey | None) -> bytes:
        """Encrypt a moderator's reply for the reporter (and the moderators).

        Args:
            plaintext: The reply.
            reporter_key: The report's own public key; ``None`` for reports filed before
                reports had one, whose replies the server must keep readable for ``/status``.
        """
        if self.public_key is None or reporter_key is None:
            return self._seal_for_server(plaintext)
        content_key = random_bytes(SecretBox.KEY_SIZE)
        return (
            SCHEME_REPLY
            + SealedBox(reporter_key).encrypt(content_key)
            + SealedBox(self.public_key).encrypt(content_key)
            + bytes(SecretBox(content_key).encrypt(self._pad(plaintext)))
        )

    def _seal_for_server(self, plaintext: bytes) -> bytes:
        if self.server_key is None:
            raise CannotOpen("no server key in this process")
        return SCHEME_SERVER_PADDED + bytes(SecretBox(self.server_key).encrypt(self._pad(plaintext)))

    def can_open(self, ciphertext: bytes, reporter_key: PrivateKey | None = None) -> bool:
        """Whether :meth:`open` has the key for this ciphertext (without decrypting it)."""
        scheme = ciphertext[:1]
        if scheme in (SCHEME_SERVER, SCHEME_SERVER_PADDED):
            return self.server_key is not None
        if scheme in (SCHEME_SEALED, SCHEME_SEALED_PADDED):
            return self.private_key is not None
        if scheme == SCHEME_REPLY:
            return self.private_key is not None or reporter_key is not None
        return False

    def open(self, ciphertext: bytes, reporter_key: PrivateKey | None = None) -> bytes:
        """Decrypt content.

        Args:
            ciphertext: What :meth:`seal` or :meth:`seal_reply` made (any version).
            reporter_key: The report's private key derived from its receipt, which opens
                replies sealed to the reporter.

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
            if scheme == SCHEME_SERVER_PADDED and self.server_key is not None:
                return _unpad(SecretBox(self.server_key).decrypt(body))
            if scheme == SCHEME_SEALED_PADDED and self.private_key is not None:
                return _unpad(SealedBox(self.private_key).decrypt(body))
            if scheme == SCHEME_REPLY:
                return self._open_reply(body, reporter_key)
        except CryptoError as error:
            raise CannotOpen("ciphertext does not decrypt") from error
        raise CannotOpen("no key for this ciphertext here")

    def _open_reply(self, body: bytes, reporter_key: PrivateKey | None) -> bytes:
        for_reporter, for_moderators = body[:_WRAPPED], body[_WRAPPED : 2 * _WRAPPED]
        if reporter_key is not None:
            content_key = SealedBox(reporter_key).decrypt(for_reporter)
        elif self.private_key is not None:
            content_key = SealedBox(self.private_key).decrypt(for_moderators)
        else:
            raise CannotOpen("no key for this reply here")
        return _unpad(SecretBox(content_key).decrypt(body[2 * _WRAPPED :]))


def _unpadded_marker(plaintext: bytes) -> bytes:
    # Padding switched off (tests only): still length-prefixed, so opening works the same.
    return len(plaintext).to_bytes(4, "big") + plaintext


def _unpad(padded: bytes) -> bytes:
    try:
        return unpad(padded)
    except PaddingError as error:
        raise CannotOpen("padding is damaged") from error


def _read_key(path: Path) -> bytes:
    return _decode_key(path, path.read_text(encoding="ascii"))


def _decode_key(path: Path, text: str) -> bytes:
    lines = [
        line.strip()
        for line in text.splitlines()
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
        PrivateKeyGiven: The file is the moderators' private key (its header says so).
        ValueError: The file is not a consultbot public key (it must never silently
            fall back to server-key mode).
        OSError: The file cannot be read.
    """
    text = path.read_text(encoding="ascii")
    if any(line.lstrip().startswith("#") and _PRIVATE_MARK in line for line in text.splitlines()):
        raise PrivateKeyGiven(f"{path} is the moderators' private key, not their public key")
    return PublicKey(_decode_key(path, text))


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
