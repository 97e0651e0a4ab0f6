"""Run every benchmark and print its figures: ``make bench``.

Each ``bench/bench_*.py`` module has ``main() -> None`` that builds its data set and prints
lines ``<figure>: <value> <unit>``. Benchmarks run against a throw-away database: a fresh
PostgreSQL database when DATABASE_URL points at PostgreSQL, else a temporary SQLite file.
Figures are medians over several runs; the machine's noise is in the spread printed beside them.

``BENCH_KEEP_DB=1`` keeps that database after the run and uses it again on the next one (its
name is the test database's: ``test_`` and the ``DATABASE_URL`` database's name). Only the
reporting benchmark makes use of it: it loads its two million visits once and reuses them.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE.parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onthaal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("ONTHAAL_DATA_DIR", tempfile.mkdtemp(prefix="onthaal-bench-"))


def calibration_ms() -> float:
    """A fixed pure-Python workload, to read the figures against the machine's speed that day
    (on a shared virtual machine it varies by a factor of 2 to 3)."""
    import statistics
    import time

    runs = []
    for _ in range(7):
        start = time.perf_counter()
        sum(i * i for i in range(200_000))
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main(selected: list[str]) -> None:
    import django

    django.setup()
    import logging

    # The data sets enqueue tasks by the thousand (the demo's mail, the visits) and some
    # benchmarks request pages in this process: their one-line-per-task and per-request log
    # belongs in a server's log, not among the figures. The servers the benchmarks start keep
    # their own logging.
    for name in ("onthaal.task", "onthaal.request"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    keep = os.environ.get("BENCH_KEEP_DB", "") == "1"
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=keep, serialize=False
    )
    print(
        f"database: {connection.vendor} ({connection.settings_dict['NAME']}"
        f"{', kept between runs' if keep else ''})"
    )
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    print(
        f"machine: {calibration_ms():.1f} ms for sum(i * i for i in range(200_000)) (median of 7)"
    )
    try:
        for path in sorted(HERE.glob("bench_*.py")):
            name = path.stem
            if selected and name.removeprefix("bench_") not in selected:
                continue
            print(f"\n== {name.removeprefix('bench_')} ==", flush=True)
            importlib.import_module(f"bench.{name}").main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=keep)


if __name__ == "__main__":
    main(sys.argv[1:])
