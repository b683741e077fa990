"""The moderators' audit log: append-only and hash-chained.

Every moderator action on reports, exports and the moderator list is appended here, so a
forum can later check who did what (by pseudonym) and that nobody quietly rewrote history.

Each entry's ``hash`` is HMAC-SHA256, keyed by the key derived for
:data:`storage.secret.AUDIT_PURPOSE`, over
the previous entry's hash and the entry's own canonical JSON. Editing, inserting or
removing an entry in the middle breaks every later link; and because the chain is keyed,
someone holding only the database file cannot recompute a forged chain. (Cutting entries
off the *end* leaves a valid shorter chain; ``consultbot audit verify`` prints the count
and last hash so that they can be compared with a copy kept elsewhere.) SQL triggers in
migration 0002 additionally refuse ``UPDATE``/``DELETE`` on the table.

Actors are moderator pseudonyms (``ServerSecret.participant_key``) or ``"cli"``, never a
raw Telegram id: :meth:`AuditLog.append` refuses an all-digit actor.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import aiosqlite

from storage.secret import AUDIT_ACTOR_PURPOSE, ServerSecret

__all__ = [
    "CLI_ACTOR",
    "GENESIS",
    "AuditChainBroken",
    "AuditEntry",
    "AuditLog",
    "AuditVerification",
    "moderator_actor",
]

#: The actor of actions taken on the server's command line.
CLI_ACTOR = "cli"
#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64
_BATCH = 500


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One recorded moderator action."""

    seq: int
    at: str
    actor: str
    action: str
    details: Mapping[str, object]
    prev_hash: str
    hash: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))


class AuditChainBroken(Exception):
    """An entry of the chain does not hold.

    Attributes:
        entry: The first broken entry.
        reason: Why, in plain words.
        intact: How many entries before it hold.
        last_hash: The hash of the last intact entry.
    """

    def __init__(self, entry: AuditEntry, reason: str, intact: int, last_hash: str) -> None:
        super().__init__(f"audit entry {entry.seq}: {reason}")
        self.entry = entry
        self.reason = reason
        self.intact = intact
        self.last_hash = last_hash


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The outcome of :meth:`AuditLog.verify`.

    Attributes:
        ok: Whether every link of the chain holds.
        entries: How many entries were checked.
        last_hash: The hash of the last entry (``GENESIS`` when empty), to compare with a
            copy noted elsewhere: the only way to notice entries cut off the end.
        first_broken: The first entry that does not match, when ``ok`` is false.
        reason: Why that entry is broken, in plain words.
    """

    ok: bool
    entries: int
    last_hash: str
    first_broken: AuditEntry | None = None
    reason: str | None = None


def moderator_actor(secret: ServerSecret, user_id: int) -> str:
    """The audit pseudonym of a moderator: ``mod:`` + 16 hex digits.

    Keyed by the key derived for :data:`~storage.secret.AUDIT_ACTOR_PURPOSE`, so it matches no other pseudonym
    in the database (not the participant key of the same person), yet is stable, so the
    log shows that the same moderator acted twice. Whoever holds the secret key file and
    the moderator list can tell who it is, which is what an accountable log needs.
    """
    key = secret.derive_key(AUDIT_ACTOR_PURPOSE)
    return "mod:" + hmac.new(key, str(int(user_id)).encode(), hashlib.sha256).hexdigest()[:16]


def _canonical(details: Mapping[str, object]) -> str:
    return json.dumps(dict(details), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _link_hash(key: bytes, prev_hash: str, seq: int, at: str, actor: str, action: str,
               details_json: str) -> str:
    message = json.dumps(
        [prev_hash, seq, at, actor, action, details_json], separators=(",", ":"), ensure_ascii=True
    )
    return hmac.new(key, message.encode("ascii"), hashlib.sha256).hexdigest()


class AuditLog:
    """Appends to and verifies the ``audit_log`` table.

    Args:
        db: The :class:`storage.database.Database` (its ``write``/``read`` run a function
            with the connection inside one transaction).
        key: ``ServerSecret.derive_key(AUDIT_PURPOSE)``.
        clock: Returns the current UTC time; tests pass a fixed one.
    """

    __slots__ = ("_clock", "_db", "_key")

    def __init__(
        self,
        db: Any,
        key: bytes,
        clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.UTC),
    ) -> None:
        self._db = db
        self._key = key
        self._clock = clock

    async def append(self, actor: str, action: str, details: Mapping[str, object]) -> AuditEntry:
        """Record one action, chained to the previous entry.

        Args:
            actor: A moderator pseudonym or ``"cli"``; never a Telegram id.
            action: A short stable verb, e.g. ``"report.status"``, ``"export"``.
            details: JSON-serialisable facts (report id, new status, format …); never
                report text or identities.

        Raises:
            ValueError: The actor looks like a raw Telegram id, or is empty.
        """
        entry: AuditEntry = await self._db.write(self.entry(actor, action, details))
        return entry

    def entry(self, actor: str, action: str,
              details: Mapping[str, object]) -> Callable[[sqlite3.Connection], AuditEntry]:
        """The write that appends this entry, to run inside another write's transaction.

        For an action whose record must commit with the change itself (a recommendation's
        status): a crash then leaves both or neither, never a change nobody audited.
        Checked and timestamped now; see :meth:`append` for the arguments.

        Raises:
            ValueError: The actor looks like a raw Telegram id, or is empty.
        """
        if not actor or actor.lstrip("-").isdigit():
            raise ValueError("audit actors are pseudonyms or 'cli', never Telegram ids")
        details_json = _canonical(details)
        at = self._clock().astimezone(_dt.UTC).replace(microsecond=0).isoformat()
        key = self._key

        def insert(connection: sqlite3.Connection) -> AuditEntry:
            cursor = connection.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            )
            last = cursor.fetchone()
            if last is None:  # empty, or every entry erased by retention: go on from the anchor
                cursor = connection.execute(
                    "SELECT seq, hash FROM audit_anchor ORDER BY seq DESC LIMIT 1")
                last = cursor.fetchone()
            seq, prev_hash = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
            entry_hash = _link_hash(key, prev_hash, seq, at, actor, action, details_json)
            connection.execute(
                "INSERT INTO audit_log (seq, at, actor, action, details, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (seq, at, actor, action, details_json, prev_hash, entry_hash),
            )
            return AuditEntry(seq, at, actor, action, json.loads(details_json), prev_hash,
                              entry_hash)

        return insert

    async def entries(self, after: int = 0, limit: int = _BATCH) -> list[AuditEntry]:
        """Read entries in order, ``limit`` at a time after sequence number ``after``."""

        async def select(connection: aiosqlite.Connection) -> list[AuditEntry]:
            cursor = await connection.execute(
                "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            )
            rows = await cursor.fetchall()
            return [
                AuditEntry(int(r[0]), str(r[1]), str(r[2]), str(r[3]), _details(str(r[4])),
                           str(r[5]), str(r[6]))
                for r in rows
            ]

        result: list[AuditEntry] = await self._db.read(select)
        return result

    async def checked(self) -> AsyncIterator[AuditEntry]:
        """Every entry in order, each yielded only after its link was checked.

        For exports that verify as they go: whatever was yielded before a break is intact.

        Raises:
            AuditChainBroken: At the first entry that does not hold.
        """
        prev_hash, expected_seq, count, after = await self._anchor()
        while True:
            batch = await self._raw_batch(after)
            if not batch:
                return
            for seq, at, actor, action, details_json, stored_prev, stored_hash in batch:
                entry = AuditEntry(seq, at, actor, action, _details(details_json), stored_prev,
                                   stored_hash)
                reason = None
                if seq != expected_seq:
                    reason = f"entry {expected_seq} is missing (found {seq} next)"
                elif stored_prev != prev_hash:
                    reason = "its link to the previous entry does not match"
                elif stored_hash != _link_hash(self._key, stored_prev, seq, at, actor, action,
                                                details_json):
                    reason = "its content was changed after it was written"
                if reason is not None:
                    raise AuditChainBroken(entry, reason, count, prev_hash)
                yield entry
                prev_hash, expected_seq, count = stored_hash, seq + 1, count + 1
            after = batch[-1][0]

    async def verify(self) -> AuditVerification:
        """Walk the whole chain and report the first entry that does not hold."""
        count, last_hash = 0, GENESIS
        try:
            async for entry in self.checked():
                count, last_hash = count + 1, entry.hash
        except AuditChainBroken as broken:
            return AuditVerification(ok=False, entries=broken.intact, last_hash=broken.last_hash,
                                     first_broken=broken.entry, reason=broken.reason)
        return AuditVerification(ok=True, entries=count, last_hash=last_hash)

    async def head(self) -> tuple[int, str]:
        """The last entry's number and hash (``0``, ``GENESIS`` when empty), unchecked.

        The number counts every entry ever written, those erased by retention included.

        What ``consultbot audit head`` prints for publication: anyone holding an earlier
        head can then tell if entries were later cut off the end.
        """

        async def select(connection: aiosqlite.Connection) -> tuple[int, str]:
            cursor = await connection.execute(
                "SELECT max(seq), (SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1)"
                " FROM audit_log")
            row = await cursor.fetchone()
            assert row is not None  # an aggregate always returns a row
            return int(row[0] or 0), str(row[1]) if row[1] is not None else GENESIS

        result: tuple[int, str] = await self._db.read(select)
        return result

    async def _anchor(self) -> tuple[str, int, int, int]:
        """Where checking starts: the genesis, or the last entry erased by retention."""

        async def select(connection: aiosqlite.Connection) -> list[aiosqlite.Row]:
            return list(await connection.execute_fetchall(
                "SELECT seq, hash FROM audit_anchor ORDER BY seq DESC LIMIT 1"))

        rows = await self._db.read(select)
        if not rows:
            return GENESIS, 1, 0, 0
        seq = int(rows[0][0])
        return str(rows[0][1]), seq + 1, 0, seq

    async def _raw_batch(self, after: int) -> list[tuple[int, str, str, str, str, str, str]]:
        async def select(connection: aiosqlite.Connection) -> list[tuple[Any, ...]]:
            cursor = await connection.execute(
                "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, _BATCH),
            )
            return [tuple(row) for row in await cursor.fetchall()]

        rows = await self._db.read(select)
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6]))
                for r in rows]


def _details(details_json: str) -> Mapping[str, object]:
    try:
        value = json.loads(details_json)
    except ValueError:
        return {"unreadable": details_json}
    return value if isinstance(value, dict) else {"value": value}
