"""Typed buttons: one codec, signed, within 64 bytes, and forged data refused cleanly."""

from __future__ import annotations

import logging

import pytest

from handlers.shared.button_codec import decode, encode
from handlers.shared.button_data import (
    Announce,
    AnswerOp,
    AnswerQuestion,
    ButtonData,
    ChooseLanguage,
    Consent,
    FollowSurvey,
    Forget,
    OpenSurvey,
    ReportDraftAction,
    ReportDraftButton,
    ReportModeration,
    ReportModerationAction,
    ReportStatusAction,
    ReportStatusButton,
    Review,
)
from handlers.shared.buttons import button_data, pack, read_button
from tests.handlers.conftest import BotEnv, in_survey, stored_response

NOT_VALID = "This button is not valid any more."
REF = "AbCdEfGh"  # survey refs are 8 characters

RECORDS: list[ButtonData] = [
    OpenSurvey(REF),
    AnswerQuestion(REF, 999, 199, AnswerOp.DONE, "ffffffff"),
    AnswerQuestion(REF, 3, 0, AnswerOp.SKIP),
    Review(REF, 12, "c123"),
    Consent(None),
    Consent(REF),
    ChooseLanguage("sw"),
    Forget.of(True),
    Forget.of(False),
    FollowSurvey.of(True, REF),
    ReportDraftButton(ReportDraftAction.CATEGORY, 17),
    ReportDraftButton(ReportDraftAction.RECEIPT_NOTED),
    ReportStatusButton(ReportStatusAction.DONE),
    ReportModeration(ReportModerationAction.SET_STATUS, "R-2026-ABCDEFGH", "in_review"),
    ReportModeration(ReportModerationAction.SHOW_ALL),
    Announce.of(False, 123456),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
async def test_every_record_round_trips_signed_within_64_bytes(env: BotEnv,
                                                               record: ButtonData) -> None:
    data = button_data(env.services, 7_000_001, record)
    assert len(data.encode()) <= 64
    assert read_button(env.services, 7_000_001, data) == record
    assert read_button(env.services, 7_000_002, data) is None  # made for someone else


def test_the_wire_format_is_unchanged() -> None:
    # Buttons already in people's chats keep working after an upgrade.
    assert encode(AnswerQuestion(REF, 3, 2, AnswerOp.SKIP)) == ("a", REF, "3", "2", "s", "")
    assert encode(Consent(None)) == ("c", "-")
    assert encode(ReportDraftButton(ReportDraftAction.CONTINUE)) == ("rp", "go")
    assert encode(FollowSurvey.of(False, REF)) == ("up", "u", REF)


@pytest.mark.parametrize("fields", [
    [], ["zz", "x"], ["a", REF, "x", "1", "s", ""], ["a", REF, "1", "1", "?", ""],
    ["a", REF, "1"], ["f", "maybe"], ["an", "send", "-1"], ["rp"], ["o", REF, "extra"],
])
def test_malformed_fields_decode_to_nothing(fields: list[str]) -> None:
    assert decode(fields) is None


@pytest.mark.parametrize("data", [
    "a|é|1|1|s||AAAAAAAA", "o|\u202e|tag", "\x00|\x00", "c|-|ÿÿÿÿÿÿÿÿ", "|", "no-separator",
])
async def test_forged_data_is_refused_politely_without_an_error(
        env: BotEnv, data: str, caplog: pytest.LogCaptureFixture) -> None:
    user = await in_survey(env)
    before = await stored_response(env, user)
    caplog.set_level(logging.ERROR)
    calls = await user.press_data(data, user.last_message())
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == [
        NOT_VALID]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert await stored_response(env, user) == before


async def test_a_genuine_tag_on_ill_typed_fields_is_refused(env: BotEnv) -> None:
    user = await in_survey(env)
    before = await stored_response(env, user)
    forged = pack(env.services, user.user_id, "a", REF, "one", "1", "v", "0")
    calls = await user.press_data(forged, user.last_message())
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == [
        NOT_VALID]
    assert await stored_response(env, user) == before
