"""Logging for ``consultbot run``: INFO to stderr, with nothing personal or secret in it.

Privacy rule (DESIGN.md §3): logs carry no update payloads, message text, names or ids.
Our own code logs only counts, types and file names. Libraries need taming:
httpx logs every request URL at INFO, and a Bot API URL contains the bot token; ptb logs
update contents at DEBUG. Both are raised to WARNING, and a filter removes the token from
anything that still mentions it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

__all__ = ["QuietNetworkFormatter", "TokenFilter", "setup_logging"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Loggers that would print URLs (with the token) or update payloads below WARNING.
_CHATTY = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite")


class TokenFilter(logging.Filter):
    """Replaces the bot token by ``<token>`` in every record that passes through."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token:
            message = record.getMessage()
            if self.token in message:
                record.msg = message.replace(self.token, "<token>")
                record.args = None
        return True


class QuietNetworkFormatter(logging.Formatter):
    """Formats records, keeping tracebacks for bugs but not for network failures.

    When the Bot API cannot be reached, python-telegram-bot logs the whole httpx/httpcore
    traceback on every retry. An operator needs one line saying what failed, not forty lines
    of library internals, and the CLI already explains the failure in plain words. The
    token is removed from the whole formatted text, tracebacks included, because exception
    messages of HTTP libraries may quote the request URL.
    """

    def __init__(self, token: str = "") -> None:
        super().__init__(_FORMAT)
        self.token = token

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's API name)
        error = ei[1]
        if _is_network_error(error):
            return f"{type(error).__name__}: {error}"
        return super().formatException(ei)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace(self.token, "<token>") if self.token else text


def _is_network_error(error: BaseException | None) -> bool:
    from telegram.error import NetworkError  # noqa: PLC0415 (keep CLI start-up light)

    return isinstance(error, (NetworkError, OSError))


def setup_logging(token: str = "", level: int = logging.INFO) -> None:
    """Send INFO and above to stderr; silence libraries that leak URLs or payloads."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(QuietNetworkFormatter(token))
    handler.addFilter(TokenFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    # ptb's "Application started" and similar lifecycle lines carry nothing personal.
    logging.getLogger("telegram.ext.Application").setLevel(logging.INFO)
