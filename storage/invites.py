"""Invite-only surveys: one-use codes kept only as keyed hashes.

A survey is ``open`` (anyone) or ``invite`` (a code is needed to start it). Codes are made
in batches (``consultbot invites``) and handed out on paper or by SMS; the database keeps
``HMAC(ServerSecret.derive_key("invites"), code)`` only, so a copy of the database cannot
give the codes away. Spending a code marks it spent and nothing else: no date, no
pseudonym, no response id, so nothing links a code to the person who used it or to their
answers. The table is WITHOUT ROWID, so not even the order of spending is recorded.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import aiosqlite

from storage.database import Database
from storage.receipts import ALPHABET

__all__ = [
    "CODE_LENGTH",
    "InviteBatch",
    "InviteRepository",
    "SurveyAccess",
    "is_invite_code",
]

#: 14 symbols of a 32-letter alphabet: 70 bits, far beyond guessing through a rate-limited bot.
CODE_LENGTH = 14
#: Upper case only, so a code can never be mistaken for a survey id (lower case).
_CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def is_invite_code(text: str) -> bool:
    """Whether ``text`` has the shape of an invite code (not whether it is valid)."""
    return bool(_CODE.match(text))


@dataclass(frozen=True, slots=True)
class InviteBatch:
    """A batch of codes; ``codes`` is only filled when the batch is created."""

    batch_id: str
    survey_id: str
    created_on: _dt.date
    total: int
    spent: int
    revoked: bool
    codes: tuple[str, ...] = ()


class SurveyAccess:
    """The two access modes of a survey."""

    OPEN = "open"
    INVITE = "invite"


def _today() -> _dt.date:
    return _dt.datetime.now(_dt.UTC).date()


class InviteRepository:
    """Access modes, code batches, spending and revocation."""

    __slots__ = ("_db", "_key", "_today")

    def __init__(self, db: Database, key: bytes,
                 today: Callable[[], _dt.date] = _today) -> None:
        self._db = db
        self._key = key
        self._today = today

    def _hash(self, code: str) -> bytes:
        return hmac.new(self._key, code.encode("ascii"), hashlib.sha256).digest()

    async def set_mode(self, survey_id: str, mode: str) -> None:
        """Make a survey ``open`` or ``invite``-only.

        Raises:
            ValueError: ``mode`` is neither.
        """
        if mode not in (SurveyAccess.OPEN, SurveyAccess.INVITE):
            raise ValueError(f"unknown access mode {mode!r}")

        def work(connection: sqlite3.Connection) -> None:
            connection.execute(
                "INSERT INTO survey_access (survey_id, mode) VALUES (?, ?)"
                " ON CONFLICT (survey_id) DO UPDATE SET mode = excluded.mode",
                (survey_id, mode))

        await self._db.write(work)

    async def mode(self, survey_id: str) -> str:
        """``open`` or ``invite``; surveys never set are open."""

        async def work(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT mode FROM survey_access WHERE survey_id = ?", (survey_id,)))

        rows = await self._db.read(work)
        return str(rows[0][0]) if rows else SurveyAccess.OPEN

    async def create_batch(self, survey_id: str, count: int) -> InviteBatch:
        """Make ``count`` new codes for ``survey_id``; the codes are returned only here.

        Raises:
            ValueError: ``count`` is not between 1 and 100 000.
        """
        if not 1 <= count <= 100_000:
            raise ValueError("a batch holds between 1 and 100000 codes")
        batch_id = secrets.token_hex(4)
        codes = tuple(dict.fromkeys(
            "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            for _ in range(count)))
        today = self._today()

        def work(connection: sqlite3.Connection) -> None:
            connection.execute(
                "INSERT INTO invite_batches (batch_id, survey_id, created_on) VALUES (?, ?, ?)",
                (batch_id, survey_id, today.isoformat()))
            connection.executemany(
                "INSERT INTO invite_codes (code_hash, batch_id) VALUES (?, ?)",
                [(self._hash(code), batch_id) for code in codes])

        await self._db.write(work)
        return InviteBatch(batch_id, survey_id, today, len(codes), 0, False, codes)

    async def survey_of(self, code: str) -> str | None:
        """The survey a code would open, without spending it; ``None`` if it would not.

        For someone who has not agreed to the privacy notice yet: their code is spent only
        once they agree, so a person who does not agree leaves it usable.
        """
        code = code.strip().upper()
        if not is_invite_code(code):
            return None
        digest = self._hash(code)

        async def work(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT b.survey_id FROM invite_codes c JOIN invite_batches b"
                " ON b.batch_id = c.batch_id"
                " WHERE c.code_hash = ? AND c.spent = 0 AND b.revoked = 0", (digest,)))

        rows = await self._db.read(work)
        return str(rows[0][0]) if rows else None

    async def spend(self, code: str, survey_id: str | None = None) -> str | None:
        """Spend a code: the survey it opens, or ``None`` if unknown, spent or revoked.

        The check and the marking are one statement, so a code cannot be spent twice even
        by two people pressing the link at the same moment. With ``survey_id`` the code
        must belong to that survey.
        """
        code = code.strip().upper()
        if not is_invite_code(code):
            return None
        digest = self._hash(code)

        def work(connection: sqlite3.Connection) -> str | None:
            cursor = connection.execute(
                "UPDATE invite_codes SET spent = 1 WHERE code_hash = ? AND spent = 0"
                " AND batch_id IN (SELECT batch_id FROM invite_batches WHERE revoked = 0"
                " AND (? IS NULL OR survey_id = ?))"
                " RETURNING (SELECT survey_id FROM invite_batches b"
                " WHERE b.batch_id = invite_codes.batch_id)",
                (digest, survey_id, survey_id))
            row = cursor.fetchone()
            cursor.close()
            return None if row is None else str(row[0])

        return await self._db.write(work)

    async def revoke(self, batch_id: str) -> int:
        """Revoke every unspent code of a batch; returns how many were still unspent."""

        def work(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "UPDATE invite_batches SET revoked = 1 WHERE batch_id = ? AND revoked = 0",
                (batch_id,))
            if cursor.rowcount != 1:
                return 0
            cursor = connection.execute(
                "SELECT count(*) FROM invite_codes WHERE batch_id = ? AND spent = 0",
                (batch_id,))
            row = cursor.fetchone()
            return int(row[0]) if row else 0

        return await self._db.write(work)

    async def batches(self, survey_id: str | None = None) -> list[InviteBatch]:
        """Every batch (of one survey), with how many codes are spent; never the codes."""

        async def work(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT b.batch_id, b.survey_id, b.created_on, count(c.code_hash),"
                " coalesce(sum(c.spent), 0), b.revoked FROM invite_batches b"
                " LEFT JOIN invite_codes c ON c.batch_id = b.batch_id"
                " WHERE ? IS NULL OR b.survey_id = ? GROUP BY b.batch_id"
                " ORDER BY b.created_on, b.batch_id", (survey_id, survey_id)))

        return [InviteBatch(str(r[0]), str(r[1]), _dt.date.fromisoformat(str(r[2])), int(r[3]),
                            int(r[4]), bool(r[5]))
                for r in await self._db.read(work)]
