"""The offline Bot API of the tests, trimmed for long runs, and participants that drive it.

:class:`BenchTelegram` is ``tests.fakebot.FakeTelegram`` (same answers, same request class)
except that it does not keep a record of every call and keeps only each chat's newest few
messages: at 10,000 participants the test fake's full history would itself become the
memory the benchmark is measuring. It reports every call to an observer, which is how the
benchmarks time the acknowledgement of each update.

:class:`Participant` plays one user through the bench survey using only what the bot
showed in the chat (the signed callback data of the buttons it sent), as a phone would.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application

from bench.survey import QUESTION_KINDS, SURVEY_ID, typed_answer
from tests.fakebot import ApiCall, BotMessage, FakeTelegram, NetworkAccessError, OfflineRequest

__all__ = ["AckClock", "BenchTelegram", "OfflineRequest", "Participant", "submit_update"]

#: Messages kept per chat: enough for the prompt being answered and the one before it.
_KEPT_PER_CHAT = 3

Observer = Callable[[str, dict[str, Any]], None]


class AckClock:
    """Time from submitting an update to the bot's first reaction to it (the acknowledgement).

    A button press is acknowledged by ``answerCallbackQuery`` with its id; a typed message by
    the first call addressed to its chat. Each participant has one update in flight at a
    time, so the chat identifies the update.
    """

    __slots__ = ("pending", "samples")

    def __init__(self) -> None:
        self.pending: dict[tuple[str, object], float] = {}
        self.samples: list[float] = []

    def expect(self, update: dict[str, Any]) -> None:
        if "callback_query" in update:
            key: tuple[str, object] = ("cb", update["callback_query"]["id"])
        else:
            key = ("chat", update["message"]["chat"]["id"])
        self.pending[key] = time.perf_counter()

    def observe(self, method: str, params: dict[str, Any]) -> None:
        if method == "answerCallbackQuery":
            key: tuple[str, object] = ("cb", params.get("callback_query_id"))
        elif params.get("chat_id") is not None:
            key = ("chat", int(params["chat_id"]))
        else:
            return
        started = self.pending.pop(key, None)
        if started is not None:
            self.samples.append(time.perf_counter() - started)


class BenchTelegram(FakeTelegram):
    """The test fake without its unbounded history; see the module docstring."""

    def __init__(self, observer: Observer | None = None) -> None:
        super().__init__()
        self.observer = observer
        self.call_count = 0
        #: The newest message with an inline keyboard, per chat (kept current across edits).
        self.prompts: dict[int, BotMessage] = {}
        self._recent: dict[int, deque[int]] = {}

    def handle(self, method: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        self.call_count += 1
        if self.observer is not None:
            self.observer(method, params)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            if method.startswith(("set", "delete", "answer", "close", "log")):
                return True
            raise NetworkAccessError(f"the offline Bot API fake does not implement {method}")
        return handler(ApiCall(method, params, files))

    def _new_message(self, call: ApiCall, text: str | None, **extra: Any) -> dict[str, Any]:
        data = super()._new_message(call, text, **extra)
        chat_id = int(data["chat"]["id"])
        recent = self._recent.setdefault(chat_id, deque())
        recent.append(data["message_id"])
        while len(recent) > _KEPT_PER_CHAT:
            self.messages.pop((chat_id, recent.popleft()), None)
        message = self.messages[(chat_id, data["message_id"])]
        if message.reply_markup:
            self.prompts[chat_id] = message
        return data

    def forget_chat(self, chat_id: int) -> None:
        """Drop what the fake keeps for a chat whose participant is done."""
        for message_id in self._recent.pop(chat_id, ()):
            self.messages.pop((chat_id, message_id), None)
        self.prompts.pop(chat_id, None)


async def submit_update(app: Application[Any, Any, Any, Any, Any, Any], update: Update) -> None:
    """Process one update the way the application's update fetcher does.

    ``Application.start`` feeds each update from ``update_queue`` to
    ``update_processor.process_update(update, app.process_update(update))``; the processor's
    semaphore is what limits ``concurrent_updates``. Calling it directly keeps that limit
    and lets the caller know when its update has been handled.
    """
    await app.update_processor.process_update(update, app.process_update(update))


class Participant:
    """One user answering the bench survey through a real Application.

    Every ``send_*``/``press`` builds the update JSON a Telegram client sends, submits it
    and returns once the application has finished with it.
    """

    __slots__ = ("app", "clock", "language_code", "rng", "telegram", "updates", "user_id")

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], telegram: BenchTelegram,
                 user_id: int, rng: random.Random, language_code: str = "en") -> None:
        self.app = app
        self.telegram = telegram
        self.user_id = user_id
        self.rng = rng
        self.language_code = language_code
        self.updates = 0
        self.clock: AckClock | None = None

    def _user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "P",
                "language_code": self.language_code}

    def message_update(self, text: str, command: bool = False) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.telegram.next_message_id(),
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private", "first_name": "P"},
            "from": self._user(),
            "text": text,
        }
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        return {"update_id": self.telegram.next_update_id(), "message": message}

    def callback_update(self, data: str, message: BotMessage) -> dict[str, Any]:
        query = {
            "id": self.telegram.next_callback_id(),
            "from": self._user(),
            "chat_instance": f"ci{self.user_id}",
            "message": message.to_message_json(),
            "data": data,
        }
        return {"update_id": self.telegram.next_update_id(), "callback_query": query}

    async def process(self, update: dict[str, Any]) -> None:
        self.updates += 1
        if self.clock is not None:
            self.clock.expect(update)
        await submit_update(self.app, Update.de_json(update, self.app.bot))

    def prompt(self) -> BotMessage:
        message = self.telegram.prompts.get(self.user_id)
        if message is None:
            raise AssertionError(f"user {self.user_id}: the bot showed no buttons")
        return message

    def _data(self, message: BotMessage, want: Callable[[list[str]], bool]) -> list[str]:
        found = [b["callback_data"] for b in message.buttons()
                 if "callback_data" in b and want(b["callback_data"].split("|"))]
        if not found:
            labels = message.button_labels()
            raise AssertionError(f"user {self.user_id}: no fitting button among {labels}")
        return found

    async def start(self) -> None:
        """Deep link into the survey and agree to the privacy notice: the first question."""
        await self.process(self.message_update(f"/start {SURVEY_ID}", command=True))
        consent = self.prompt()
        data = self._data(consent, lambda f: f[0] == "c")[0]
        await self.process(self.callback_update(data, consent))

    async def answer_current(self) -> None:
        """Answer whatever question the bot is showing (a resumed participant)."""
        prompt = self.prompt()
        fields = [b["callback_data"].split("|") for b in prompt.buttons() if "callback_data" in b]
        ops = {f[4] for f in fields if f[0] == "a" and len(f) > 4}
        if "v" in ops:
            data = self.rng.choice(self._data(prompt, lambda f: f[0] == "a" and f[4] == "v"))
            await self.process(self.callback_update(data, prompt))
        elif "t" in ops:
            data = self._data(prompt, lambda f: f[0] == "a" and f[4] == "t")[0]
            await self.process(self.callback_update(data, prompt))
            data = self._data(self.prompt(), lambda f: f[0] == "a" and f[4] == "d")[0]
            await self.process(self.callback_update(data, self.prompt()))
        elif ops:
            index = int(next(f[3] for f in fields if f[0] == "a"))
            await self.process(self.message_update(typed_answer(QUESTION_KINDS[index][0],
                                                                self.rng)))
        # else: the review is showing; a participant reading it sends nothing.

    async def answer_all(self) -> None:
        """Answer the ten questions (buttons, toggles, typed text) and submit."""
        for question_id, kind in QUESTION_KINDS:
            prompt = self.prompt()
            if kind == "button":
                data = self.rng.choice(self._data(prompt, lambda f: f[0] == "a" and f[4] == "v"))
                await self.process(self.callback_update(data, prompt))
            elif kind == "multi":
                data = self.rng.choice(self._data(prompt, lambda f: f[0] == "a" and f[4] == "t"))
                await self.process(self.callback_update(data, prompt))
                prompt = self.prompt()  # the same message, its keyboard edited
                data = self._data(prompt, lambda f: f[0] == "a" and f[4] == "d")[0]
                await self.process(self.callback_update(data, prompt))
            else:
                await self.process(self.message_update(typed_answer(question_id, self.rng)))
        review = self.prompt()
        data = self._data(review, lambda f: f[0] == "r" and f[3] == "submit")[0]
        await self.process(self.callback_update(data, review))
