"""The interval attack across every table of a survey must pin down no hidden count.

Each test also runs the same attack with the protection switched off and checks that it then
*does* succeed: a privacy test that cannot fail proves nothing.
"""

from __future__ import annotations

import random

import pytest

from surveys.perturbation import PROTECTED, Protection
from tests.privacy.attack import interval_attack, make_responses, make_survey, publish_all

MIN_CELL = 5
#: Primary suppression only, exact counts and means: "hide cells below 5", as simple survey
#: tools do. This is what the attack must break.
NAIVE = Protection(noise=False, complementary=False)
#: Complementary suppression per table, exact counts and means: consultbot before issue 13.
SUPPRESSION_ONLY = Protection(noise=False, complementary=True)

#: Each survey costs a few hundred linear programs; eight shapes and sizes keep it to a minute.
SEEDS = range(8)


def _case(seed: int) -> tuple:
    rng = random.Random(seed)
    survey = make_survey(rng)
    return survey, make_responses(survey, rng, rng.randint(12, 45))


@pytest.mark.parametrize("seed", SEEDS)
def test_no_hidden_count_is_pinned_down_by_all_tables_together(seed: int) -> None:
    survey, responses = _case(seed)
    summaries = publish_all(survey, responses, PROTECTED, MIN_CELL)
    disclosed, attacked = interval_attack(survey, summaries, PROTECTED, MIN_CELL)
    assert disclosed == [], f"{len(disclosed)} of {attacked} hidden counts recovered"


def test_the_same_attack_breaks_weaker_protection() -> None:
    """Without noise the attack recovers hidden counts on these same surveys."""
    naive_broken = suppression_broken = 0
    for seed in SEEDS:
        survey, responses = _case(seed)
        disclosed, _ = interval_attack(survey, publish_all(survey, responses, NAIVE, MIN_CELL),
                                       NAIVE, MIN_CELL)
        naive_broken += bool(disclosed)
        disclosed, _ = interval_attack(
            survey, publish_all(survey, responses, SUPPRESSION_ONLY, MIN_CELL),
            SUPPRESSION_ONLY, MIN_CELL)
        suppression_broken += bool(disclosed)
    assert naive_broken >= len(SEEDS) // 2
    # Complementary suppression table by table, with exact means beside hidden cells, still
    # leaks on some surveys once all breakdowns and means are combined (issue 13).
    assert suppression_broken >= 1
