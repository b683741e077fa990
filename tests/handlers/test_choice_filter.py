"""Cascading selects (``choice_filter``) through the bot: buttons offer only allowed choices."""

from __future__ import annotations

from pathlib import Path

from tests.handlers.conftest import BotEnv, in_survey, stored_response, survey_file

CASCADE_YAML = b"""
id: cascade
title: {en: "Where you work"}
languages: [en]
questions:
  - id: region
    type: single
    label: {en: "Which region?"}
    choices:
      - {id: north, label: {en: North}}
      - {id: south, label: {en: South}}
  - id: district
    type: single
    label: {en: "Which district?"}
    choice_filter: "region = ${region}"
    choices:
      - {id: n1, label: {en: North-1}, region: north}
      - {id: n2, label: {en: North-2}, region: north}
      - {id: s1, label: {en: South-1}, region: south}
"""


async def test_a_filtered_select_offers_only_the_choices_of_the_earlier_answer(
        tmp_path: Path) -> None:
    env = BotEnv(tmp_path / "data", [survey_file(CASCADE_YAML, "cascade.yaml")], frozenset())
    env.users = []
    await env.start()
    try:
        user = await in_survey(env, title="Where you work")
        assert user.last_message().button_labels() == ["North", "South"]
        await user.press("North")
        assert "Which district?" in (user.last_message().text or "")
        assert user.last_message().button_labels()[:2] == ["North-1", "North-2"]
        assert "South-1" not in user.last_message().button_labels()
        await user.press("North-2")
        response = await stored_response(env, user, "cascade")
        assert dict(response.answers) == {"region": "north", "district": "n2"}
    finally:
        await env.stop()
