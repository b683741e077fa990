"""Optional ``/healthz`` and Prometheus ``/metrics`` on a local port, with nothing personal.

An operator needs to know that the bot is alive, keeping up, and not filling the disk. The
metrics say exactly that, in counts and durations only: no metric has a label that could
carry a Telegram id, a survey id, a question or an answer. The single label, ``kind`` of
``consultbot_errors_total``, takes values from :class:`ErrorKind` only, and anything else
is refused, so a careless caller cannot turn a label into a leak.

Serve it on a loopback or private address (``127.0.0.1:9090``); Prometheus, or the
container's health check, reads it there. The application updates the numbers through
the typed methods of :class:`Metrics`.
"""

from __future__ import annotations

import datetime as _dt
import threading
import time
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from storage.backup import database_size

__all__ = ["ErrorKind", "HealthServer", "Metrics", "instrument", "parse_listen", "serve_health"]

#: How long without a heartbeat before ``/healthz`` says the bot is stuck (seconds).
DEFAULT_STALE_AFTER = 120.0


class ErrorKind(StrEnum):
    """The only values the ``kind`` label may take."""

    HANDLER = "handler"
    NETWORK = "network"
    STORAGE = "storage"
    DELIVERY = "delivery"


class Metrics:
    """The bot's counters and gauges, in their own registry.

    Args:
        stale_after: Seconds without :meth:`heartbeat` after which the bot counts as stuck.
        clock: Monotonic seconds; tests pass their own.
    """

    def __init__(self, *, stale_after: float = DEFAULT_STALE_AFTER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock = clock
        self._stale_after = stale_after
        self._last_beat = clock()
        self._updates = Counter("consultbot_updates_handled", "Telegram updates handled",
                                registry=self.registry)
        self._errors = Counter("consultbot_errors", "Errors, by kind", ["kind"],
                               registry=self.registry)
        for kind in ErrorKind:
            self._errors.labels(kind=kind.value)  # every series exists from the start
        self._backlog = Gauge("consultbot_outbox_backlog", "Messages waiting in the outbox",
                              registry=self.registry)
        self._sent = Counter("consultbot_messages_sent",
                             "Outbox messages delivered (rate() gives the send rate)",
                             registry=self.registry)
        self._latency = Histogram(
            "consultbot_queue_latency_seconds",
            "Time from an update's arrival to the end of its handling",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry)
        self._database = Gauge("consultbot_database_bytes",
                               "Size of the database and its WAL on disk",
                               registry=self.registry)
        self._since_beat = Gauge("consultbot_seconds_since_heartbeat",
                                 "Seconds since the bot last showed it was alive",
                                 registry=self.registry)
        self._since_beat.set_function(lambda: self._clock() - self._last_beat)

    def update_handled(self) -> None:
        """Count one Telegram update handled (whatever its outcome)."""
        self._updates.inc()

    def error(self, kind: ErrorKind) -> None:
        """Count one error of a known kind.

        Raises:
            ValueError: ``kind`` is not an :class:`ErrorKind` (labels are never free text).
        """
        self._errors.labels(kind=ErrorKind(kind).value).inc()

    def set_outbox_backlog(self, waiting: int) -> None:
        """Record how many messages wait in the outbox now."""
        self._backlog.set(max(0, int(waiting)))

    def message_sent(self) -> None:
        """Count one outbox message delivered."""
        self._sent.inc()

    def observe_queue_latency(self, seconds: float) -> None:
        """Record how long one update waited and was handled."""
        self._latency.observe(max(0.0, float(seconds)))

    def watch_database(self, path: Path) -> None:
        """Report the size of the database at ``path`` whenever metrics are read."""
        self._database.set_function(lambda: float(database_size(path)))

    def heartbeat(self) -> None:
        """Say the bot is alive: call it from a repeating job and after each update."""
        self._last_beat = self._clock()

    def healthy(self) -> bool:
        """Whether the last heartbeat is recent enough."""
        return self._clock() - self._last_beat <= self._stale_after

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return bytes(generate_latest(self.registry))


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the base class's signature
        pass  # access lines would only repeat the scraper's address every few seconds


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def _app(metrics: Metrics) -> Callable[..., Iterable[bytes]]:
    def application(environ: dict[str, Any], start_response: Callable[..., Any]
                    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [metrics.exposition()]
        if path == "/healthz":
            ok = metrics.healthy()
            start_response("200 OK" if ok else "503 Service Unavailable",
                           [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n" if ok else b"stuck: no heartbeat\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found\n"]

    return application


class HealthServer:
    """The HTTP server of :func:`serve_health`, running in a daemon thread."""

    def __init__(self, server: WSGIServer) -> None:
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="consultbot-health",
                                        daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The port actually bound (useful when asked for port 0)."""
        return int(self._server.server_port)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (an IPv4 address or a name, e.g. ``127.0.0.1:9090``) as a pair.

    Raises:
        ValueError: Not ``HOST:PORT`` with a port between 0 and 65535.
    """
    host, sep, port_text = listen.rpartition(":")
    if not sep or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise ValueError(f"expected HOST:PORT, e.g. 127.0.0.1:9090 (got {listen!r})")
    return host.strip("[]"), int(port_text)


def serve_health(metrics: Metrics, listen: str) -> HealthServer:
    """Serve ``/metrics`` and ``/healthz`` on ``listen`` (``HOST:PORT``) until stopped."""
    host, port = parse_listen(listen)
    server = make_server(host, port, _app(metrics), server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    return HealthServer(server)


def instrument(application: Any, metrics: Metrics, *, heartbeat_every: float = 30.0) -> None:
    """Feed ``metrics`` from a python-telegram-bot ``Application``, before it starts.

    Adds a handler in the first group (every update is counted, keeps the
    heartbeat going, and a new message's age when its handling starts is its queue
    latency: how far behind Telegram the bot is), an error handler that counts errors by
    kind, and a repeating job that beats while the event loop is responsive. Nothing of
    the update is kept. The error handler only counts: python-telegram-bot stops logging
    unhandled errors once any error handler exists, so the application keeps its own
    (``bot.errors``) next to this one.
    """
    from telegram import Update  # only the running bot needs Telegram here
    from telegram.error import NetworkError
    from telegram.ext import TypeHandler

    async def count(update: Update, _context: Any) -> None:
        metrics.update_handled()
        metrics.heartbeat()
        message = update.message
        if message is not None and message.date is not None:
            age = _dt.datetime.now(_dt.UTC) - message.date
            metrics.observe_queue_latency(age.total_seconds())

    async def count_error(_update: object, context: Any) -> None:
        error = getattr(context, "error", None)
        metrics.error(ErrorKind.NETWORK if isinstance(error, NetworkError) else
                      ErrorKind.HANDLER)

    async def beat(_context: object) -> None:
        metrics.heartbeat()

    # Blocking, but it only increments counters: cheaper than scheduling a task.
    application.add_handler(TypeHandler(Update, count), group=-1000)
    application.add_error_handler(count_error)
    if application.job_queue is not None:
        application.job_queue.run_repeating(beat, interval=heartbeat_every, first=0,
                                            name="consultbot-heartbeat")
