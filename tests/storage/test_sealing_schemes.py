"""Size buckets, and reports written before padding and per-report keys stay readable."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nacl.public import PublicKey, SealedBox
from nacl.secret import SecretBox

from storage.database import Database
from storage.padding import MIN_BUCKET, POWER_OF_TWO_LIMIT, PaddingError, bucket_size, pad, unpad
from storage.receipts import hash_receipt, new_receipt
from storage.reporter_keys import derive_private_key, new_reporter_key
from storage.reports import ReportRepository
from storage.sealing import (
    SCHEME_SEALED,
    SCHEME_SERVER,
    CannotOpen,
    ReportCipher,
    generate_key_pair,
    load_private_key,
    load_public_key,
)

SERVER_KEY = b"s" * 32
RECEIPT_KEY = b"r" * 32


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "consultbot.sqlite3")
    yield database
    await database.close()


@pytest.mark.parametrize(("length", "bucket"), [
    (0, 256), (252, 256), (253, 512), (1020, 1024), (40_000, 65_536),
    (POWER_OF_TWO_LIMIT - 4, POWER_OF_TWO_LIMIT),
    (POWER_OF_TWO_LIMIT - 3, 2 * POWER_OF_TWO_LIMIT),
    (10 * 1024 * 1024, 11 * POWER_OF_TWO_LIMIT),
])
def test_buckets_are_powers_of_two_then_whole_mebibytes(length: int, bucket: int) -> None:
    assert bucket_size(length) == bucket
    assert bucket >= MIN_BUCKET


def test_pad_round_trips_and_hides_the_length() -> None:
    for text in (b"", b"ok", b"\0\0trailing zeros\0\0", os.urandom(300)):
        padded = pad(text)
        assert unpad(padded) == text and len(padded) == bucket_size(len(text))
    assert len(pad(b"a")) == len(pad(b"a" * 200))


def test_damaged_padding_is_refused() -> None:
    with pytest.raises(PaddingError):
        unpad(b"\xff\xff\xff\xff" + bytes(252))
    with pytest.raises(PaddingError):
        unpad(b"\0")


def test_reporter_key_derives_only_from_its_receipt() -> None:
    receipt = new_receipt()
    stored = new_reporter_key(receipt, opslimit=1, memlimit=8192)
    key = derive_private_key(receipt, stored)
    assert key is not None and bytes(key.public_key) == stored.public_key
    assert derive_private_key(new_receipt(), stored) is None
    assert new_reporter_key(receipt, opslimit=1, memlimit=8192).salt != stored.salt


def test_a_tampered_reply_is_refused(tmp_path: Path) -> None:
    _, public_path = generate_key_pair(tmp_path)
    cipher = ReportCipher(server_key=SERVER_KEY, public_key=load_public_key(public_path))
    receipt = new_receipt()
    stored = new_reporter_key(receipt, opslimit=1, memlimit=8192)
    reporter_key = derive_private_key(receipt, stored)
    sealed = cipher.seal_reply(b"reply", PublicKey(stored.public_key))
    assert cipher.open(sealed, reporter_key) == b"reply"
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(CannotOpen):
        cipher.open(bytes(tampered), reporter_key)


async def test_reports_filed_before_padding_and_own_keys_stay_readable(
    db: Database, tmp_path: Path
) -> None:
    private_path, public_path = generate_key_pair(tmp_path / "keys")
    old_server = SCHEME_SERVER + bytes(SecretBox(SERVER_KEY).encrypt(b"old server body"))
    old_sealed = SCHEME_SEALED + SealedBox(load_public_key(public_path)).encrypt(b"old sealed")
    old_reply = SCHEME_SERVER + bytes(SecretBox(SERVER_KEY).encrypt(b"old reply"))
    receipt = hash_receipt(new_receipt(), RECEIPT_KEY)

    def insert_as_old_code(connection: sqlite3.Connection) -> None:
        for report_id, sealed, body in (("OLDSERVR", 0, old_server), ("OLDSEALD", 1, old_sealed)):
            connection.execute(
                "INSERT INTO reports (report_id, receipt_lookup, receipt_salt, receipt_hash,"
                " category, status, sealed, body, filed_on, updated_on)"
                " VALUES (?, ?, ?, ?, 'wages', 'new', ?, ?, '2025-01-02', '2025-01-02')",
                (report_id, report_id.encode() * 2, receipt.salt, receipt.hash, sealed, body))
        connection.execute(
            "INSERT INTO report_items (report_id, seq, kind, content, added_on)"
            " VALUES ('OLDSEALD', 1, 'reply', ?, '2025-01-03')", (old_reply,))

    await db.write(insert_as_old_code)
    server = ReportRepository(db, ReportCipher(
        server_key=SERVER_KEY, public_key=load_public_key(public_path)), RECEIPT_KEY)
    assert (await server.get("OLDSERVR")).body == "old server body"
    view = await server.reporter_view("OLDSEALD", "any code")  # no own key: server reads it
    assert view.replies == ((dt.date(2025, 1, 3), "old reply"),)
    await server.add_reply("OLDSEALD", "new reply")  # still readable for its reporter
    assert [text for _, text in (await server.reporter_view("OLDSEALD")).replies] == [
        "old reply", "new reply"]
    moderator = ReportRepository(db, ReportCipher(
        server_key=SERVER_KEY, private_key=load_private_key(private_path)), RECEIPT_KEY)
    assert (await moderator.get("OLDSEALD")).body == "old sealed"
