"""The booking rush's requests in process (``bench_rush``'s 200 citizens on 20 places, one
after the other through Django's test client): per answer (201, 409) the CPU time of this
process and of its PostgreSQL backend (read from ``/proc``: steadier than wall time on a shared
machine), the wall time and the statements; ``profile`` adds a cProfile of the 409s and of the
201s, ``queries`` the statements of one of each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onthaal_x REDIS_URL=redis://127.0.0.1:6379/7 \\
    DEBUG=0 ALLOWED_HOSTS=testserver SECRET_KEY=x PYTHONPATH=src python bench/profile_rush.py 3

On a migrated database (the demo is loaded when it is not there). Not part of ``make bench``.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from typing import Any

CLIENTS = 200
PLACES = 20


def main(runs: int, mode: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onthaal.settings")
    os.environ.setdefault("ONTHAAL_BOOKINGS_PER_IP", "100000")
    django.setup()
    from django.db import connection
    from django.test import Client

    from bench.bench_rush import _places
    from onthaal.appointments import proof
    from onthaal.appointments.models import Appointment
    from onthaal.core import clock

    starts = [s.astimezone(clock.BRUSSELS).isoformat() for s in sorted(set(_places()))]
    client = Client()
    queries: list[tuple[float, str]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - t0, sql))

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        with open(f"/proc/{backend}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    profiles: dict[int, pstats.Stats] = {}
    kept: dict[int, list[tuple[float, str]]] = {}
    figures: dict[int, dict[str, list[float]]] = {}
    for run in range(runs + 1):  # the first to warm up (imports, prepared statements)
        Appointment.objects.filter(name__startswith="Rush ").delete()
        bodies = []
        for n in range(CLIENTS):
            made = proof.challenge()
            bodies.append(
                json.dumps(
                    {
                        "product": ["reispas-afhalen"],
                        "location": "administratief-centrum",
                        "start": starts[n % len(starts)],
                        "name": f"Rush {n}",
                        "email": f"rush{n}@example.org",
                        "altcha": proof.solve(made),
                    }
                )
            )
        for body in bodies:
            queries.clear()
            w0, c0, d0 = time.perf_counter(), time.process_time(), backend_cpu()

            def post(body: str = body) -> Any:
                return client.post(
                    "/api/v1/appointments/",
                    body,
                    content_type="application/json",
                    HTTP_ACCEPT="application/json",
                )

            with connection.execute_wrapper(wrapper):
                if mode == "profile":
                    # Which profile is known only after: run under both and keep one.
                    p = cProfile.Profile()
                    response = p.runcall(post)
                else:
                    response = post()
            w, c, d = time.perf_counter() - w0, time.process_time() - c0, backend_cpu() - d0
            status = response.status_code
            if run == 0:
                continue
            if mode == "profile":
                if status in profiles:
                    profiles[status].add(p)
                else:
                    profiles[status] = pstats.Stats(p)
            elif mode == "queries" and status not in kept:
                kept[status] = list(queries)
            f = figures.setdefault(status, {"wall": [], "cpu": [], "db_cpu": [], "statements": []})
            f["wall"].append(w * 1000)
            f["cpu"].append(c * 1000)
            f["db_cpu"].append(d * 1000)
            f["statements"].append(len(queries))
    for status, f in sorted(figures.items()):
        print(
            f"{status}: {len(f['wall'])} answers; wall p50 {statistics.median(f['wall']):.2f} ms, "
            f"CPU of the app {statistics.mean(f['cpu']):.2f} ms, of its PostgreSQL backend "
            f"{statistics.mean(f['db_cpu']):.2f} ms (means), "
            f"{statistics.mean(f['statements']):.1f} statements"
        )
    if mode == "queries":
        for status, qs in sorted(kept.items()):
            print(f"\nstatements of one {status}:")
            for t, sql in qs:
                print(f"  {t * 1000:6.2f} ms  {sql[:300]}")
    if mode == "profile":
        for status, p in sorted(profiles.items()):
            print(f"\ncProfile of the {status}s, by cumulative time (top 90):")
            p.sort_stats("cumulative").print_stats(90)


if __name__ == "__main__":
    sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..", "src")]
    sys.path[:0] = [os.path.join(os.path.dirname(__file__), "..")]
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3, sys.argv[2] if len(sys.argv) > 2 else "")
