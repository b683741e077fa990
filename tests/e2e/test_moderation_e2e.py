"""Moderators end to end: the real ``consultbot run`` against the emulator (issue 5, "Done when").

A moderator uploads a broken XLSForm and reads its errors, uploads a valid one and publishes
it; twelve people answer through the deep link, some opting in to updates; ``/summary … by
region`` publishes nothing of today's answers yet; ``/export … csv`` arrives as a document
holding no free text (and no row of today); ``/announce`` reaches exactly the people who
opted in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import openpyxl

from tests.e2e.harness import BotProcess, TelegramUser, find_leaks

SURVEY_ID = "wages-e2e"
REGIONS = {"north": "North", "south": "South", "east": "East"}
#: Seven in the north, three in the south, two in the east: two groups under five.
ANSWERS = ["north"] * 7 + ["south"] * 3 + ["east"] * 2
REMEDIES = ["=1+1", "+33 612 345 678 call me", "@boss must pay", "Pay us on time"]
ANNOUNCEMENT = "You said wages come late; the ministry agreed to monthly inspections."


def xlsform(path: Path, *, broken: bool) -> Path:
    """A small XLSForm; the broken one has an unknown type and a missing choice list."""
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "required"])
    survey.append(["select_one region" if not broken else "select_one regions_missing",
                   "region", "Where do you work?", "yes"])
    if broken:
        survey.append(["slider", "mood", "How do you feel?", "yes"])
    survey.append(["text", "remedy", "What would help most?", "yes"])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)"])
    for name, label in REGIONS.items():
        choices.append(["region", name, label])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "form_title", "default_language"])
    settings.append([SURVEY_ID, "Wages survey", "English (en)"])
    workbook.save(path)
    return path


def answer_survey(user: TelegramUser, region: str, remedy: str, opt_in: bool) -> None:
    user.send_command("/start", SURVEY_ID)
    user.wait_for_bot(predicate=lambda m: "I agree" in m.button_labels)
    user.press("I agree")
    user.wait_for_bot(predicate=lambda m: REGIONS[region] in m.button_labels)
    user.press(REGIONS[region])
    user.wait_for_bot(contains="What would help most?")
    user.send_text(remedy)
    user.wait_for_bot(predicate=lambda m: "Submit" in m.button_labels)
    user.press("Submit")
    user.wait_for_bot(contains="Thank you! Your answers were submitted.")
    offer = user.wait_for_bot(predicate=lambda m: "Get updates" in m.button_labels)
    if opt_in:
        user.press("Get updates", offer.message_id)
        user.wait_for_bot(contains="You will get updates")


def test_moderator_publishes_summarises_exports_and_announces(
    start_bot: Callable[..., BotProcess], make_user: Callable[..., TelegramUser],
    data_dir: Path, tmp_path: Path,
) -> None:
    moderator = make_user()
    stranger = make_user()
    bot = start_bot(admins=[moderator])

    stranger.send_command("/summary", SURVEY_ID)
    assert stranger.wait_for_bot().text == "Sorry, this command is for moderators."

    moderator.send_document(xlsform(tmp_path / "broken.xlsx", broken=True))
    errors = moderator.wait_for_bot(contains="nothing was stored").text
    assert "broken.xlsx: row 2:" in errors and "broken.xlsx: row 3:" in errors

    moderator.send_document(xlsform(tmp_path / "wages.xlsx", broken=False))
    assert "Saved as a draft" in moderator.wait_for_bot(contains=SURVEY_ID).text
    moderator.send_command("/publish", SURVEY_ID)
    assert f"?start={SURVEY_ID}" in moderator.wait_for_bot(contains="Published").text

    people = [make_user() for _ in ANSWERS]
    followers = set(range(0, 12, 3))  # four of the twelve ask for updates
    for number, (person, region) in enumerate(zip(people, ANSWERS, strict=True)):
        answer_survey(person, region, REMEDIES[number % len(REMEDIES)], number in followers)

    # Publications cover finished days only (README, "Disclosure control"): whoever answered
    # today is in no summary and no export yet, so two looks today cannot be subtracted.
    moderator.send_command("/summary", f"{SURVEY_ID} by region")
    summary = moderator.wait_for_bot(contains="Nothing is published yet").text
    assert "Respondents" not in summary and "North" not in summary

    moderator.send_command("/export", f"{SURVEY_ID} csv")
    document = moderator.wait_for_bot(predicate=lambda m: m.document is not None)
    content = moderator.download(document)
    assert content.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    assert list(reader) == []
    # The protected export has no free text and no day, even as column names.
    assert reader.fieldnames is not None and "remedy" not in reader.fieldnames
    assert "submitted_on" not in reader.fieldnames

    moderator.send_command("/announce", SURVEY_ID)
    moderator.wait_for_bot(contains="4 people asked for updates")
    moderator.send_text(ANNOUNCEMENT)
    moderator.wait_for_bot(contains="Preview of the update")
    moderator.press("Send to 4")
    moderator.wait_for_bot(contains="queued for 4 subscribers")
    for number in sorted(followers):
        people[number].wait_for_bot(contains=ANNOUNCEMENT)
    for number, person in enumerate(people):
        received = [m for m in person.bot_messages() if ANNOUNCEMENT in m.text]
        assert len(received) == (1 if number in followers else 0)

    assert bot.stop() == 0
    assert "Traceback" not in bot.log_text()
    assert find_leaks([bot.log_path], [*people, moderator]) == []
    # Only the people who asked for updates are stored (by chat id, in the subscription list).
    others = [person for number, person in enumerate(people) if number not in followers]
    assert find_leaks([data_dir], [*others, moderator]) == []
