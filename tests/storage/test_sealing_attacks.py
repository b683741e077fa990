"""Attacks on sealed reports, run as the server: its database, its secret key, no receipt.

The attacker here holds everything on the server: the database file and the server's
secret (the keys the repository derives for reports and receipt lookups). It does not
hold a receipt code or the moderators' private key. In sealed mode it must read nothing a
reporter or a moderator wrote: description, follow-up, file, reply or note. Each attack is
also run once with the protection switched off (server mode, a reply to a report without
its own key, padding off) to show the attack is real and would succeed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey
from nacl.secret import SecretBox

from storage.attachments import Attachment
from storage.database import Database
from storage.receipts import format_receipt, new_receipt
from storage.reports import ReportRepository
from storage.sealing import ReportCipher, generate_key_pair, load_private_key, load_public_key

SERVER_KEY = b"s" * 32
RECEIPT_KEY = b"r" * 32
SECRETS = {
    "body": "The foreman at gate 4 takes a cut of every wage packet",
    "followup": "He did it again on Friday",
    "file": "PAYSLIP-OF-AMINA",
    "reply": "Could you tell us which shift this happens on?",
    "note": "Forward to the regional organiser only",
}


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "consultbot.sqlite3")
    yield database
    await database.close()


@pytest.fixture
def moderator_keys(tmp_path: Path) -> tuple[Path, Path]:
    return generate_key_pair(tmp_path / "moderators-laptop")


async def file_everything(repository: ReportRepository) -> tuple[str, str]:
    attachment = Attachment("document.txt", "text/plain", SECRETS["file"].encode())
    filed = await repository.file("wages", SECRETS["body"], [attachment])
    await repository.add_followup(filed.report_id, SECRETS["followup"])
    await repository.add_reply(filed.report_id, SECRETS["reply"])
    await repository.add_note(filed.report_id, SECRETS["note"])
    return filed.report_id, filed.receipt


def stored_ciphertexts(path: Path) -> list[bytes]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT body FROM reports UNION ALL SELECT content FROM report_items"
            " UNION ALL SELECT content FROM report_notes").fetchall()
    finally:
        connection.close()
    return [bytes(row[0]) for row in rows]


def server_attack(ciphertexts: list[bytes]) -> set[str]:
    """Decrypt every stored ciphertext with every key the server has; return what leaks."""
    recovered = b""
    for ciphertext in ciphertexts:
        try:
            recovered += SecretBox(SERVER_KEY).decrypt(ciphertext[1:])
        except CryptoError:
            continue
    return {name for name, text in SECRETS.items() if text.encode() in recovered}


def all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file())


@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "protection-off"])
async def test_the_server_reads_nothing_of_a_sealed_report(
    db: Database, tmp_path: Path, moderator_keys: tuple[Path, Path], sealed: bool
) -> None:
    public_key = load_public_key(moderator_keys[1]) if sealed else None
    server_cipher = ReportCipher(server_key=SERVER_KEY, public_key=public_key)
    server = ReportRepository(db, server_cipher, RECEIPT_KEY)
    report_id, _receipt = await file_everything(server)
    await db.checkpoint()

    leaked = server_attack(stored_ciphertexts(tmp_path / "consultbot.sqlite3"))
    report = await server.get(report_id)
    readable = {item.kind for item in (*report.items, *report.notes) if item.readable}
    if sealed:
        assert leaked == set()
        assert report.body is None and readable == set()
        assert (await server.reporter_view(report_id)).replies == ()
        for text in SECRETS.values():
            assert text.encode() not in all_bytes(tmp_path)
    else:  # the same attack against server-key encryption recovers everything
        assert leaked == set(SECRETS)
        assert report.body == SECRETS["body"]
        assert readable == {"followup", "file", "reply", "note"}


async def test_only_the_receipt_or_the_moderators_key_opens_a_reply(
    db: Database, moderator_keys: tuple[Path, Path]
) -> None:
    server = ReportRepository(db, ReportCipher(
        server_key=SERVER_KEY, public_key=load_public_key(moderator_keys[1])), RECEIPT_KEY)
    report_id, receipt = await file_everything(server)

    wrong = await server.reporter_view(report_id, format_receipt(new_receipt()))
    assert wrong.replies == () and wrong.sealed_replies == 1
    # Some other key pair (e.g. another report's) opens nothing either.
    stranger = ReportRepository(db, ReportCipher(private_key=PrivateKey.generate()), RECEIPT_KEY)
    assert not any(item.readable for item in (await stranger.get(report_id)).items)

    typed = " ".join(format_receipt(receipt).lower().split("-"))  # as a person types it
    right = await server.reporter_view(report_id, typed)
    assert [text for _, text in right.replies] == [SECRETS["reply"]]
    assert SECRETS["note"] not in str(right)  # notes never reach the reporter

    moderator = ReportRepository(
        db, ReportCipher(private_key=load_private_key(moderator_keys[0])), RECEIPT_KEY)
    report = await moderator.get(report_id)
    assert report.body == SECRETS["body"]
    texts = {item.kind: item.text for item in report.items if item.text is not None}
    assert texts == {"followup": SECRETS["followup"], "reply": SECRETS["reply"]}
    assert report.items[0].attachment is not None
    assert report.items[0].attachment.data == SECRETS["file"].encode()
    assert [note.text for note in report.notes] == [SECRETS["note"]]
    assert report.summary.notes == 1


@pytest.mark.parametrize("own_key", [True, False], ids=["own-key", "protection-off"])
async def test_a_reply_is_sealed_to_the_report_own_key(
    db: Database, moderator_keys: tuple[Path, Path], own_key: bool
) -> None:
    server = ReportRepository(db, ReportCipher(
        server_key=SERVER_KEY, public_key=load_public_key(moderator_keys[1])), RECEIPT_KEY)
    filed = await server.file("wages", "x")
    if not own_key:  # as for a report filed before reports had their own key
        await db.write(lambda c: c.execute(
            "UPDATE reports SET reporter_key = NULL, reporter_salt = NULL,"
            " reporter_kdf = NULL WHERE report_id = ?", (filed.report_id,)))
    await server.add_reply(filed.report_id, SECRETS["reply"])
    view = await server.reporter_view(filed.report_id)  # the server alone, no receipt
    assert (SECRETS["reply"] in [text for _, text in view.replies]) is not own_key


@pytest.mark.parametrize("padding", [True, False], ids=["padded", "protection-off"])
@pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "server"])
async def test_ciphertext_lengths_do_not_reveal_plaintext_lengths(
    db: Database, moderator_keys: tuple[Path, Path], padding: bool, sealed: bool
) -> None:
    public_key = load_public_key(moderator_keys[1]) if sealed else None
    repository = ReportRepository(
        db, ReportCipher(server_key=SERVER_KEY, public_key=public_key, padding=padding),
        RECEIPT_KEY)
    short, long = "yes", "It was the night manager, twice, in the cold store." * 3
    lengths: dict[str, list[int]] = {}
    for text in (short, long):
        filed = await repository.file(
            "wages", text, [Attachment("document.txt", "text/plain", text.encode())])
        await repository.add_followup(filed.report_id, text)
        await repository.add_reply(filed.report_id, text)
        await repository.add_note(filed.report_id, text)

        async def read(connection: object, report_id: str = filed.report_id) -> list[object]:
            cursor = await connection.execute(  # type: ignore[attr-defined]  # aiosqlite
                "SELECT 'body', length(body) FROM reports WHERE report_id = ?1"
                " UNION ALL SELECT kind, length(content) FROM report_items WHERE report_id = ?1"
                " UNION ALL SELECT 'note', length(content) FROM report_notes"
                " WHERE report_id = ?1", (report_id,))
            return list(await cursor.fetchall())

        for kind, length in await db.read(read):
            lengths.setdefault(str(kind), []).append(int(length))
    assert set(lengths) == {"body", "file", "followup", "reply", "note"}
    for kind, (short_length, long_length) in lengths.items():
        # Padded, both sit in the 256-byte bucket; unpadded, the attacker sees the difference.
        assert (short_length == long_length) is padding, kind
