"""Encryption modes: server key, sealed to moderators, key files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storage.attachments import clean_attachment, pack_attachment, unpack_attachment
from storage.sealing import (
    CannotOpen,
    PrivateKeyGiven,
    ReportCipher,
    generate_key_pair,
    load_private_key,
    load_public_key,
)


def test_server_mode_round_trip() -> None:
    cipher = ReportCipher(server_key=b"s" * 32)
    sealed = cipher.seal(b"wages unpaid since March")
    assert b"wages" not in sealed
    assert cipher.open(sealed) == b"wages unpaid since March"
    assert not cipher.sealed


def test_sealed_mode_server_cannot_decrypt(tmp_path: Path) -> None:
    private_path, public_path = generate_key_pair(tmp_path)
    server = ReportCipher(server_key=b"s" * 32, public_key=load_public_key(public_path))
    sealed = server.seal(b"the manager threatened organisers")
    assert server.sealed and not server.can_open(sealed)
    with pytest.raises(CannotOpen):
        server.open(sealed)
    moderator = ReportCipher(private_key=load_private_key(private_path))
    assert moderator.open(sealed) == b"the manager threatened organisers"


def test_replies_to_old_reports_stay_readable_by_the_server_in_sealed_mode(
    tmp_path: Path,
) -> None:
    # A report filed before reports had their own key: its reporter reads replies only
    # through the server, so they must stay server-readable.
    _, public_path = generate_key_pair(tmp_path)
    server = ReportCipher(server_key=b"s" * 32, public_key=load_public_key(public_path))
    assert server.open(server.seal_reply(b"we are looking into it", None)) == (
        b"we are looking into it")


def test_tampered_ciphertext_is_refused() -> None:
    cipher = ReportCipher(server_key=b"s" * 32)
    sealed = bytearray(cipher.seal(b"text"))
    sealed[-1] ^= 1
    with pytest.raises(CannotOpen):
        cipher.open(bytes(sealed))


def test_keygen_private_key_is_0600_and_never_overwritten(tmp_path: Path) -> None:
    private_path, public_path = generate_key_pair(tmp_path / "keys")
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert private_path.read_text() != public_path.read_text()
    with pytest.raises(FileExistsError):
        generate_key_pair(tmp_path / "keys")


def test_a_broken_key_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.pub"
    path.write_text("not a key\n")
    with pytest.raises(ValueError):
        load_public_key(path)


def test_the_private_key_is_never_taken_for_the_public_key(tmp_path: Path) -> None:
    # Both files are one base64 line of 32 bytes: only the header tells them apart.
    private_path, public_path = generate_key_pair(tmp_path)
    with pytest.raises(PrivateKeyGiven):
        load_public_key(private_path)
    assert load_private_key(private_path).public_key == load_public_key(public_path)


def test_documents_keep_bytes_but_lose_their_name() -> None:
    cleaned = clean_attachment(b"%PDF-1.4 payroll", "application/pdf", ".pdf")
    assert cleaned.name == "document.pdf" and cleaned.data == b"%PDF-1.4 payroll"
    assert unpack_attachment(pack_attachment(cleaned)) == cleaned
