"""An offline Telegram Bot API for tests, faked at python-telegram-bot's request layer.

python-telegram-bot sends every Bot API call through a :class:`telegram.request.BaseRequest`.
:class:`OfflineRequest` is such a request class: instead of HTTP it hands each call to a
:class:`FakeTelegram`, which records it and answers the way Telegram would (message ids, chats,
edits, files), so a real :class:`telegram.ext.Application` can be driven end to end with real
``Update`` JSON and nothing leaves the process. Tests then read what the bot "sent" from
:attr:`FakeTelegram.calls` or per chat through :class:`ChatUser`.

Anything that tries the real network fails the test: the request class only accepts the Bot
API URL shapes it knows, and ``tests/conftest.py`` refuses non-loopback sockets.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

__all__ = [
    "BOT_TOKEN",
    "ApiCall",
    "BotMessage",
    "ChatUser",
    "FakeTelegram",
    "OfflineRequest",
    "TelegramApiError",
]

BOT_TOKEN = "123456789:OFFLINE-test-token"
BOT_ID = 123456789
BOT_USERNAME = "consult_test_bot"

JSONDict = dict[str, Any]


class NetworkAccessError(AssertionError):
    """Raised when code under test tries to reach anything but the fake Bot API."""


@dataclass(frozen=True, slots=True)
class TelegramApiError(Exception):
    """An error the fake answers with instead of a result (e.g. 403 blocked, 429 flood)."""

    error_code: int
    description: str
    retry_after: int | None = None

    def payload(self) -> JSONDict:
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass(slots=True)
class ApiCall:
    """One Bot API call the bot made: the method, its JSON parameters and uploaded files."""

    method: str
    params: JSONDict
    #: Uploaded files by multipart part name: (file name, content, MIME type).
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)
    result: Any = None

    @property
    def chat_id(self) -> int | None:
        """The chat the call addresses, if any."""
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str | None:
        """The text or caption the call carries."""
        return self.params.get("text", self.params.get("caption"))


@dataclass(slots=True)
class BotMessage:
    """The fake's view of one message the bot has in a chat, kept current across edits."""

    message_id: int
    chat_id: int
    text: str | None
    reply_markup: JSONDict | None = None
    document: tuple[str, bytes, str] | None = None
    deleted: bool = False
    method: str = "sendMessage"

    def buttons(self) -> list[JSONDict]:
        """All inline buttons of the message, row by row."""
        if not self.reply_markup:
            return []
        return [b for row in self.reply_markup.get("inline_keyboard", []) for b in row]

    def button_labels(self) -> list[str]:
        """The labels of the inline buttons, in order."""
        return [b["text"] for b in self.buttons()]

    def to_message_json(self) -> JSONDict:
        """The message as it would appear inside an update (e.g. a callback query)."""
        data: JSONDict = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private"},
            "from": FakeTelegram.bot_user(),
        }
        if self.text is not None:
            data["text"] = self.text
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


def _read_content(content: Any) -> bytes:
    if isinstance(content, bytes):
        return content
    if hasattr(content, "read"):
        data = content.read()
        return data if isinstance(data, bytes) else str(data).encode()
    return str(content).encode()


class FakeTelegram:
    """The state of a fake Telegram server: the bot's messages, files and recorded calls."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[int, int], BotMessage] = {}
        self.files: dict[str, bytes] = {}
        self.blocked_chats: set[int] = set()
        self._failures: dict[str, list[TelegramApiError]] = {}
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    # -- configuration by tests -------------------------------------------------------------

    @staticmethod
    def bot_user() -> JSONDict:
        """The bot's own ``User`` object, as ``getMe`` returns it."""
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Consult Test",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def fail_next(self, method: str, error: TelegramApiError, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``error``."""
        self._failures.setdefault(method, []).extend([error] * times)

    def add_file(self, content: bytes) -> tuple[str, str]:
        """Store a user's upload; returns (file_id, file_unique_id) to put in an update."""
        number = next(self._file_ids)
        file_id = f"FILE{number:06d}"
        self.files[file_id] = content
        return file_id, f"U{number:06d}"

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_callback_id(self) -> str:
        return str(next(self._callback_ids))

    def next_message_id(self) -> int:
        return next(self._message_ids)

    # -- queries by tests -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one method, oldest first."""
        return [c for c in self.calls if c.method == method]

    def chat_messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in a chat that are still there, oldest first."""
        return [
            m
            for (chat, _), m in sorted(self.messages.items())
            if chat == chat_id and not m.deleted
        ]

    # -- the Bot API ------------------------------------------------------------------------

    def handle(self, method: str, params: JSONDict, files: dict[str, tuple[str, bytes, str]]) -> Any:
        """Answer one Bot API call like Telegram; raises TelegramApiError for failures."""
        call = ApiCall(method, params, files)
        self.calls.append(call)
        failures = self._failures.get(method)
        if failures:
            raise failures.pop(0)
        chat_id = call.chat_id
        if chat_id is not None and chat_id in self.blocked_chats:
            raise TelegramApiError(403, "Forbidden: bot was blocked by the user")
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            if method.startswith(("set", "delete", "answer", "close", "log")):
                call.result = True
                return True
            raise NetworkAccessError(f"the offline Bot API fake does not implement {method}")
        call.result = handler(call)
        return call.result

    def _new_message(self, call: ApiCall, text: str | None, **extra: Any) -> JSONDict:
        chat_id = call.chat_id
        assert chat_id is not None, f"{call.method} without chat_id"
        message = BotMessage(
            message_id=self.next_message_id(),
            chat_id=chat_id,
            text=text,
            reply_markup=call.params.get("reply_markup"),
            method=call.method,
        )
        if "document" in extra:
            message.document = extra.pop("document_file")
        self.messages[(chat_id, message.message_id)] = message
        data = message.to_message_json()
        data.update(extra)
        return data

    def _api_getMe(self, call: ApiCall) -> JSONDict:
        return self.bot_user()

    def _api_sendMessage(self, call: ApiCall) -> JSONDict:
        text = call.params.get("text")
        if not text or len(text) > 4096:
            raise TelegramApiError(400, "Bad Request: message text is empty or too long")
        return self._new_message(call, text)

    def _uploaded(self, call: ApiCall, field_name: str) -> tuple[str, bytes, str]:
        value = call.params.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            return call.files[value.removeprefix("attach://")]
        if field_name in call.files:
            return call.files[field_name]
        if isinstance(value, str) and value in self.files:
            return (value, self.files[value], "application/octet-stream")
        raise TelegramApiError(400, f"Bad Request: no {field_name} given")

    def _api_sendDocument(self, call: ApiCall) -> JSONDict:
        name, content, mime = self._uploaded(call, "document")
        file_id, unique = self.add_file(content)
        doc = {"file_id": file_id, "file_unique_id": unique, "file_name": name,
               "mime_type": mime, "file_size": len(content)}
        return self._new_message(call, call.params.get("caption"), document=doc,
                                 document_file=(name, content, mime))

    def _api_sendPhoto(self, call: ApiCall) -> JSONDict:
        _, content, _ = self._uploaded(call, "photo")
        file_id, unique = self.add_file(content)
        photo = [{"file_id": file_id, "file_unique_id": unique, "width": 800, "height": 600,
                  "file_size": len(content)}]
        return self._new_message(call, call.params.get("caption"), photo=photo)

    def _api_sendMediaGroup(self, call: ApiCall) -> list[JSONDict]:
        media = call.params.get("media") or []
        if not 2 <= len(media) <= 10:
            raise TelegramApiError(400, "Bad Request: media group must have 2-10 items")
        results = []
        for item in media:
            sub = ApiCall("sendPhoto", {"chat_id": call.chat_id, "photo": item.get("media"),
                                        "caption": item.get("caption")}, call.files)
            results.append(self._api_sendPhoto(sub))
        return results

    def _find(self, call: ApiCall) -> BotMessage:
        key = (int(call.params["chat_id"]), int(call.params["message_id"]))
        message = self.messages.get(key)
        if message is None or message.deleted:
            raise TelegramApiError(400, "Bad Request: message to edit not found")
        return message

    def _api_editMessageText(self, call: ApiCall) -> JSONDict:
        message = self._find(call)
        text = call.params.get("text")
        if text == message.text and call.params.get("reply_markup") == message.reply_markup:
            raise TelegramApiError(400, "Bad Request: message is not modified")
        message.text = text
        message.reply_markup = call.params.get("reply_markup")
        return message.to_message_json()

    def _api_editMessageReplyMarkup(self, call: ApiCall) -> JSONDict:
        message = self._find(call)
        message.reply_markup = call.params.get("reply_markup")
        return message.to_message_json()

    def _api_deleteMessage(self, call: ApiCall) -> bool:
        self._find(call).deleted = True
        return True

    def _api_getFile(self, call: ApiCall) -> JSONDict:
        file_id = call.params["file_id"]
        if file_id not in self.files:
            raise TelegramApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"U{file_id}",
                "file_size": len(self.files[file_id]), "file_path": f"files/{file_id}"}

    def _api_getUpdates(self, call: ApiCall) -> list[JSONDict]:
        return []

    def _api_getMyCommands(self, call: ApiCall) -> list[JSONDict]:
        return []

    def _api_sendChatAction(self, call: ApiCall) -> bool:
        return True


class OfflineRequest(BaseRequest):
    """A python-telegram-bot request class that answers from a :class:`FakeTelegram`."""

    __slots__ = ("telegram",)

    def __init__(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        """Nothing to open: there is no connection."""

    async def shutdown(self) -> None:
        """Nothing to close: there is no connection."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Route a Bot API URL to the fake; a file download returns the stored bytes."""
        if "/file/bot" in url:
            file_id = url.rsplit("/", 1)[-1]
            if file_id not in self.telegram.files:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, self.telegram.files[file_id]
        if "/bot" not in url:
            raise NetworkAccessError(f"unexpected request outside the Bot API: {method}")
        api_method = url.rsplit("/", 1)[-1]
        params: JSONDict = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        if request_data is not None:
            # ``parameters`` holds the JSON-ready values (dicts, lists, numbers, strings):
            # exactly what Telegram would decode from the request.
            params = json.loads(json.dumps(request_data.parameters))
            for part, value in request_data.multipart_data.items():
                name, content, mime = value[0], value[1], value[2] if len(value) > 2 else ""
                files[part] = (name or part, _read_content(content), mime or "")
        try:
            result = self.telegram.handle(api_method, params, files)
        except TelegramApiError as error:
            return error.error_code, json.dumps(error.payload()).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()


class ChatUser:
    """A participant in a private chat with the bot, sending real ``Update`` JSON.

    Each method builds the update a Telegram client would produce, has the application process
    it, and returns the calls the bot made while handling it.
    """

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        telegram: FakeTelegram,
        user_id: int,
        first_name: str = "Amina",
        username: str | None = "amina_w",
        language_code: str | None = "en",
    ) -> None:
        self.app = app
        self.telegram = telegram
        self.user_id = user_id
        self.first_name = first_name
        self.username = username
        self.language_code = language_code

    @property
    def chat_id(self) -> int:
        return self.user_id

    def user_json(self) -> JSONDict:
        user: JSONDict = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message_json(self, **content: Any) -> JSONDict:
        return {
            "message_id": self.telegram.next_message_id(),
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private", "first_name": self.first_name},
            "from": self.user_json(),
            **content,
        }

    async def process(self, update: JSONDict) -> list[ApiCall]:
        """Have the application process one update; returns the calls it caused."""
        before = len(self.telegram.calls)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.telegram.calls[before:]

    async def send_text(self, text: str, **extra: Any) -> list[ApiCall]:
        """Send a plain text message (``extra`` adds fields, e.g. ``forward_origin``)."""
        message = self._message_json(text=text, **extra)
        return await self.process({"update_id": self.telegram.next_update_id(), "message": message})

    async def command(self, command: str, *args: str) -> list[ApiCall]:
        """Send ``/command arg…`` with the bot_command entity Telegram adds."""
        text = " ".join((command, *args))
        entity = {"type": "bot_command", "offset": 0, "length": len(command)}
        message = self._message_json(text=text, entities=[entity])
        return await self.process({"update_id": self.telegram.next_update_id(), "message": message})

    async def send_photo(self, content: bytes, caption: str | None = None) -> list[ApiCall]:
        """Send a photo; the bytes become downloadable through ``getFile``."""
        file_id, unique = self.telegram.add_file(content)
        sizes = [{"file_id": file_id, "file_unique_id": unique, "width": 640, "height": 480,
                  "file_size": len(content)}]
        message = self._message_json(photo=sizes, **({"caption": caption} if caption else {}))
        return await self.process({"update_id": self.telegram.next_update_id(), "message": message})

    async def send_document(self, content: bytes, file_name: str,
                            mime_type: str = "application/octet-stream") -> list[ApiCall]:
        """Send a file as a document; the bytes become downloadable through ``getFile``."""
        file_id, unique = self.telegram.add_file(content)
        document = {"file_id": file_id, "file_unique_id": unique, "file_name": file_name,
                    "mime_type": mime_type, "file_size": len(content)}
        message = self._message_json(document=document)
        return await self.process({"update_id": self.telegram.next_update_id(), "message": message})

    async def press(self, label: str, message: BotMessage | None = None) -> list[ApiCall]:
        """Press the inline button labelled ``label`` on the newest bot message that has it."""
        target = message or self.message_with_button(label)
        data = next(b["callback_data"] for b in target.buttons() if b["text"] == label)
        return await self.press_data(data, target)

    async def press_data(self, data: str, message: BotMessage) -> list[ApiCall]:
        """Send a callback query with arbitrary data (e.g. forged) from ``message``."""
        query = {
            "id": self.telegram.next_callback_id(),
            "from": self.user_json(),
            "chat_instance": f"ci{self.chat_id}",
            "message": message.to_message_json(),
            "data": data,
        }
        return await self.process({"update_id": self.telegram.next_update_id(),
                                   "callback_query": query})

    # -- reading what the bot showed --------------------------------------------------------

    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat that are still there, oldest first."""
        return self.telegram.chat_messages(self.chat_id)

    def last_message(self) -> BotMessage:
        """The newest bot message in this chat."""
        messages = self.messages()
        assert messages, "the bot has sent nothing to this chat"
        return messages[-1]

    def message_with_button(self, label: str) -> BotMessage:
        """The newest bot message carrying a button with this label."""
        for message in reversed(self.messages()):
            if label in message.button_labels():
                return message
        shown = [m.button_labels() for m in self.messages()[-3:]]
        raise AssertionError(f"no button {label!r} in the chat; last buttons: {shown}")

    def texts(self) -> list[str]:
        """Texts of the bot's messages in this chat, oldest first."""
        return [m.text or "" for m in self.messages()]

    def answered_callbacks(self, calls: Iterable[ApiCall]) -> list[JSONDict]:
        """The ``answerCallbackQuery`` parameters among ``calls``."""
        return [c.params for c in calls if c.method == "answerCallbackQuery"]


def sent_texts(calls: Iterable[ApiCall]) -> list[str]:
    """Texts of every message sent or edited among ``calls``."""
    return [c.text or "" for c in calls
            if c.method in ("sendMessage", "editMessageText", "sendDocument", "sendPhoto")]


def params_of(calls: Iterable[ApiCall], method: str) -> list[Mapping[str, Any]]:
    """Parameters of every call of ``method`` among ``calls``."""
    return [c.params for c in calls if c.method == method]
