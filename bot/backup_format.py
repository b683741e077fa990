"""The encrypted backup file: streamed, authenticated, readable only with the backup private key.

The server holds only the backup *public* key, so a stolen backup, or the server itself,
cannot open a backup; the private key stays with the operator (``consultbot backup keygen``).

File layout (all integers big-endian)::

    magic        20 bytes  b"CONSULTBOT-BACKUP-1\\n" (the trailing digit is the format version)
    sealed_len    2 bytes  length of the next field (80)
    sealed_key   80 bytes  SealedBox(backup public key).encrypt(stream key, 32 random bytes)
    stream_hdr   24 bytes  libsodium secretstream (XChaCha20-Poly1305) header
    frames       repeated: 4-byte length, then a secretstream message of that length
                 (plaintext + 17 bytes)

The first frame holds a JSON manifest (format, creation time, schema version) and is
authenticated together with every byte before it (as associated data), so the header cannot
be swapped. The next frames are the SQLite file in chunks of :data:`CHUNK_SIZE`; the last
frame carries the ``FINAL`` tag. Secretstream numbers the frames implicitly, so a frame
removed, repeated or reordered fails authentication, and a file cut short lacks ``FINAL``.
Memory use is one chunk, whatever the size of the database.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final

from nacl import bindings as sodium
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

__all__ = [
    "CHUNK_SIZE",
    "MAGIC",
    "BackupDamaged",
    "BackupError",
    "BackupTruncated",
    "NotABackup",
    "WrongBackupKey",
    "decrypt_backup",
    "encrypt_backup",
    "generate_backup_keys",
    "read_manifest",
]

MAGIC: Final = b"CONSULTBOT-BACKUP-1\n"
CHUNK_SIZE: Final = 1024 * 1024
PRIVATE_KEY_NAME: Final = "consultbot-backup.key"
PUBLIC_KEY_NAME: Final = "consultbot-backup.pub"
_SEALED_KEY_SIZE: Final = 32 + 48  # the stream key, plus SealedBox's ephemeral key and MAC
_ABYTES: Final = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADER_SIZE: Final = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_FINAL: Final = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_TAG_MESSAGE: Final = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#: A manifest is a few hundred bytes; anything bigger than a chunk is damage, not data.
_MAX_FRAME: Final = CHUNK_SIZE + _ABYTES


class BackupError(Exception):
    """A backup file cannot be used; the message says why in an operator's words."""


class NotABackup(BackupError):
    """The file does not start like a consultbot backup."""


class WrongBackupKey(BackupError):
    """The backup was encrypted to another public key than this private key's."""


class BackupDamaged(BackupError):
    """A frame fails authentication: the file was changed or corrupted."""


class BackupTruncated(BackupError):
    """The file ends before its final frame: an interrupted copy or a full disk."""


def encrypt_backup(source: BinaryIO, output: BinaryIO, public_key: PublicKey,
                   manifest: dict[str, object]) -> None:
    """Write ``source`` (the SQLite snapshot) encrypted to ``public_key`` into ``output``."""
    stream_key = sodium.crypto_secretstream_xchacha20poly1305_keygen()
    sealed_key = SealedBox(public_key).encrypt(stream_key)
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, stream_key)
    preamble = MAGIC + struct.pack(">H", len(sealed_key)) + sealed_key + header
    output.write(preamble)
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode("utf-8")
    _write_frame(output, sodium.crypto_secretstream_xchacha20poly1305_push(
        state, manifest_bytes, preamble, _TAG_MESSAGE))
    chunk = source.read(CHUNK_SIZE)
    while True:
        following = source.read(CHUNK_SIZE)
        tag = _TAG_FINAL if not following else _TAG_MESSAGE
        _write_frame(output, sodium.crypto_secretstream_xchacha20poly1305_push(
            state, chunk, None, tag))
        if not following:
            return
        chunk = following


def decrypt_backup(backup: BinaryIO, output: BinaryIO, private_key: PrivateKey) -> dict[str, object]:
    """Decrypt a backup into ``output``; returns its manifest.

    ``output`` receives plaintext as frames are verified; when this raises, whatever was
    written must be thrown away (the caller writes to a temporary file).

    Raises:
        NotABackup, WrongBackupKey, BackupDamaged, BackupTruncated: see their docstrings.
    """
    frames = _frames(backup, private_key)
    manifest = next(frames)
    for plaintext in frames:
        output.write(plaintext)
    return _parse_manifest(manifest)


def read_manifest(backup: BinaryIO, private_key: PrivateKey) -> dict[str, object]:
    """Only the manifest (schema version, date) of a backup, without reading the rest."""
    return _parse_manifest(next(_frames(backup, private_key)))


def _frames(backup: BinaryIO, private_key: PrivateKey) -> Iterator[bytes]:
    magic = backup.read(len(MAGIC))
    if magic != MAGIC:
        if magic.startswith(b"CONSULTBOT-BACKUP-"):
            raise NotABackup("this backup was written in a newer format; restore it with the "
                             "consultbot release that wrote it or a later one")
        raise NotABackup("this is not a consultbot backup file")
    length_bytes = _read_exactly(backup, 2)
    (sealed_len,) = struct.unpack(">H", length_bytes)
    if sealed_len != _SEALED_KEY_SIZE:
        raise BackupDamaged("the backup header is damaged")
    sealed_key = _read_exactly(backup, sealed_len)
    header = _read_exactly(backup, _HEADER_SIZE)
    try:
        stream_key = SealedBox(private_key).decrypt(sealed_key)
    except CryptoError:
        raise WrongBackupKey("this backup was not encrypted to this key: use the private key "
                             "whose public key the server had when the backup was taken"
                             ) from None
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, stream_key)
    associated: bytes | None = magic + length_bytes + sealed_key + header
    while True:
        frame = _read_frame(backup)
        try:
            plaintext, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                state, frame, associated)
        except CryptoError:
            raise BackupDamaged("the backup is damaged or was altered (a part fails its "
                                "authentication check)") from None
        associated = None
        if tag == _TAG_FINAL:
            if backup.read(1):
                raise BackupDamaged("the backup has data after its end")
            yield plaintext
            return
        yield plaintext


def _parse_manifest(raw: bytes) -> dict[str, object]:
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise BackupDamaged("the backup manifest is unreadable") from None
    if not isinstance(manifest, dict):
        raise BackupDamaged("the backup manifest is unreadable")
    return manifest


def _write_frame(output: BinaryIO, ciphertext: bytes) -> None:
    output.write(struct.pack(">I", len(ciphertext)))
    output.write(ciphertext)


def _read_frame(backup: BinaryIO) -> bytes:
    (length,) = struct.unpack(">I", _read_exactly(backup, 4))
    if not _ABYTES <= length <= _MAX_FRAME:
        raise BackupDamaged("the backup is damaged (impossible frame length)")
    return _read_exactly(backup, length)


def _read_exactly(backup: BinaryIO, size: int) -> bytes:
    data = backup.read(size)
    if len(data) != size:
        raise BackupTruncated("the backup file is incomplete (cut short): the copy was "
                              "interrupted or the disk was full; use another backup")
    return data


_PRIVATE_HEADER = ("# consultbot BACKUP PRIVATE key: keep it off the server; it opens every "
                   "backup\n")
_PUBLIC_HEADER = "# consultbot backup public key: the server encrypts backups to it\n"


def generate_backup_keys(directory: Path) -> tuple[Path, Path]:
    """Create the backup key pair in ``directory`` (the same file format as report keys).

    Returns:
        ``(private_key_path, public_key_path)``; the private key file has mode 0600.

    Raises:
        FileExistsError: A key file is already there (replacing it would orphan backups).
    """
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_KEY_NAME, directory / PUBLIC_KEY_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise FileExistsError(path)
    key = PrivateKey.generate()
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(_PRIVATE_HEADER + base64.b64encode(bytes(key)).decode("ascii") + "\n")
    public_path.write_text(
        _PUBLIC_HEADER + base64.b64encode(bytes(key.public_key)).decode("ascii") + "\n",
        encoding="ascii")
    return private_path, public_path
