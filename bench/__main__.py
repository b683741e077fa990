"""``python -m bench``: run the six benchmarks, one process each, and print one table.

Each benchmark runs as ``python -m bench.<module> --json FILE`` in a fresh process, one after
the other: memory figures start clean, and only one core-heavy process runs at a time (the
machine is shared). ``--quick`` runs every benchmark at a small scale (a minute or two);
the defaults are the full targets' scale (the million-response data set is generated in
about 20 s the first time and cached in --cache-dir afterwards). ``--json`` prints every
figure, ratio, verdict and the machine's facts as one JSON document on stdout (the progress
goes to stderr), for tracking figures over time.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench.common import Figure, Result, format_value, machine, read_result

#: (number, module, full-scale arguments, quick arguments)
BENCHMARKS: tuple[tuple[int, str, list[str], list[str]], ...] = (
    (1, "throughput", [], ["--users", "300", "--repeat", "2"]),
    (2, "durable_writes", [], ["--answers", "5000", "--per-commit-answers", "300"]),
    (3, "moderator_scale", [], ["--responses", "20000"]),
    (4, "open_conversations", [], ["--in-progress", "10000", "--active", "1000"]),
    (5, "end_to_end", [], ["--users", "50", "--per-user", "10"]),
    (6, "announcement", [], ["--subscribers", "3000", "--participants", "10",
                             "--think", "0.5", "2"]),
)
TINY: dict[int, list[str]] = {
    1: ["--users", "6", "--clients", "3", "--repeat", "1"],
    2: ["--answers", "200", "--writers", "8", "--per-commit-answers", "20"],
    3: ["--responses", "300", "--no-xlsx", "--repeat", "1"],
    4: ["--in-progress", "200", "--active", "20", "--clients", "4"],
    5: ["--users", "2", "--per-user", "2", "--timeout", "60"],
    6: ["--subscribers", "40", "--participants", "2", "--think", "0", "0.05"],
}


def table(results: list[Result]) -> str:
    """Every figure, one line each, with its target and verdict."""
    lines = [f"{'benchmark':<28} {'figure':<44} {'value':>12} {'unit':<9} {'target':<9} met"]
    lines.append("-" * len(lines[0]))
    for result in results:
        for figure in result.figures:
            met = "" if figure.met is None else ("yes" if figure.met else "NO")
            lines.append(f"{result.benchmark:<28} {figure.name:<44} "
                         f"{format_value(figure.value):>12} {figure.unit:<9} {figure.target:<9} {met}")
    return "\n".join(lines)


def _e2e_next_to_in_process(results: list[Result]) -> Result | None:
    by_number = {r.benchmark.split(".")[0]: r for r in results}
    if "1" not in by_number or "5" not in by_number:
        return None
    in_process = _figure(by_number["1"], "consultbot updates/s")
    drain = _figure(by_number["5"], "drain rate (consultbot run + emulator)")
    if in_process is None or drain is None:
        return None
    summary = Result("1 vs 5", {})
    summary.add("in-process updates/s (1)", in_process.value, "upd/s")
    summary.add("end-to-end drain msg/s (5)", drain.value, "msg/s")
    summary.add("ratio end-to-end / in-process", drain.value / in_process.value, "x")
    return summary


def _figure(result: Result, name: str) -> Figure | None:
    return next((f for f in result.figures if f.name == name), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small scale (a minute or two)")
    parser.add_argument("--tiny", action="store_true", help="smallest scale (smoke test)")
    parser.add_argument("--only", default="1,2,3,4,5,6", help="comma-separated benchmark numbers")
    parser.add_argument("--responses", type=int, default=None,
                        help="submitted responses for benchmark 3 (default 1000000)")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="where benchmark 3 caches its generated data directory")
    parser.add_argument("--json", action="store_true",
                        help="print every figure as one JSON document on stdout (progress on "
                             "stderr)")
    args = parser.parse_args(argv)
    wanted = {int(n) for n in args.only.split(",") if n.strip()}
    progress = sys.stderr if args.json else sys.stdout
    started_at = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    facts = machine()

    def say(text: str) -> None:
        print(text, file=progress, flush=True)

    say("machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()))
    results: list[Result] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="consultbot-bench-json-") as tmp:
        for number, module, full, quick in BENCHMARKS:
            if number not in wanted:
                continue
            extra = TINY[number] if args.tiny else quick if args.quick else full
            if number == 3 and args.responses is not None:
                extra = [a for a in extra if a != "--responses"] + ["--responses", str(args.responses)]
            if number == 3 and args.cache_dir is not None:
                extra = [*extra, "--cache-dir", str(args.cache_dir)]
            json_path = Path(tmp) / f"{module}.json"
            command = [sys.executable, "-m", f"bench.{module}", *extra, "--json", str(json_path)]
            say(f"\n$ python -m bench.{module} {' '.join(extra)}")
            started = time.perf_counter()
            done = subprocess.run(command, check=False, stdout=progress)
            if done.returncode != 0 or not json_path.exists():
                failed.append(module)
                say(f"   {module} FAILED (exit {done.returncode})")
                continue
            say(f"   ({time.perf_counter() - started:.0f} s)")
            results.append(read_result(json_path))
    summary = _e2e_next_to_in_process(results)
    if summary is not None:
        results.append(summary)
    say("\n" + table(results))
    if failed:
        say(f"\nfailed: {', '.join(failed)}")
    if args.json:
        print(json.dumps({"started": started_at, "machine": facts, "commit": _commit(),
                          "arguments": vars(args) | {"cache_dir": str(args.cache_dir or "")},
                          "benchmarks": [asdict(result) for result in results],
                          "failed": failed}, indent=2))
    return 1 if failed else 0


def _commit() -> str:
    """The checked-out commit, so a figure can be traced to the code it measured."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False, cwd=Path(__file__).resolve().parent)
    except OSError:
        return ""
    return done.stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
