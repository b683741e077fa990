"""The measuring helpers themselves: own-process memory, fastest of warmed runs, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.common import fastest, run_measured

ALLOCATE = "import time; block = bytearray({mb} * 1024 * 1024); time.sleep(0.3)"


def test_a_childs_peak_memory_is_its_own_not_its_parents() -> None:
    ballast = bytearray(300 * 1024 * 1024)  # this process: over 300 MB resident
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = run_measured([sys.executable, "-c", ALLOCATE.format(mb=1)])
    big = run_measured([sys.executable, "-c", ALLOCATE.format(mb=150)])
    del ballast
    assert small.returncode == 0 and big.returncode == 0
    assert 0 < small.peak_rss_mb < 100  # ru_maxrss from wait4 would say > 300 here
    assert 150 <= big.peak_rss_mb < 300
    assert big.seconds >= 0.3


def test_fastest_counts_neither_the_warm_up_nor_slower_runs() -> None:
    times = iter([9.0, 3.0, 1.0, 2.0])  # the first is the (untimed) warm-up
    best, seen = fastest(3, lambda: next(times), seconds_of=lambda t: t)
    assert best == 1.0
    assert seen == [3.0, 1.0, 2.0]


def test_python_m_bench_json_prints_every_figure_as_json(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--only", "1", "--json"],
                          capture_output=True, text=True, timeout=300, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    document = json.loads(done.stdout)  # stdout is only the JSON; progress went to stderr
    assert document["machine"]["nproc"]
    assert document["failed"] == []
    [throughput] = document["benchmarks"]
    figures = {figure["name"]: figure for figure in throughput["figures"]}
    ratio = figures["ratio consultbot / echo"]
    assert ratio["target"] == ">= 0.5" and isinstance(ratio["met"], bool)
    assert figures["consultbot updates/s"]["value"] > 0
    assert "consultbot updates/s" in done.stderr  # the human table is still printed
