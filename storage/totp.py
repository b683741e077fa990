"""Moderators' second factor: TOTP secrets, encrypted at rest, with replay protection.

A TOTP secret in the clear would let whoever copies the database generate codes, so each
secret is encrypted with a SecretBox (PyNaCl) keyed by ``ServerSecret.derive_key("totp")``:
the key file, which never sits in the data directory, is needed to use it. Rows are keyed
by the moderator's audit pseudonym (``storage.audit.moderator_actor``), never a Telegram id.

``last_step`` is the TOTP time step of the last code accepted; a code of that step or an
earlier one is refused, so a code seen over a shoulder cannot be used a second time
(RFC 6238, section 5.2). Checking the code itself (pyotp) happens in ``bot.second_factor``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import aiosqlite
from nacl.secret import SecretBox

from storage.database import Database

__all__ = ["SecondFactor", "SecondFactorRepository"]


@dataclass(frozen=True, slots=True)
class SecondFactor:
    """One moderator's factor: the base32 secret, whether it was confirmed, the last step."""

    actor: str
    secret: str
    confirmed: bool
    last_step: int


class SecondFactorRepository:
    """Stores, confirms, uses and resets second factors."""

    __slots__ = ("_box", "_db")

    def __init__(self, db: Database, key: bytes) -> None:
        self._db = db
        self._box = SecretBox(key)

    async def start_enrolment(self, actor: str, secret: str) -> None:
        """Store a new, unconfirmed secret for ``actor``, replacing any earlier factor."""
        ciphertext = bytes(self._box.encrypt(secret.encode("ascii")))

        def work(connection: sqlite3.Connection) -> None:
            connection.execute(
                "INSERT INTO second_factors (actor, secret, confirmed, last_step)"
                " VALUES (?, ?, 0, 0) ON CONFLICT (actor) DO UPDATE SET"
                " secret = excluded.secret, confirmed = 0, last_step = 0",
                (actor, ciphertext))

        await self._db.write(work)

    async def get(self, actor: str) -> SecondFactor | None:
        """The factor of ``actor`` (decrypted), or ``None``."""

        async def work(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT secret, confirmed, last_step FROM second_factors WHERE actor = ?",
                (actor,)))

        rows = await self._db.read(work)
        if not rows:
            return None
        secret, confirmed, last_step = rows[0]
        return SecondFactor(actor, self._box.decrypt(bytes(secret)).decode("ascii"),
                            bool(confirmed), int(last_step))

    async def use_step(self, actor: str, step: int, *, confirm: bool = False) -> bool:
        """Record that the code of time step ``step`` was accepted; ``False`` if replayed.

        The check and the update are one statement, so two concurrent uses of the same
        code cannot both succeed.
        """

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "UPDATE second_factors SET last_step = ?, confirmed = confirmed OR ?"
                " WHERE actor = ? AND last_step < ?", (step, int(confirm), actor, step))
            used = cursor.rowcount == 1
            cursor.close()
            return used

        return await self._db.write(work)

    async def reset(self, actor: str) -> bool:
        """Erase ``actor``'s factor (admin reset, or their removal); ``False`` if none."""

        def work(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM second_factors WHERE actor = ?", (actor,))
            erased = cursor.rowcount == 1
            cursor.close()
            return erased

        return await self._db.write(work, checkpoint=True)
