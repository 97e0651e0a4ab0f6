"""The queue's hot writes in process, through the whole stack (WSGI handler, middleware, DRF,
service, PostgreSQL, Redis): ticket creation, call-next and finish as ``bench_queue`` sends
them, each measured per request: the CPU time of this process (Python, psycopg, redis-py), of
its PostgreSQL backend (from ``/proc``) and of the Redis server (``INFO cpu``; shared with
anything else using it), wall time, statements (``execute_wrapper``; a pipelined write counts
as the one statement Django sees) and Redis commands sent. CPU time is steadier than wall time
on a shared machine. ``profile`` adds a cProfile of the creations and of the call-nexts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onthaal_bench_x REDIS_URL=redis://127.0.0.1:6379/0 \\
    PYTHONPATH=src python bench/profile_writes.py [N] [profile]

Builds its data in a throw-away ``test_`` database, as ``bench/run.py`` does. Not part of
``make bench``."""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE.parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onthaal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("ONTHAAL_DATA_DIR", tempfile.mkdtemp(prefix="onthaal-bench-"))
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
# As `onthaal serve --workers 2` runs: the read cache is shared through Redis.
os.environ.setdefault("ONTHAAL_APP_PROCESSES", "2")


SHOW_SQL = "sql" in sys.argv[2:]


class Meter:
    """Counts statements and Redis commands, and reads the CPU of this process, of the
    connection's PostgreSQL backend and of the Redis server."""

    def __init__(self) -> None:
        import redis

        self.statements = 0
        self.redis_commands = 0
        self.redis = redis.Redis.from_url(os.environ["REDIS_URL"])
        self.tick = os.sysconf("SC_CLK_TCK")
        self.backend = 0
        meter = self
        original = redis.connection.AbstractConnection.send_packed_command

        def counted(conn: Any, command: Any, check_health: bool = True) -> None:
            if conn is not None:
                meter.redis_commands += len(command) if isinstance(command, list) else 1
            original(conn, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]

    def wrapper(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any
    ) -> Any:
        self.statements += 1
        if SHOW_SQL:
            print("   SQL:", " ".join(sql.split())[:200])
        return execute(sql, params, many, ctx)

    def backend_cpu(self) -> float:
        from django.db import connection

        if not self.backend:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend = cursor.fetchone()[0]
        with open(f"/proc/{self.backend}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick

    def redis_cpu(self) -> float:
        info = self.redis.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def measure(meter: Meter, label: str, requests: list[Callable[[], None]], profile: bool) -> None:
    from django.db import connection

    for r in requests[:5]:  # warm: the first request reads the theme and fills caches
        r()
    requests = requests[5:]
    if SHOW_SQL:
        requests = requests[:1]
    meter.backend_cpu()
    s0, c0 = meter.statements, meter.redis_commands
    walls = []
    cpu, db, rd = time.process_time(), meter.backend_cpu(), meter.redis_cpu()
    prof = cProfile.Profile() if profile else None
    with connection.execute_wrapper(meter.wrapper):
        for r in requests:
            t = time.perf_counter()
            if prof:
                prof.runcall(r)
            else:
                r()
            walls.append(time.perf_counter() - t)
    n = len(requests)
    cpu = (time.process_time() - cpu) / n * 1000
    db = (meter.backend_cpu() - db) / n * 1000
    rd = (meter.redis_cpu() - rd) / n * 1000
    print(
        f"{label}: {n} requests, wall median {statistics.median(walls) * 1000:.2f} ms; "
        f"CPU per request: app {cpu:.2f} ms, PostgreSQL backend {db:.2f} ms, Redis {rd:.2f} ms; "
        f"statements {(meter.statements - s0) / n:.1f}, Redis commands "
        f"{(meter.redis_commands - c0 - 2) / n:.1f}",  # less the two INFO
        flush=True,
    )
    if prof:
        stats = pstats.Stats(prof)
        stats.dump_stats(f"{tempfile.gettempdir()}/profile_writes-{label}.prof")
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)


def main(n: int, profile: bool) -> None:
    import django

    django.setup()
    import logging

    for name in ("onthaal.task", "onthaal.request"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from bench import bench_queue

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
        setup = bench_queue._setup()
        meter = Meter()
        queue = setup["queue"]
        body = {"location": queue.location_id, "queue": queue.pk, "source": "reception"}
        client = Client()
        headers = {"HTTP_AUTHORIZATION": f"Token {setup['reception']}"}

        def create() -> None:
            r = client.post("/api/v1/tickets/", body, content_type="application/json", **headers)
            assert r.status_code == 201, (r.status_code, r.content[:300])

        measure(meter, "creation", [create] * (n + 5), profile)

        desks = [d for agent in setup["agents"] for d in agent]
        called: dict[int, int] = {}

        def call(desk: int, token: str) -> Callable[[], None]:
            def run() -> None:
                r = client.post(
                    f"/api/v1/desks/{desk}/call-next/",
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Token {token}",
                )
                assert r.status_code == 200, (r.status_code, r.content[:300])
                called[desk] = r.json()["id"]

            return run

        def finish(desk: int, token: str) -> Callable[[], None]:
            def run() -> None:
                r = client.post(
                    f"/api/v1/tickets/{called[desk]}/finish/",
                    {"desk": desk},
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Token {token}",
                )
                assert r.status_code == 200, (r.status_code, r.content[:300])

            return run

        # Each desk calls and finishes in turn, for as many rounds as make ``n`` calls.
        count = min(n, len(desks) - 5) + 5
        for _ in range(max(1, round(n / (count - 5)))):
            measure(meter, "call-next", [call(*d) for d in desks[:count]], profile)
            measure(meter, "finish", [finish(*d) for d in desks[:count]], profile)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, "profile" in sys.argv[2:])
