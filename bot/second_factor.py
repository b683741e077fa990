"""Moderators' second factor (TOTP, RFC 6238): enrolment, checking codes, fresh sessions.

A hijacked Telegram account (a SIM swap, a session left open on another device) must not
become a moderator who can read reports. So reading a report's content, raw exports and
changes to the moderator list need a code from an authenticator app, typed within the last
``moderator_2fa_fresh_minutes``. The secret is made here (pyotp), shown once as a QR code,
stored encrypted (``storage.totp``) and confirmed with a first code.

What is "fresh" lives in memory only (:class:`FreshCodes`): a restart asks everyone for a
new code, which is the safe side. Failed codes are counted per moderator, and after
:data:`MAX_FAILURES` in a window further codes are not even checked, so six digits cannot
be guessed through the bot.
"""

from __future__ import annotations

import hmac
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

import pyotp
import qrcode  # type: ignore[import-untyped]  # qrcode ships no type hints

from storage.audit import moderator_actor

if TYPE_CHECKING:
    from bot.context import Services

__all__ = [
    "MAX_FAILURES",
    "CodeCheck",
    "Enrolment",
    "FreshCodes",
    "check_code",
    "has_factor",
    "is_fresh",
    "qr_png",
    "reset",
    "start_enrolment",
]

#: Wrong codes accepted per moderator within :data:`FAILURE_WINDOW` seconds.
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60.0
#: Codes of the previous and next 30-second step are accepted too (clock drift).
_DRIFT_STEPS = 1


@dataclass(slots=True)
class FreshCodes:
    """In-memory: when each moderator last typed a valid code, failures, enrolment messages.

    Keys are audit pseudonyms, never Telegram ids. ``clock`` is monotonic seconds; tests
    replace it to let a code go stale without sleeping, and ``wall`` to make new codes.
    """

    clock: Callable[[], float] = time.monotonic
    #: Unix time, which TOTP codes are computed from; tests replace it too.
    wall: Callable[[], float] = time.time
    verified: dict[str, float] = field(default_factory=dict)
    failures: dict[str, list[float]] = field(default_factory=dict)
    #: The enrolment message (chat id, message id) to delete once the factor is confirmed.
    enrolment_messages: dict[str, tuple[int, int]] = field(default_factory=dict)

    def forget(self, actor: str) -> None:
        """Drop everything held about ``actor`` (removal, demotion, reset)."""
        self.verified.pop(actor, None)
        self.failures.pop(actor, None)
        self.enrolment_messages.pop(actor, None)

    def sweep(self, window: float) -> None:
        """Drop fresh marks older than ``window`` seconds and failures past their window.

        Run with the session sweep, so moderator state in memory expires like everyone's.
        """
        now = self.clock()
        for actor, at in list(self.verified.items()):
            if now - at > window:
                del self.verified[actor]
        for actor, times in list(self.failures.items()):
            recent = [t for t in times if now - t < FAILURE_WINDOW]
            if recent:
                self.failures[actor] = recent
            else:
                del self.failures[actor]

    def locked(self, actor: str) -> bool:
        """Whether ``actor`` typed too many wrong codes recently."""
        now = self.clock()
        recent = [t for t in self.failures.get(actor, []) if now - t < FAILURE_WINDOW]
        self.failures[actor] = recent
        return len(recent) >= MAX_FAILURES

    def fail(self, actor: str) -> None:
        """Count one wrong code."""
        self.failures.setdefault(actor, []).append(self.clock())


class CodeCheck(Enum):
    """The outcome of :func:`check_code`."""

    ACCEPTED = "accepted"
    CONFIRMED = "confirmed"  # accepted, and it completed an enrolment
    WRONG = "wrong"
    LOCKED = "locked"
    NOT_ENROLLED = "not_enrolled"


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A new factor: the secret (shown once) and the ``otpauth://`` URI the QR code holds."""

    secret: str
    uri: str


def _actor(services: Services, user_id: int) -> str:
    return moderator_actor(services.storage.secret, user_id)


async def has_factor(services: Services, user_id: int) -> bool:
    """Whether this moderator has a confirmed second factor."""
    factor = await services.storage.second_factors.get(_actor(services, user_id))
    return factor is not None and factor.confirmed


def is_fresh(services: Services, user_id: int) -> bool:
    """Whether this moderator typed a valid code within the fresh window."""
    codes = services.fresh_codes
    at = codes.verified.get(_actor(services, user_id))
    window = services.settings.moderator_2fa_fresh_minutes * 60.0
    return at is not None and codes.clock() - at <= window


async def start_enrolment(services: Services, user_id: int) -> Enrolment:
    """Make and store (unconfirmed, encrypted) a new secret; replaces an earlier factor."""
    secret = pyotp.random_base32()
    actor = _actor(services, user_id)
    await services.storage.second_factors.start_enrolment(actor, secret)
    services.fresh_codes.verified.pop(actor, None)
    issuer = services.bot_username or "consultbot"
    uri = pyotp.TOTP(secret).provisioning_uri(name="moderator", issuer_name=issuer)
    return Enrolment(secret, uri)


async def check_code(services: Services, user_id: int, code: str,
                     now: float | None = None) -> CodeCheck:
    """Check a typed code; a valid one makes the moderator fresh (and confirms enrolment).

    Args:
        services: The bot's services.
        user_id: The moderator.
        code: What they typed (spaces are ignored).
        now: Unix time (tests); the real time by default.
    """
    actor = _actor(services, user_id)
    codes = services.fresh_codes
    factor = await services.storage.second_factors.get(actor)
    if factor is None:
        return CodeCheck.NOT_ENROLLED
    if codes.locked(actor):
        return CodeCheck.LOCKED
    typed = "".join(code.split())
    totp = pyotp.TOTP(factor.secret)
    current = int((codes.wall() if now is None else now) // totp.interval)
    for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            if not await services.storage.second_factors.use_step(actor, step, confirm=True):
                break  # a code already used: a replay
            codes.verified[actor] = codes.clock()
            codes.failures.pop(actor, None)
            return CodeCheck.ACCEPTED if factor.confirmed else CodeCheck.CONFIRMED
    codes.fail(actor)
    return CodeCheck.WRONG


async def reset(services: Services, user_id: int) -> bool:
    """Erase a moderator's factor (admin reset); ``False`` if they had none."""
    actor = _actor(services, user_id)
    services.fresh_codes.forget(actor)
    return await services.storage.second_factors.reset(actor)


def qr_png(uri: str) -> bytes:
    """The QR code of ``uri`` as PNG bytes (qrcode renders with Pillow)."""
    image = qrcode.make(uri, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
