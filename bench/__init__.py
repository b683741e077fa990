"""consultbot benchmarks: each measures a baseline in the same run and reports a ratio.

Run all five with ``python -m bench`` (see bench/README.md); each one is also a module of
its own (``python -m bench.throughput --help``).
"""
