"""Moderator steps shared by handler tests: roles and the second factor, through the bot."""

from __future__ import annotations

import re
import weakref

import pyotp

from tests.fakebot import ChatUser
from tests.handlers.conftest import BotEnv

SECRET = re.compile(r"\b([A-Z2-7]{32})\b")


class WallClock:
    """The Unix time TOTP codes are made from, moved on by hand (each code a new step)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def tick(self) -> float:
        self.now += 30
        return self.now


def wall_clock(env: BotEnv) -> WallClock:
    """The env's TOTP wall clock, installed on first use."""
    codes = env.services.fresh_codes
    if not isinstance(codes.wall, WallClock):
        codes.wall = WallClock()
    assert isinstance(codes.wall, WallClock)
    return codes.wall


#: Each env's enrolled secrets by user id. Keyed by the env itself (weakly), not by
#: ``id(env)``: ids are reused once an env is collected, and a later test would then type
#: codes of an earlier test's secret.
_secrets: weakref.WeakKeyDictionary[BotEnv, dict[int, str]] = weakref.WeakKeyDictionary()


async def enrol(env: BotEnv, user: ChatUser) -> str:
    """Set up ``user``'s second factor as a moderator would: /2fa, scan, /2fa <code>."""
    clock = wall_clock(env)
    calls = await user.command("/2fa")
    photo = next(c for c in calls if c.method == "sendPhoto")
    match = SECRET.search(photo.text or "")
    assert match, photo.text
    secret = match.group(1)
    _secrets.setdefault(env, {})[user.user_id] = secret
    clock.tick()
    await user.command("/2fa", pyotp.TOTP(secret).at(clock.now))
    return secret


async def fresh_code(env: BotEnv, user: ChatUser) -> None:
    """Type a current code (enrolling first if needed), opening the fresh window."""
    secret = _secrets.get(env, {}).get(user.user_id)
    if secret is None:
        await enrol(env, user)
        return
    clock = wall_clock(env)
    clock.tick()
    await user.command("/2fa", pyotp.TOTP(secret).at(clock.now))
