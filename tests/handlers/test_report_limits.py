"""In-memory limits of the report features: sliding windows and the wrong-code throttle."""

from __future__ import annotations

from bot.limits import GuessThrottle, SlidingWindow
from handlers.reports.labels import split_text


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_limits_per_key_and_forgets_old_events() -> None:
    clock = Clock()
    window = SlidingWindow(2, 3600.0, clock)
    for _ in range(2):
        assert window.allowed("a")
        window.record("a")
    assert not window.allowed("a") and window.allowed("b")
    clock.now += 3600.0
    assert window.allowed("a")
    assert window._events == {}  # nobody is remembered once their events expired


def test_wrong_codes_wait_longer_and_longer() -> None:
    clock = Clock()
    throttle = GuessThrottle(free=3, clock=clock)
    for _ in range(3):
        assert throttle.wait_seconds("k") == 0
        throttle.failed("k")
    assert throttle.wait_seconds("k") == 60
    clock.now += 60
    assert throttle.wait_seconds("k") == 0
    throttle.failed("k")
    assert throttle.wait_seconds("k") == 120
    assert throttle.wait_seconds("other") == 0
    clock.now += 3600
    assert throttle.wait_seconds("k") == 0 and throttle._failures == {}


def test_split_text_keeps_every_character_within_the_limit() -> None:
    text = "\n\n".join(f"paragraph {n} " + "x" * 900 for n in range(12))
    pieces = split_text(text, limit=2000)
    assert all(len(piece) <= 2000 for piece in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert split_text("short") == ["short"]
    assert "".join(split_text("y" * 5000, limit=1000)) == "y" * 5000
