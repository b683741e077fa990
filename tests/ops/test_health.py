"""``bot.health`` over loopback: what Prometheus scrapes, and that no label can carry a person."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.health import ErrorKind, HealthServer, Metrics, parse_listen, serve_health

#: Label names Prometheus itself adds (histogram buckets) and our single one.
ALLOWED_LABELS = {"le", "kind"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def served(clock: Clock, tmp_path: Path) -> Iterator[tuple[Metrics, str]]:
    metrics = Metrics(stale_after=60, clock=clock)
    database = tmp_path / "consultbot.sqlite3"
    database.write_bytes(b"x" * 4096)
    metrics.watch_database(database)
    server: HealthServer = serve_health(metrics, "127.0.0.1:0")
    try:
        yield metrics, f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def scrape(base: str) -> dict[str, float]:
    status, text = get(base + "/metrics")
    assert status == 200
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, sample
            if "kind" in sample.labels:
                assert sample.labels["kind"] in {kind.value for kind in ErrorKind}
            key = sample.name + "".join(f"[{v}]" for _, v in sorted(sample.labels.items()))
            samples[key] = sample.value
    return samples


def test_metrics_count_what_the_application_reports(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    for _ in range(3):
        metrics.update_handled()
    metrics.error(ErrorKind.NETWORK)
    metrics.set_outbox_backlog(12)
    metrics.message_sent()
    metrics.message_sent()
    metrics.observe_queue_latency(0.2)
    samples = scrape(base)
    assert samples["consultbot_updates_handled_total"] == 3
    assert samples["consultbot_errors_total[network]"] == 1
    assert samples["consultbot_errors_total[storage]"] == 0
    assert samples["consultbot_outbox_backlog"] == 12
    assert samples["consultbot_messages_sent_total"] == 2
    assert samples["consultbot_queue_latency_seconds_count"] == 1
    assert samples["consultbot_queue_latency_seconds_bucket[0.25]"] == 1
    assert samples["consultbot_database_bytes"] == 4096


def test_a_label_cannot_carry_free_text(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    for leak in ("123456789", "labour-dialogue-2026", "my boss is Jean Dupont"):
        with pytest.raises(ValueError):
            metrics.error(leak)  # type: ignore[arg-type]  # what a careless caller might do
    _, text = get(base + "/metrics")
    assert "123456789" not in text and "Dupont" not in text and "labour" not in text


def test_healthz_turns_503_when_the_heartbeat_stops(served: tuple[Metrics, str],
                                                     clock: Clock) -> None:
    metrics, base = served
    assert get(base + "/healthz") == (200, "ok\n")
    clock.now += 61
    status, _ = get(base + "/healthz")
    assert status == 503
    assert scrape(base)["consultbot_seconds_since_heartbeat"] == 61
    metrics.heartbeat()
    assert get(base + "/healthz")[0] == 200
    assert get(base + "/other")[0] == 404


def test_doctor_reads_healthz(served: tuple[Metrics, str], clock: Clock) -> None:
    from bot.doctor import Level, check_healthz

    _, base = served
    assert check_healthz(base + "/healthz")[0].level is Level.OK
    clock.now += 61
    finding = check_healthz(base + "/healthz")[0]
    assert finding.level is Level.FAIL and "stuck" in finding.message


@pytest.mark.parametrize("listen", ["9090", "localhost:", ":9090", "host:99999"])
def test_listen_addresses_are_checked(listen: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen(listen)


async def test_an_instrumented_application_counts_updates_and_errors(clock: Clock) -> None:
    from telegram import Update
    from telegram.ext import Application, CommandHandler, ContextTypes

    from bot.health import instrument
    from tests.fakebot import BOT_TOKEN, ChatUser, FakeTelegram, OfflineRequest

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("welcome")

    async def broken(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("a bug")

    telegram = FakeTelegram()
    app = (Application.builder().token(BOT_TOKEN).request(OfflineRequest(telegram))
           .get_updates_request(OfflineRequest(telegram)).build())
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("broken", broken))
    metrics = Metrics(stale_after=60, clock=clock)
    instrument(app, metrics)
    async with app:
        user = ChatUser(app, telegram, user_id=987654321)
        clock.now += 100  # without updates the bot would look stuck
        assert not metrics.healthy()
        await user.command("/start")
        await user.command("/broken")
        assert metrics.healthy()
    text = metrics.exposition().decode()
    samples = {s.name + "".join(s.labels.values()): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples["consultbot_updates_handled_total"] == 2
    assert samples["consultbot_errors_totalhandler"] == 1
    assert samples["consultbot_queue_latency_seconds_count"] == 2
    assert "987654321" not in text and "Amina" not in text and "broken" not in text
