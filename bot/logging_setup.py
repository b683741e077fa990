"""Logging for ``consultbot run``: INFO to stderr, with nothing personal or secret in it.

Privacy rule: logs carry no update payloads, message text,
names or ids. Our own code logs only counts, types and file names. Libraries cannot be
audited line by line, so they are held at WARNING, whatever level our code logs at:
httpx logs every request URL at INFO, and a Bot API URL contains the bot token;
python-telegram-bot logs update contents at DEBUG; Pillow logs image chunks and EXIF tags
(a photo's GPS position) at DEBUG. A filter removes the token from anything that still
mentions it.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import TypeAlias

__all__ = ["OUR_LOGGERS", "QuietNetworkFormatter", "TokenFilter", "setup_logging"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Loggers of consultbot's own code; every other logger is a library's and stays at WARNING.
OUR_LOGGERS = ("bot", "handlers", "storage", "surveys", "consultbot")
#: Libraries known to print URLs (with the token), payloads or image metadata below WARNING.
#: They are named as well as held by the root level, so a library that sets its own logger's
#: level (to DEBUG, say) is brought back.
_CHATTY = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "PIL", "matplotlib",
           "asyncio", "pyxform", "openpyxl")
#: ptb's lifecycle lines ("Application started") carry nothing personal and help operators.
_LIFECYCLE = "telegram.ext.Application"

_ExcInfo: TypeAlias = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
)


class TokenFilter(logging.Filter):
    """Replaces the bot token by ``<token>`` in every record that passes through."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without the token; never drops a record."""
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

    def formatException(self, ei: _ExcInfo) -> str:
        """One line for a network failure, the usual traceback for anything else."""
        error = ei[1]
        if _is_network_error(error):
            return f"{type(error).__name__}: {error}"
        return super().formatException(ei)

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, with the token replaced everywhere in it."""
        text = super().format(record)
        return text.replace(self.token, "<token>") if self.token else text


def _is_network_error(error: BaseException | None) -> bool:
    from telegram.error import NetworkError  # imported late: keeps the CLI's start-up light

    return isinstance(error, (NetworkError, OSError))


def setup_logging(token: str = "", level: int = logging.INFO) -> None:
    """Send our own records at ``level`` and above to stderr; libraries only from WARNING.

    Args:
        token: The bot token, removed from every line.
        level: The level of consultbot's own loggers (:data:`OUR_LOGGERS`); DEBUG shows our
            debug lines, never a library's.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(QuietNetworkFormatter(token))
    handler.addFilter(TokenFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(level)
    logging.getLogger(_LIFECYCLE).setLevel(max(level, logging.INFO))
