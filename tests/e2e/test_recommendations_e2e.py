"""Recommendations end to end: the real ``consultbot run`` and ``consultbot recs`` against the
emulator (issue 16, "subscribers are told in their language").

A recommendation recorded with the CLI is followed by a French-speaking participant through
``/recs``; a moderator moves its status with the bot's buttons, then an operator moves it with
the CLI while the bot runs: both changes reach the follower, in French, through the outbox.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.e2e.harness import BotProcess, TelegramUser, find_leaks

SURVEY_ID = "town-e2e"
SURVEY = f"""id: {SURVEY_ID}
title: {{en: Town hall, fr: Mairie}}
languages: [en, fr]
questions:
  - id: topic
    type: single
    label: {{en: Topic, fr: Sujet}}
    choices:
      - {{id: rent, label: {{en: Rent, fr: Loyer}}}}
      - {{id: jobs, label: {{en: Jobs, fr: Emplois}}}}
"""


def recs(bot: BotProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """``consultbot recs …`` on the running bot's data directory, as an operator would."""
    return subprocess.run([sys.executable, "-m", "bot.cli", "recs", *args], env=bot.env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_follower_hears_of_status_changes_from_the_bot_and_the_cli_in_french(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
    tmp_path: Path,
) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "town.yaml").write_text(SURVEY, encoding="utf-8")
    moderator = make_user()
    follower = make_user(language_code="fr")
    bot = start_bot(surveys=surveys, admins=[moderator])
    added = recs(bot, "add", "fair-rent", "--survey", SURVEY_ID, "--title", "en=Cap the rent",
                 "--title", "fr=Plafonner les loyers", "--body", "en=Rents rose fast.")
    assert added.returncode == 0, added.stderr

    follower.send_command("/recs")
    follower.wait_for_bot(predicate=lambda m: "Plafonner les loyers" in m.button_labels)
    follower.press("Plafonner les loyers")
    follower.wait_for_bot(predicate=lambda m: "Suivre" in m.button_labels)
    follower.press("Suivre")
    follower.wait_for_bot(predicate=lambda m: "Ne plus suivre" in m.button_labels)

    moderator.send_command("/recs")
    moderator.wait_for_bot(predicate=lambda m: "Town hall (1)" in m.button_labels)
    moderator.press("Town hall (1)")
    listed = moderator.wait_for_bot(contains="Recommendations from")
    moderator.press(listed.button_labels[0])
    moderator.wait_for_bot(predicate=lambda m: "Move to: Under consideration" in m.button_labels)
    moderator.press("Move to: Under consideration")
    told = follower.wait_for_bot(contains="À l'étude")
    assert "« Plafonner les loyers » est désormais" in told.text

    moved = recs(bot, "status", "fair-rent", "accepted")
    assert moved.returncode == 0, moved.stderr
    told = follower.wait_for_bot(contains="Acceptée")
    assert "Plafonner les loyers" in told.text

    assert bot.stop() == 0
    assert "Traceback" not in bot.log_text()
    assert find_leaks([bot.log_path], [follower, moderator]) == []
