"""What every benchmark shares: the result record, the JSON hand-off and the machine facts.

Each benchmark module prints a human-readable block and, with ``--json FILE``, writes its
:class:`Result` so ``python -m bench`` can run it in a fresh process (clean memory figures,
one core-heavy process at a time) and put every figure in one table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar

__all__ = [
    "Figure",
    "Measured",
    "Result",
    "add_common_arguments",
    "fastest",
    "machine",
    "peak_rss_mb",
    "percentile",
    "rss_mb",
    "run_measured",
    "spread",
    "write_result",
]


@dataclass(slots=True)
class Figure:
    """One measured number, optionally compared with a target.

    ``target`` is a human string such as ``">= 0.5"``; ``met`` is None when there is none.
    """

    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None


@dataclass(slots=True)
class Result:
    """Everything one benchmark run measured, and the parameters it ran with."""

    benchmark: str
    parameters: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float, unit: str, target: str = "",
            met: bool | None = None) -> Figure:
        figure = Figure(name, float(value), unit, target, met)
        self.figures.append(figure)
        return figure

    def print(self) -> None:
        """The block a person reads after one benchmark."""
        params = ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        print(f"== {self.benchmark} ({params})")
        for f in self.figures:
            verdict = "" if f.met is None else ("  OK" if f.met else "  MISSED")
            target = f"  target {f.target}" if f.target else ""
            print(f"   {f.name:<44} {format_value(f.value):>12} {f.unit:<10}{target}{verdict}")
        for note in self.notes:
            print(f"   note: {note}")


def format_value(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3f}"


def write_result(result: Result, path: Path | None) -> None:
    """Print the block, and write the JSON form when ``--json`` asked for it."""
    result.print()
    if path is not None:
        path.write_text(json.dumps(asdict(result), indent=2))


def read_result(path: Path) -> Result:
    data = json.loads(path.read_text())
    return Result(data["benchmark"], data["parameters"],
                  [Figure(**f) for f in data["figures"]], data["notes"])


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write the figures as JSON (used by python -m bench)")


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (0.99 = p99) of ``samples``, nearest-rank; 0 if empty."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else 0.0


def rss_mb(pid: int | None = None) -> float:
    """Current resident set size (VmRSS) of a process, in MiB."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, str]:
    """nproc, CPU model, memory and Python: what a figure must be read against."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {"nproc": str(os.cpu_count()), "cpu": model, "memory": memory,
            "python": platform.python_version(), "load average at start": load}


class Stopwatch:
    """``with Stopwatch() as w: ...`` then ``w.seconds``."""

    __slots__ = ("_start", "seconds")

    def __enter__(self) -> Self:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


@dataclass(frozen=True, slots=True)
class Measured:
    """One subprocess run: wall seconds, its own peak memory, its exit code."""

    seconds: float
    peak_rss_mb: float
    returncode: int


#: How often :func:`run_measured` reads the child's high-water mark.
_SAMPLE_SECONDS = 0.01


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None  # gone (or not Linux)
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def run_measured(command: Sequence[str], **popen: Any) -> Measured:
    """Run ``command``; its wall time and the peak RSS of *its own* address space.

    Not ``ru_maxrss`` from ``wait4``: Linux carries the high-water mark of the address space
    a child was forked from into the child's ``ru_maxrss`` across ``exec`` (with vfork too),
    so a child of a 177 MB benchmark process "peaked" at 177 MB whatever it did (issue 18).
    ``VmHWM`` in ``/proc/PID/status`` belongs to the address space ``exec`` created; it is
    read every 10 ms until the child exits (it only grows, so the last reading is the peak
    except for growth in the child's last 10 ms).
    """
    started = time.perf_counter()
    process = subprocess.Popen(list(command), **popen)
    peak = 0.0
    while process.poll() is None:
        reading = _vm_hwm_mb(process.pid)
        if reading is not None:
            peak = max(peak, reading)
        time.sleep(_SAMPLE_SECONDS)
    return Measured(time.perf_counter() - started, peak, process.returncode)


T = TypeVar("T")


def fastest(runs: int, measure: Callable[[], T], seconds_of: Callable[[T], float],
            warm_up: bool = True) -> tuple[T, list[float]]:
    """The fastest of ``runs`` measurements (after one untimed warm-up), and every time.

    Both sides of a ratio are measured this way: the first run of anything reads a cold
    page cache and imports code, so a single baseline made the verdict flip between runs
    (the ``sqlite3`` dump took 1.22 s and 5.81 s back to back, issue 18); the fastest of
    several is what the machine can do, the spread says how noisy it was.
    """
    if warm_up:
        measure()
    results = [measure() for _ in range(max(1, runs))]
    best = min(results, key=seconds_of)
    return best, [seconds_of(result) for result in results]


def spread(times: Sequence[float]) -> str:
    """``"1.22 s (1.22-1.31 s over 3 runs)"`` for a note."""
    return (f"{min(times):.3g} s ({min(times):.3g}-{max(times):.3g} s over "
            f"{len(times)} run{'s' if len(times) != 1 else ''})")

