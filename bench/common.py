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
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Figure",
    "Result",
    "add_common_arguments",
    "machine",
    "peak_rss_mb",
    "percentile",
    "rss_mb",
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
    rank = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
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

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
