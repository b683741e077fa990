"""Property: any sequence of updates leaves the conversation sound.

Hypothesis generates sequences of participant actions (taps on any button ever shown, typed
answers good and bad, doubles, a tap before an earlier typed message is handled, commands,
forged data, restarts with a redelivered update) and plays them against the real application
(:mod:`bench.fuzz_conversation`). After every update: no handler raised, and no answer was
stored for a question other than the one on screen when the input was made. At the end every
participant reaches submission through /surveys. Seeded and bounded, so the suite stays
quick; ``python -m bench.fuzz_conversation`` is the long run (README, "Answering a survey").
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz_conversation import ACTIONS, Report, random_actions, run

action = st.tuples(st.sampled_from(ACTIONS), st.integers(0, 999), st.integers(0, 999))


def play(actions: list[tuple[str, int, int]], users: int = 2) -> Report:
    with tempfile.TemporaryDirectory(prefix="consultbot-fuzz-") as tmp:
        return asyncio.run(run(actions, Path(tmp) / "data", users=users))


def assert_sound(report: Report) -> None:
    assert report.tracebacks == []
    assert report.wrong_question == []
    assert report.stuck == []


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=1, max_size=30))
def test_random_update_sequences_keep_the_conversation_sound(actions: list[tuple[str, int, int]],
                                                             ) -> None:
    assert_sound(play(actions))


def test_a_seeded_run_of_a_few_hundred_updates_is_sound() -> None:
    report = play(random_actions(random.Random(20261203), 150), users=3)
    assert report.updates >= 150 and report.stored > 0
    assert_sound(report)


def test_the_checks_catch_an_answer_stored_for_another_question(monkeypatch) -> None:
    """Not vacuous: with the binding of typed answers switched off, a double send is caught."""
    from bench.fuzz_conversation import TEXTS
    from bot.sessions import ActiveSurvey

    monkeypatch.setattr(ActiveSurvey, "answers", lambda self, *ids: True)
    one = TEXTS.index("1")  # a valid number of weeks, and a valid choice of issues
    report = play([("command", 0, 2),  # /start workers-voice: the privacy notice
                   ("tap_newest", 0, 0),  # I agree: the first question
                   ("tap_newest", 0, 0),  # Garment: "For how many weeks…" (typed)
                   ("type_twice", 0, one)], users=1)
    assert any("stored ['issues'] while 'unpaid_weeks' was on screen" in problem
               for problem in report.wrong_question), report.line()
