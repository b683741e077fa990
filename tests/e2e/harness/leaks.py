"""Scan files byte by byte for a user's Telegram identity.

A leak can hide in many encodings; the scan looks for the id as decimal text and as a binary
integer in both byte orders, and for the names and username case-insensitively. Zip files
(XLSX exports) are scanned inside too, since their members are compressed.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.harness.users import Identity, TelegramUser

__all__ = ["Leak", "find_bytes", "find_leaks", "identity_needles"]


@dataclass(frozen=True)
class Leak:
    """One needle found in one file."""

    path: str
    what: str
    offset: int

    def __str__(self) -> str:
        return f"{self.path} @ {self.offset}: {self.what}"


def _integer_width(value: int) -> int:
    """Bytes SQLite uses for this integer in a record (1, 2, 3, 4, 6 or 8), the shortest form."""
    for width in (1, 2, 3, 4, 6, 8):
        if -(1 << (8 * width - 1)) <= value < (1 << (8 * width - 1)):
            return width
    raise ValueError(f"{value} does not fit 64 bits")


def identity_needles(identity: Identity | TelegramUser) -> dict[str, bytes]:
    """What betrays a user, label -> bytes.

    The binary forms are the id's big- and little-endian bytes at SQLite's record width (6 bytes
    for the harness's ids): the 6-byte big-endian form is the tail of the 8-byte one and the
    little-endian form its head, so one search covers 8-byte integers and SQLite records alike.
    Text needles (id, names) are matched case-insensitively by :func:`find_bytes`.
    """
    if isinstance(identity, TelegramUser):
        identity = identity.identity
    width = _integer_width(identity.user_id)
    return {
        "user id as decimal text": str(identity.user_id).encode(),
        f"user id as {width}-byte big-endian integer": identity.user_id.to_bytes(width, "big", signed=True),
        f"user id as {width}-byte little-endian integer": identity.user_id.to_bytes(width, "little", signed=True),
        "first name": identity.first_name.encode(),
        "last name": identity.last_name.encode(),
        "username": identity.username.encode(),
    }


def _blobs(paths: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    for given in paths:
        root = Path(given)
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            data = path.read_bytes()
            yield str(path), data
            if data.startswith(b"PK\x03\x04"):
                try:
                    with zipfile.ZipFile(io.BytesIO(data)) as archive:
                        for member in archive.namelist():
                            yield f"{path}!{member}", archive.read(member)
                except zipfile.BadZipFile:
                    pass


def find_bytes(paths: Iterable[Path], needles: Mapping[str, bytes]) -> list[Leak]:
    """Every (file, needle) where the needle occurs, with its first offset.

    Needles that are printable UTF-8 text are matched case-insensitively (ASCII letters).

    Args:
        paths: Files and directories (scanned recursively: every file, every byte).
        needles: label -> bytes to look for.
    """
    leaks: list[Leak] = []
    for name, data in _blobs(paths):
        lowered = data.lower()
        for label, needle in needles.items():
            offset = lowered.find(needle.lower()) if _is_text(needle) else data.find(needle)
            if offset >= 0:
                leaks.append(Leak(name, label, offset))
    return leaks


def _is_text(needle: bytes) -> bool:
    try:
        return needle.decode("utf-8").isprintable()
    except UnicodeDecodeError:
        return False


def find_leaks(
    paths: Iterable[Path], users: Iterable[Identity | TelegramUser], extra: Mapping[str, bytes] | None = None
) -> list[Leak]:
    """Every place a user's identity (or an ``extra`` needle) occurs under ``paths``.

    Typical use, after stopping the bot: ``assert find_leaks([data_dir, bot.log_path], [alice]) == []``.
    """
    needles: dict[str, bytes] = {}
    for user in users:
        identity = user.identity if isinstance(user, TelegramUser) else user
        for label, needle in identity_needles(identity).items():
            needles[f"{identity.first_name}'s {label}"] = needle
    needles |= dict(extra or {})
    return find_bytes(paths, needles)
