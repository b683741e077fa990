"""Random update sequences against the survey conversation, checked after every update.

``python -m bench.fuzz_conversation --updates 10000`` plays participants who tap any button
they were ever shown (stale ones too), type answers good and bad (4,096 characters, 400
digits, other scripts), send the same message twice, press a button before a message they
typed earlier is handled, send commands, forge button data, and live through restarts with
Telegram redelivering the last update. The real application runs on the offline Bot API of
the tests (``tests.fakebot``). It checks the three promises of the conversation
(ARCHITECTURE.md, "Data flow", "An answer"):

* **no traceback**: no handler raises (an error handler records every exception);
* **every stored answer belongs to a question that was shown**: after each update, an
  answer may only have been added or changed for the question on screen when the input
  was made (the last question prompt the bot had shown for a typed message; the question
  the pressed message showed for a button);
* **no stuck participant**: at the end, each participant gets to their survey with
  /surveys and can answer it to submission.

The Hypothesis property test (``tests/handlers/test_conversation_fuzz.py``) runs short
sequences of the same actions in the suite; this command is the long run. It prints one
summary line and exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.ext import CallbackContext

from surveys.model import Answer, QuestionType
from tests.fakebot import BotMessage, ChatUser
from tests.handlers.conftest import BotEnv, survey_file

__all__ = ["ACTIONS", "Fuzzer", "Report", "main", "run"]

SURVEY_ID = "workers-voice"
#: What the fuzz participants type: good answers to each question type, and bad ones.
TEXTS = (
    "5", "0", "52", "60", "-1", "12,5", "1 000", "9" * 400, "٣", "2024-02-29", "2024-02-30",
    "31/02/2024", "Garment", "mining", "1", "2", "Pay, Safety", "1,3", "4", "9", "Freedom to organise",
    "x" * 201, "z" * 4096, "Свобода объединений", "حرية التنظيم", "uhuru wa kujiunga", " ", "🙂",
)
COMMANDS = ("/surveys", "/start", f"/start {SURVEY_ID}", "/cancel", "/help", "/mydata", "/privacy",
            "/forget")
FORGED = ("garbage", "a|x|1|1|v|0|AAAAAAAA", "a|é|1|1|v|0|tag", "ü", "r|x|1|submit|zzzz", "o||",
          "a|" + "9" * 40, "\x00|\x01")
#: The kinds of action; each takes two numbers that pick among what is on offer.
ACTIONS = ("tap", "tap_newest", "type", "type_twice", "type_then_tap", "double_tap", "command",
           "forge", "restart", "redeliver")
REVIEW = "review"


class Failure(AssertionError):
    """A promise of the conversation was broken."""


@dataclass
class Report:
    """What a run saw."""

    updates: int = 0
    restarts: int = 0
    stored: int = 0
    tracebacks: list[str] = field(default_factory=list)
    wrong_question: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No promise was broken."""
        return not (self.tracebacks or self.wrong_question or self.stuck)

    def line(self) -> str:
        """One summary line."""
        return (f"{self.updates} updates, {self.restarts} restarts, {self.stored} answers stored: "
                f"{len(self.tracebacks)} tracebacks, {len(self.wrong_question)} answers for a "
                f"question not on screen, {len(self.stuck)} stuck participants")


def _shows(message: BotMessage | None) -> str | None:
    """The question id (or :data:`REVIEW`) a bot message asks, read from its buttons' data."""
    if message is None:
        return None
    return _shows_markup(message.reply_markup)


def _shows_markup(markup: dict[str, Any] | None) -> str | None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            fields = str(button.get("callback_data", "")).split("|")
            if fields[0] == "a" and len(fields) > 3 and fields[3].isdigit():
                return f"#{fields[3]}"
            if fields[0] == "r":
                return REVIEW
    return None


class Fuzzer:
    """Participants of one application, their actions, and the checks after each update."""

    def __init__(self, data_dir: Path, rng: random.Random, users: int = 3) -> None:
        self.env = BotEnv(data_dir, [survey_file()], frozenset({4242}))
        self.env.users = []
        self.rng = rng
        self.user_count = users
        self.report = Report()
        self.users: list[ChatUser] = []
        #: Per chat: the question of the last prompt the bot showed (sent or edited).
        self.on_screen: dict[int, str | None] = {}
        self._seen_calls = 0
        self._last_update: dict[int, tuple[dict[str, Any], str | None]] = {}

    async def start(self) -> None:
        await self.env.start()
        self._watch_errors()
        self.users = [self.env.user(7_100_000 + n) for n in range(self.user_count)]
        record = await self.env.services.storage.surveys.published(SURVEY_ID)
        assert record is not None
        self.definition = record.survey

    async def stop(self) -> None:
        await self.env.stop()

    def _watch_errors(self) -> None:
        assert self.env.app is not None

        async def record(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
            error = context.error
            self.report.tracebacks.append(f"{type(error).__name__}: {error}"[:300])

        self.env.app.add_error_handler(record)

    # -- what the participant saw ------------------------------------------------------------

    def _follow_calls(self) -> None:
        """Update what each chat has on screen from the bot's calls since last time."""
        calls = self.env.telegram.calls
        for call in calls[self._seen_calls:]:
            if call.method not in ("sendMessage", "editMessageText") or call.chat_id is None:
                continue
            shown = _shows_markup(call.params.get("reply_markup"))
            if shown is not None:
                self.on_screen[call.chat_id] = shown
        self._seen_calls = len(calls)

    def _question_of(self, shown: str | None) -> str | None:
        if shown is None or shown == REVIEW:
            return None
        return self.definition.questions[int(shown[1:])].id

    async def _answers(self, user: ChatUser) -> dict[str, Answer]:
        storage = self.env.services.storage
        response = await storage.responses.get(
            SURVEY_ID, storage.secret.respondent_key(SURVEY_ID, user.user_id))
        return dict(response.answers) if response is not None and not response.submitted else {}

    # -- inputs -------------------------------------------------------------------------------

    def _typed(self, user: ChatUser, text: str) -> tuple[dict[str, Any], str | None]:
        update = {"update_id": user.telegram.next_update_id(),
                  "message": user._message_json(text=text)}
        return update, self._question_of(self.on_screen.get(user.chat_id))

    def _press(self, user: ChatUser, message: BotMessage,
               data: str) -> tuple[dict[str, Any], str | None]:
        query = {"id": user.telegram.next_callback_id(), "from": user.user_json(),
                 "chat_instance": f"ci{user.chat_id}", "message": message.to_message_json(),
                 "data": data}
        update = {"update_id": user.telegram.next_update_id(), "callback_query": query}
        return update, self._question_of(_shows(message))

    async def _process(self, user: ChatUser, update: dict[str, Any], expected: str | None) -> None:
        """Handle one update and check that only ``expected`` may have got an answer."""
        before = await self._answers(user)
        try:
            await user.process(update)
        except Exception as error:  # noqa: BLE001  # the run reports every escaped error
            self.report.tracebacks.append(f"escaped {type(error).__name__}: {error}"[:300])
        self.report.updates += 1
        self._last_update[user.chat_id] = (update, expected)
        self._follow_calls()
        after = await self._answers(user)
        changed = {key for key, value in after.items() if key not in before or before[key] != value}
        self.report.stored += len(changed)
        wrong = changed - ({expected} if expected else set())
        if wrong:
            self.report.wrong_question.append(
                f"user {user.user_id}: stored {sorted(wrong)} while {expected!r} was on screen")

    def _buttons(self, user: ChatUser, newest: bool) -> list[tuple[BotMessage, str]]:
        messages = [m for m in user.messages() if m.buttons()]
        if newest:
            messages = messages[-1:]
        return [(m, b["callback_data"]) for m in messages for b in m.buttons()
                if "callback_data" in b]

    async def act(self, kind: str, a: int, b: int) -> None:
        """One action of participant ``a``; ``b`` picks what it taps, types or sends."""
        user = self.users[a % len(self.users)]
        if kind in ("tap", "tap_newest", "double_tap"):
            buttons = self._buttons(user, newest=kind == "tap_newest")
            if not buttons:
                kind, b = "command", 0
            else:
                message, data = buttons[b % len(buttons)]
                if kind == "double_tap":
                    first, second = self._press(user, message, data), self._press(user, message, data)
                    await asyncio.gather(self._process(user, *first), self._process(user, *second))
                else:
                    await self._process(user, *self._press(user, message, data))
                return
        if kind == "type":
            await self._process(user, *self._typed(user, TEXTS[b % len(TEXTS)]))
        elif kind == "type_twice":
            first = self._typed(user, TEXTS[b % len(TEXTS)])
            second = self._typed(user, TEXTS[b % len(TEXTS)])
            await self._process(user, *first)
            await self._process(user, *second)
        elif kind == "type_then_tap":
            typed = self._typed(user, TEXTS[b % len(TEXTS)])
            buttons = self._buttons(user, newest=True)
            if buttons:
                message, data = buttons[b % len(buttons)]
                await self._process(user, *self._press(user, message, data))
            await self._process(user, *typed)
        elif kind == "command":
            text = COMMANDS[b % len(COMMANDS)]
            command = text.split(" ")[0]
            entity = {"type": "bot_command", "offset": 0, "length": len(command)}
            update = {"update_id": user.telegram.next_update_id(),
                      "message": user._message_json(text=text, entities=[entity])}
            await self._process(user, update, None)
        elif kind == "forge":
            messages = user.messages() or [None]
            message = messages[-1]
            if message is not None:
                await self._process(user, self._press(user, message, FORGED[b % len(FORGED)])[0], None)
        elif kind == "restart":
            await self.restart()
        elif kind == "redeliver":
            last = self._last_update.get(user.chat_id)
            if last is not None:
                update, expected = last
                await self.restart()
                # Without a session a typed message is never stored; a button names its question.
                await self._process(user, update, None if "message" in update else expected)

    async def restart(self) -> None:
        """Stop and start the application on the same data: every session is gone."""
        await self.env.restart()
        self._watch_errors()
        self.report.restarts += 1

    # -- the end: nobody is stuck ------------------------------------------------------------

    async def finish(self, user: ChatUser) -> None:
        """Take ``user`` to a submitted survey with /surveys and valid answers."""
        await self.act("command", self.users.index(user), 0)  # /surveys
        for _ in range(40):
            storage = self.env.services.storage
            response = await storage.responses.get(
                SURVEY_ID, storage.secret.respondent_key(SURVEY_ID, user.user_id))
            if response is not None and response.submitted:
                return
            if not await self._step(user):
                break
        self.report.stuck.append(f"user {user.user_id} could not finish "
                                 f"(on screen: {self.on_screen.get(user.chat_id)})")

    async def _step(self, user: ChatUser) -> bool:
        """One valid move towards submission; False when nothing on screen allows one."""
        newest = [m for m in user.messages() if m.buttons()]
        for kind in ("c", "o"):  # the privacy notice, then the survey list
            for message in reversed(newest[-1:]):
                for button in message.buttons():
                    if str(button.get("callback_data", "")).startswith(kind + "|"):
                        await self._process(user, *self._press(user, message, button["callback_data"]))
                        return True
        shown = self.on_screen.get(user.chat_id)
        prompt = next((m for m in reversed(newest) if _shows(m) == shown), None)
        if shown is None or prompt is None:
            await self.act("command", self.users.index(user), 0)
            return bool(newest)
        if shown == REVIEW:
            submit = next(b["callback_data"] for b in prompt.buttons()
                          if b["callback_data"].split("|")[3] == "submit")
            await self._process(user, *self._press(user, prompt, submit))
            return True
        question = self.definition.questions[int(shown[1:])]
        buttons = [(b["text"], b["callback_data"]) for b in prompt.buttons()
                   if b["callback_data"].startswith("a|")]
        ops = {data.split("|")[4]: data for _, data in buttons}
        if question.type is QuestionType.MULTI:
            choices = [(text, data) for text, data in buttons if data.split("|")[4] == "t"]
            checked = [data for text, data in choices if text.startswith("✓")]
            # One or two choices (the survey allows at most two), then Done.
            data = (choices[0][1] if not checked else checked[-1] if len(checked) > 2
                    else ops["d"])
            await self._process(user, *self._press(user, prompt, data))
        elif "v" in ops:
            await self._process(user, *self._press(user, prompt, ops["v"]))
        else:
            text = {QuestionType.NUMBER: "3", QuestionType.DATE: "2024-02-29"}.get(question.type, "ok")
            await self._process(user, *self._typed(user, text))
        return True


async def run(actions: Sequence[tuple[str, int, int]], data_dir: Path, *, users: int = 3,
              seed: int = 0) -> Report:
    """Play ``actions``, then take every participant to submission; the report says what broke."""
    fuzzer = Fuzzer(data_dir, random.Random(seed), users)
    await fuzzer.start()
    try:
        for kind, a, b in actions:
            await fuzzer.act(kind, a, b)
        for user in fuzzer.users:
            await fuzzer.finish(user)
    finally:
        await fuzzer.stop()
    return fuzzer.report


def random_actions(rng: random.Random, count: int) -> list[tuple[str, int, int]]:
    """``count`` actions, restarts and redeliveries rare (they are slow and drastic)."""
    weights = {"tap": 30, "tap_newest": 30, "type": 20, "type_twice": 5, "type_then_tap": 5,
               "double_tap": 4, "command": 6, "forge": 2, "restart": 0.3, "redeliver": 0.3}
    kinds = list(weights)
    return [(rng.choices(kinds, [weights[k] for k in kinds])[0], rng.randrange(1000),
             rng.randrange(1000)) for _ in range(count)]


async def _long_run(updates: int, seed: int, users: int, batch: int) -> Report:
    rng = random.Random(seed)
    total = Report()
    with tempfile.TemporaryDirectory(prefix="consultbot-fuzz-") as tmp:
        round_number = 0
        while total.updates < updates:
            round_number += 1
            report = await run(random_actions(rng, batch), Path(tmp) / f"round{round_number}",
                               users=users, seed=seed + round_number)
            total.updates += report.updates
            total.restarts += report.restarts
            total.stored += report.stored
            total.tracebacks += report.tracebacks
            total.wrong_question += report.wrong_question
            total.stuck += report.stuck
    return total


def main(argv: Sequence[str] | None = None) -> int:
    """The long fuzz run; exit status 1 when any promise was broken."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=10_000, help="updates to send at least")
    parser.add_argument("--seed", type=int, default=1, help="random seed (runs are repeatable)")
    parser.add_argument("--users", type=int, default=3, help="participants per round")
    parser.add_argument("--batch", type=int, default=400,
                        help="actions per round (each round starts a fresh data directory)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)  # the bot's own error log is counted, not shown
    report = asyncio.run(_long_run(args.updates, args.seed, args.users, args.batch))
    print(report.line())
    for problem in (report.tracebacks + report.wrong_question + report.stuck)[:20]:
        print("  " + problem)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
