"""Contract: participant preferences: consent and language under the participant pseudonym."""

from __future__ import annotations

import datetime as dt

from storage.preferences import PreferenceRepository
from tests.storage.samples import Clock

PARTICIPANT = "d" * 64


async def test_nothing_is_stored_before_consent(preferences: PreferenceRepository) -> None:
    assert await preferences.get(PARTICIPANT) is None


async def test_consent_keeps_its_first_day(preferences: PreferenceRepository, clock: Clock) -> None:
    first = await preferences.set_consent(PARTICIPANT)
    assert first.consented and first.consented_on == dt.date(2026, 3, 14) and first.language is None
    clock.day = dt.date(2026, 5, 1)
    again = await preferences.set_consent(PARTICIPANT)
    assert again.consented_on == dt.date(2026, 3, 14)


async def test_language_is_kept_with_consent(preferences: PreferenceRepository) -> None:
    await preferences.set_consent(PARTICIPANT)
    await preferences.set_language(PARTICIPANT, "fr")
    stored = await preferences.set_language(PARTICIPANT, "ar")
    assert (stored.language, stored.consented) == ("ar", True)
    assert await preferences.get(PARTICIPANT) == stored


async def test_delete_forgets_the_participant(preferences: PreferenceRepository) -> None:
    await preferences.set_consent(PARTICIPANT)
    assert await preferences.delete(PARTICIPANT) is True
    assert await preferences.get(PARTICIPANT) is None
    assert await preferences.delete(PARTICIPANT) is False
