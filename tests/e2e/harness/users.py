"""Telegram users played by the tests: they send what a phone would send and read the bot's chat.

Waiting works like reading a chat: after each action the user has "seen" everything on screen,
and :meth:`TelegramUser.wait_for_bot` returns the first bot message that is new or was edited
since then (and marks it seen, so two waits return two messages). Nothing sleeps a fixed time:
waits long-poll the emulator until the bot changes something, up to a timeout.
"""

from __future__ import annotations

import base64
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.harness.emulator import DEFAULT_TIMEOUT, Emulator

__all__ = ["BotMessage", "Button", "Identity", "TelegramUser"]

#: MIME types Telegram clients send that Python 3.11's mimetypes does not know.
_MIME_TYPES = {".yaml": "application/x-yaml", ".yml": "application/x-yaml"}


@dataclass(frozen=True)
class Button:
    """One inline keyboard button."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class BotMessage:
    """A message the bot sent to a user, as it looks now (after any edits)."""

    message_id: int
    #: The text, or the caption of a photo/document ("" when there is neither).
    text: str
    #: Inline keyboard rows (empty when the message has none).
    buttons: tuple[tuple[Button, ...], ...]
    #: Bot API Document object (file_id, file_name, mime_type, file_size) or None.
    document: dict[str, Any] | None
    #: Bot API PhotoSize list or None.
    photo: tuple[dict[str, Any], ...] | None
    media_group_id: str | None
    edited: bool
    deleted: bool
    #: How often the bot edited it.
    version: int
    #: The keyboard exactly as the bot sent it: reply keyboards too, which ``buttons`` skips.
    reply_markup: dict[str, Any] | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_api(cls, message: dict[str, Any]) -> BotMessage:
        """Build from the emulator's Bot API form of a message."""
        keyboard = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        meta = message["e2e"]
        return cls(
            message_id=message["message_id"],
            text=message.get("text", message.get("caption", "")),
            buttons=tuple(
                tuple(Button(b["text"], b.get("callback_data"), b.get("url")) for b in row) for row in keyboard
            ),
            document=message.get("document"),
            photo=tuple(message["photo"]) if "photo" in message else None,
            media_group_id=message.get("media_group_id"),
            edited="edit_date" in message,
            deleted=meta["deleted"],
            version=meta["version"],
            reply_markup=meta.get("reply_markup"),
            raw=message,
        )

    @property
    def button_labels(self) -> list[str]:
        """All inline button labels, row by row."""
        return [button.text for row in self.buttons for button in row]

    def button(self, label: str) -> Button | None:
        """The button with exactly this label, if any."""
        return next((b for row in self.buttons for b in row if b.text == label), None)

    @property
    def file_id(self) -> str | None:
        """The document's file_id, or the largest photo size's."""
        if self.document:
            return str(self.document["file_id"])
        return str(self.photo[-1]["file_id"]) if self.photo else None


@dataclass(frozen=True)
class Identity:
    """What Telegram tells a bot about a user: exactly what must never be stored or logged."""

    user_id: int
    first_name: str
    last_name: str
    username: str


class TelegramUser:
    """One Telegram user in a private chat with the bot (chat id = user id, as in Telegram)."""

    def __init__(
        self, emulator: Emulator, token: str, identity: Identity, language_code: str | None = "en"
    ) -> None:
        self.emulator = emulator
        self.token = token
        self.identity = identity
        self.language_code = language_code
        self._seen: dict[int, int] = {}  # bot message id -> version already read
        self.last_callback_query_id: str | None = None

    @property
    def user_id(self) -> int:
        return self.identity.user_id

    @property
    def chat_id(self) -> int:
        return self.identity.user_id

    def __repr__(self) -> str:
        return f"TelegramUser({self.identity.first_name!r})"

    # --- what the user sends ---------------------------------------------------------------

    def _from(self) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.identity.first_name,
            "last_name": self.identity.last_name,
            "username": self.identity.username,
        }
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **fields: Any) -> dict[str, Any]:
        chat = {
            "id": self.chat_id,
            "type": "private",
            "first_name": self.identity.first_name,
            "last_name": self.identity.last_name,
            "username": self.identity.username,
        }
        return {"botToken": self.token, "from": self._from(), "chat": chat, "date": int(time.time()), **fields}

    def send_text(self, text: str, **extra: Any) -> int:
        """Send a plain message; ``extra`` adds Message fields (e.g. ``forward_origin``).

        Returns:
            The message id of the user's message.
        """
        self._mark_seen()
        return int(self.emulator.call("/sendMessage", self._message(text=text, **extra))["message_id"])

    def send_command(self, command: str, arg: str | None = None) -> int:
        """Send ``/command`` or ``/command arg`` with its bot_command entity, like a client does."""
        text = command if arg is None else f"{command} {arg}"
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self._mark_seen()
        return int(self.emulator.call("/sendCommand", self._message(text=text, entities=entities))["message_id"])

    def press(self, label: str, message_id: int | None = None) -> str:
        """Press the inline button ``label`` in the newest bot message that has it.

        Args:
            label: The button's exact label.
            message_id: Press it in this bot message instead (e.g. an old one, to test stale buttons).

        Returns:
            The callback query id (see :meth:`wait_for_callback_answer`).

        Raises:
            AssertionError: No such button on screen (the message lists the labels there are).
        """
        messages = [m for m in self.bot_messages() if message_id in (None, m.message_id)]
        for message in reversed(messages):
            button = message.button(label)
            if button is not None:
                assert button.callback_data is not None, f"button {label!r} is a URL button"
                return self.send_callback(button.callback_data, message.message_id)
        on_screen = {m.message_id: m.button_labels for m in messages if m.buttons}
        raise AssertionError(f"no button {label!r} on screen; buttons by message id: {on_screen}")

    def send_callback(self, data: str, message_id: int) -> str:
        """Send a callback query with any ``data`` from bot message ``message_id`` (forged presses).

        Returns:
            The callback query id.
        """
        self._mark_seen()
        payload = {
            "botToken": self.token,
            "from": self._from(),
            "chat_id": self.chat_id,
            "message_id": message_id,
            "data": data,
            "date": int(time.time()),
        }
        query_id = str(self.emulator.call("/sendCallback", payload)["callback_query_id"])
        self.last_callback_query_id = query_id
        return query_id

    def send_photo(self, path: Path, caption: str | None = None) -> int:
        """Send a picture file as a Telegram photo (compressed image, no file name)."""
        return self._send_file("/sendPhoto", Path(path), caption, None, None)

    def send_document(
        self, path: Path, caption: str | None = None, mime_type: str | None = None, filename: str | None = None
    ) -> int:
        """Send a file as a Telegram document, with its name and MIME type (guessed from the name)."""
        path = Path(path)
        name = filename or path.name
        mime = (
            mime_type
            or _MIME_TYPES.get(Path(name).suffix.lower())
            or mimetypes.guess_type(name)[0]
            or "application/octet-stream"
        )
        return self._send_file("/sendDocument", path, caption, name, mime)

    def _send_file(self, route: str, path: Path, caption: str | None, name: str | None, mime: str | None) -> int:
        fields: dict[str, Any] = {"dataBase64": base64.b64encode(path.read_bytes()).decode()}
        if name is not None:
            fields |= {"filename": name, "mimeType": mime}
        if caption is not None:
            fields["caption"] = caption
        self._mark_seen()
        return int(self.emulator.call(route, self._message(**fields))["message_id"])

    def block_bot(self, blocked: bool = True) -> None:
        """Block (or unblock) the bot: its sends to this user then fail with 403."""
        self.emulator.block_bot(self.token, self.chat_id, blocked)

    # --- what the user reads ---------------------------------------------------------------

    def bot_messages(self, include_deleted: bool = False) -> list[BotMessage]:
        """Every bot message in this chat, oldest first."""
        return self._bot_messages(self.emulator.chat_messages(self.token, self.chat_id)[1], include_deleted)

    @staticmethod
    def _bot_messages(messages: list[dict[str, Any]], include_deleted: bool = False) -> list[BotMessage]:
        parsed = [BotMessage.from_api(m) for m in messages if m["e2e"]["from_bot"]]
        return [m for m in parsed if include_deleted or not m.deleted]

    def last_bot_message(self) -> BotMessage:
        """The newest bot message still in the chat.

        Raises:
            AssertionError: The bot has not written to this user.
        """
        messages = self.bot_messages()
        assert messages, "the bot has sent nothing to this user"
        return messages[-1]

    def deleted_bot_messages(self) -> list[BotMessage]:
        """Bot messages the bot deleted in this chat."""
        return [m for m in self.bot_messages(include_deleted=True) if m.deleted]

    def unseen_bot_messages(self) -> list[BotMessage]:
        """Bot messages new or edited since the user's last action and not yet waited for.

        For "the bot said nothing else" checks, once the bot has shown it is done (e.g. after
        waiting for its last expected message), since silence cannot be awaited.
        """
        return [m for m in self.bot_messages() if self._is_unseen(m)]

    def _mark_seen(self) -> None:
        for message in self.bot_messages(include_deleted=True):
            self._seen[message.message_id] = message.version

    def _is_unseen(self, message: BotMessage) -> bool:
        return not message.deleted and self._seen.get(message.message_id, -1) < message.version

    def wait_for_bot(
        self,
        contains: str | None = None,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> BotMessage:
        """Wait for the first new or edited bot message (since the last action) that matches.

        Args:
            contains: Text the message's text/caption must contain.
            predicate: Any further condition.
            timeout: Seconds to wait before failing.

        Returns:
            The message, now marked seen.

        Raises:
            AssertionError: Nothing matched in time; lists what the bot did send.
        """

        def matches(message: BotMessage) -> bool:
            return (contains is None or contains in message.text) and (predicate is None or predicate(message))

        deadline = time.monotonic() + timeout
        version: int | None = None
        while True:
            remaining = deadline - time.monotonic()
            version, raw = self.emulator.chat_messages(
                self.token, self.chat_id, after_version=version, timeout=max(0.0, remaining)
            )
            for message in self._bot_messages(raw):
                if self._is_unseen(message) and matches(message):
                    self._seen[message.message_id] = message.version
                    return message
            if time.monotonic() >= deadline:
                unseen = [m.text for m in self._bot_messages(raw) if self._is_unseen(m)]
                raise AssertionError(
                    f"{self!r} waited {timeout}s for a bot message"
                    f"{f' containing {contains!r}' if contains else ''}{' matching the predicate' if predicate else ''};"
                    f" new/edited bot messages: {unseen}; all: {[m.text for m in self._bot_messages(raw)]}"
                )

    def wait_for_callback_answer(
        self, query_id: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """Wait until the bot answers a callback query (the last press by default).

        Returns:
            The answerCallbackQuery parameters: ``text`` (may be absent), ``show_alert`` ("true"/"false"), ...
        """
        query_id = query_id or self.last_callback_query_id
        assert query_id is not None, "no button pressed yet"
        deadline = time.monotonic() + timeout
        while True:
            for call in self.emulator.bot_calls(self.token, "answerCallbackQuery"):
                if call["params"].get("callback_query_id") == query_id:
                    return dict(call["params"])
            assert time.monotonic() < deadline, f"the bot did not answer callback query {query_id} in {timeout}s"
            time.sleep(0.05)

    def download(self, message: BotMessage) -> bytes:
        """The bytes of the document or (largest) photo in a bot message."""
        assert message.file_id, f"message {message.message_id} carries no file"
        return self.emulator.file_content(message.file_id)
