"""Structured logs: one JSON object per line, for log collectors (``log_format = json``).

The same privacy rule as the text logs (ARCHITECTURE.md, "Logging"): no update payloads,
message text, names or ids. The formatter writes a fixed set of fields and never the
record's extra attributes, and it defends against the classic leak, ``logger.x("%s",
update)``: any Telegram object or mapping given as a log argument is replaced by
``<redacted TypeName>`` before the message is built. The bot token is removed from every
field, tracebacks included.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import sys
from collections.abc import Mapping
from typing import Any

__all__ = ["JsonFormatter", "setup_json_logging"]


def _redacted(value: object) -> object:
    module = type(value).__module__
    if isinstance(value, Mapping) or module.startswith("telegram"):
        return f"<redacted {type(value).__name__}>"
    return value


class JsonFormatter(logging.Formatter):
    """Formats a record as ``{"time", "level", "logger", "message"[, "error", "traceback"]}``."""

    def __init__(self, token: str = "") -> None:
        super().__init__()
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        args: Any = record.args
        if isinstance(args, tuple):
            args = tuple(_redacted(arg) for arg in args)
        elif args is not None:
            args = _redacted(args)
            if isinstance(args, str):
                args = (args,)  # a lone mapping argument became a placeholder string
        try:
            message = str(record.msg) % args if args else str(record.msg)
        except (TypeError, ValueError):
            message = str(record.msg)
        entry: dict[str, object] = {
            "time": _dt.datetime.fromtimestamp(record.created, _dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = type(record.exc_info[1]).__name__
            entry["traceback"] = self.formatException(record.exc_info)
        text = json.dumps(entry, ensure_ascii=False)
        return text.replace(self.token, "<token>") if self.token else text


def setup_json_logging(token: str = "", level: int = logging.INFO) -> None:
    """Like ``bot.logging_setup.setup_logging``, with JSON lines on stderr."""
    from bot.logging_setup import setup_logging  # the same library taming, then our format

    setup_logging(token, level)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stderr:
            handler.setFormatter(JsonFormatter(token))
