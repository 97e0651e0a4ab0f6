"""The dashboard's main request in process, on a database the reporting benchmark kept
(``BENCH_KEEP_DB=1``): wall time and the CPU time of this process and of its PostgreSQL backend
(read from ``/proc``: steadier than wall time on a shared machine), with the advice kept and
with the rollups changed before each request; ``profile`` adds a cProfile of one request and
``queries`` the slowest statements of one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_onthaal_bench DEBUG=0 \\
    ALLOWED_HOSTS=testserver SECRET_KEY=… PYTHONPATH=src python bench/profile_reporting.py 15 queries

(``test_`` and the benchmark's database name: the database ``bench/run.py`` kept.) Not part of
``make bench``."""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import time
from typing import Any


def main(runs: int, mode: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onthaal.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from onthaal.reporting import services

    manager = get_user_model().objects.get(username="manager")
    client = Client()
    client.force_login(manager)
    device, _ = TOTPDevice.objects.get_or_create(
        user=manager, name="profile", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    queries: list[tuple[float, str]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((time.perf_counter() - start, sql))

    def get() -> None:
        response = client.get("/staff/reports/", HTTP_ACCEPT_LANGUAGE="nl")
        assert response.status_code == 200, response.status_code

    def changed() -> None:
        with transaction.atomic():
            services.rollups_changed()

    get()  # warm
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        with open(f"/proc/{backend}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    for label, before in (("advice kept", None), ("rollups changed", changed)):
        times, app, db, in_db = [], [], [], []
        for _ in range(runs):
            if before:
                before()
            queries.clear()
            cpu, cpu_db = time.process_time(), backend_cpu()
            with connection.execute_wrapper(wrapper):
                start = time.perf_counter()
                get()
                times.append(time.perf_counter() - start)
            app.append(time.process_time() - cpu)
            db.append(backend_cpu() - cpu_db)
            in_db.append(sum(q[0] for q in queries))
        print(
            f"{label}: median {statistics.median(times) * 1000:.0f} ms (min "
            f"{min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); waiting for the database "
            f"{statistics.median(in_db) * 1000:.0f} ms in {len(queries)} queries; CPU app "
            f"{statistics.mean(app) * 1000:.0f} ms + database {statistics.mean(db) * 1000:.0f} "
            f"ms (means); load {os.getloadavg()[0]:.2f}"
        )
    if mode == "profile":
        profile = cProfile.Profile()
        profile.enable()
        get()
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    if mode in ("profile", "queries"):
        queries.clear()
        with connection.execute_wrapper(wrapper):
            get()
        for seconds, sql in sorted(queries, reverse=True)[:12]:
            print(f"{seconds * 1000:7.1f} ms  {sql[:200]}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9, sys.argv[2] if len(sys.argv) > 2 else "")
