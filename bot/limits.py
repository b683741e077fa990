"""Rate limits kept in memory, by pseudonym: reports per hour, follow-ups, code guesses.

They are forgotten on restart on purpose, so no list of "who reported" or "who guessed a
code" ever reaches disk (ARCHITECTURE.md, "Privacy rules"), and a key with no recent
event is dropped at once, so the maps never become a roster of everyone who used a
feature. The session sweep also calls :meth:`ReportLimits.sweep`, so a key that never
comes back leaves within the hour, and ``/forget`` drops a person's keys at once.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["GuessThrottle", "ReportLimits", "SlidingWindow"]

#: Most follow-ups (messages or files) one person may add to reports per hour.
FOLLOW_UPS_PER_HOUR = 30


class SlidingWindow:
    """At most ``limit`` events per ``window`` seconds per key, in memory."""

    __slots__ = ("_clock", "_events", "limit", "window")

    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}

    def allowed(self, key: str) -> bool:
        """Whether one more event would stay within the limit (does not record it)."""
        return len(_recent(self._events, key, self._clock() - self.window)) < self.limit

    def record(self, key: str) -> None:
        """Count one event."""
        _recent(self._events, key, self._clock() - self.window)
        self._events.setdefault(key, deque()).append(self._clock())

    def forget(self, key: str) -> None:
        """Drop everything about ``key`` (``/forget``)."""
        self._events.pop(key, None)

    def sweep(self) -> None:
        """Drop every key with no recent event, not only those that come back."""
        cutoff = self._clock() - self.window
        for key in list(self._events):
            _recent(self._events, key, cutoff)

    def __len__(self) -> int:
        """How many keys are held (for tests of memory hygiene)."""
        return len(self._events)


def _recent(events: dict[str, deque[float]], key: str, cutoff: float) -> deque[float]:
    """The events of ``key`` after ``cutoff``; a key with none left is forgotten entirely,
    so the map never becomes a roster of everyone who ever used the feature."""
    found = events.get(key)
    if found is None:
        return deque()
    while found and found[0] <= cutoff:
        found.popleft()
    if not found:
        del events[key]
    return found


class GuessThrottle:
    """Slows down repeated wrong receipt codes from one person.

    The first ``free`` wrong codes in an hour cost nothing; after that each attempt must
    wait twice as long as the one before (1, 2, 4 … minutes, at most an hour). A right code
    does not reset the count: someone trying many codes must not be able to reset it by
    also holding one valid receipt.
    """

    __slots__ = ("_clock", "_failures", "free")

    def __init__(self, free: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def wait_seconds(self, key: str) -> float:
        """How long this person must wait before the next attempt (0 if they may try)."""
        failures = _recent(self._failures, key, self._clock() - 3600.0)
        if len(failures) < self.free:
            return 0.0
        delay: float = min(60.0 * 2.0 ** (len(failures) - self.free), 3600.0)
        last: float = failures[-1]
        return max(0.0, last + delay - self._clock())

    def failed(self, key: str) -> None:
        """Record one wrong code."""
        _recent(self._failures, key, self._clock() - 3600.0)
        self._failures.setdefault(key, deque()).append(self._clock())

    def forget(self, key: str) -> None:
        """Drop everything about ``key`` (``/forget``)."""
        self._failures.pop(key, None)

    def sweep(self) -> None:
        """Drop every key whose wrong codes are all older than an hour."""
        cutoff = self._clock() - 3600.0
        for key in list(self._failures):
            _recent(self._failures, key, cutoff)

    def __len__(self) -> int:
        """How many keys are held (for tests of memory hygiene)."""
        return len(self._failures)


@dataclass(slots=True)
class ReportLimits:
    """The report features' limits of one application.

    Attributes:
        filings: Reports filed per hour and person (``reports_per_hour``).
        guesses: Wrong receipt codes per person.
        additions: Follow-ups per hour and person.
    """

    filings: SlidingWindow = field(default_factory=lambda: SlidingWindow(10, 3600.0))
    guesses: GuessThrottle = field(default_factory=GuessThrottle)
    additions: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(FOLLOW_UPS_PER_HOUR, 3600.0))

    def forget(self, *keys: str) -> None:
        """Drop the counts that tie these keys (a person's pseudonyms) to report activity,
        for ``/forget``.

        The times of reports filed and follow-ups added go at once: they would place the
        person beside a report for the rest of the hour. The wrong receipt codes stay until
        they expire within the hour: they say nothing about any report, and dropping them
        would make ``/forget`` a way round the throttle on guessing codes.
        """
        for key in keys:
            self.filings.forget(key)
            self.additions.forget(key)

    def sweep(self) -> None:
        """Drop every key with nothing recent: memory holds only the last hour's users."""
        self.filings.sweep()
        self.guesses.sweep()
        self.additions.sweep()
