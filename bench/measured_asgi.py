"""``onthaal.asgi`` with each Django request measured, for ``bench_outside`` and ``bench_rush``
(BENCH_MEASURE=dir):
where a request's time goes inside the app process.

Per kind of request (creation, call-next, finish, display, ticket status, a booking's 201 and
409, other): the wall time
from the request thread's start to its answer, the thread's CPU time (Python, and psycopg's
and SQLite's own work in the thread), the time in database statements (wall, from Django's
``execute_wrapper``: the database's work, the round trip and waiting for a lock in it; the
wait for an advisory lock, the booking's day lock, apart), and
with BENCH_CPROFILE=1 a cProfile of the request threads. What the requests waited for outside
the thread (uvicorn's loop, the thread pool's queue) is the outside latency minus this wall
time. Each process writes ``<dir>/<pid>.json`` (and ``.prof``) every 100 requests.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.db import connection

import onthaal.asgi

application = onthaal.asgi.application

OUT = Path(os.environ["BENCH_MEASURE"])
PROFILE = os.environ.get("BENCH_CPROFILE") == "1"
KINDS = [
    ("create", re.compile(r"^/api/v1/tickets/$")),
    ("call-next", re.compile(r"^/api/v1/desks/\d+/call-next/$")),
    ("finish", re.compile(r"^/api/v1/tickets/\d+/finish/$")),
    ("display", re.compile(r"^/api/v1/locations/\d+/display/$")),
    ("status", re.compile(r"^/ticket/[^/]+/status\.json$")),
    ("booking", re.compile(r"^/api/v1/appointments/$")),
]
_lock = threading.Lock()
_totals: dict[str, list[float]] = {}  # kind -> [count, wall, cpu, db, statements, lock]
_local = threading.local()
_profiles: list[cProfile.Profile] = []
_count = 0


def _kind(path: str) -> str:
    return next((name for name, pattern in KINDS if pattern.match(path)), "other")


def _db_timer(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    t0 = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        _local.db += time.perf_counter() - t0
        _local.statements += 1
        if "pg_advisory_xact_lock" in sql:  # waiting for a lock (the booking's day lock)
            _local.lock += time.perf_counter() - t0


def _dump() -> None:
    with _lock:
        data = {
            k: dict(zip(("n", "wall", "cpu", "db", "statements", "lock"), v, strict=True))
            for k, v in _totals.items()
        }
        profiles = list(_profiles)
    (OUT / f"{os.getpid()}.json").write_text(json.dumps(data))
    if profiles:
        stats = pstats.Stats(profiles[0])
        for p in profiles[1:]:
            stats.add(p)
        stats.dump_stats(OUT / f"{os.getpid()}.prof")


def measured(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def run(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        global _count
        _local.db, _local.statements, _local.lock = 0.0, 0, 0.0
        w0, c0 = time.perf_counter(), time.thread_time()
        answered: list[str] = []

        def start(status: str, *args: Any) -> Any:
            answered.append(status[:3])
            return start_response(status, *args)

        with connection.execute_wrapper(_db_timer):
            if PROFILE:
                profile = getattr(_local, "profile", None)
                if profile is None:
                    profile = _local.profile = cProfile.Profile()
                    with _lock:
                        _profiles.append(profile)
                body = list(profile.runcall(app, environ, start))
            else:
                body = list(app(environ, start))
        wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
        kind = _kind(environ.get("PATH_INFO", ""))
        if kind == "booking" and answered:  # a booking's 201 and 409 apart
            kind = f"booking {answered[0]}"
            if answered[0] == "409":  # refused before the day's lock, or in it
                kind += " in the lock" if _local.lock else " before the lock"
        with _lock:
            t = _totals.setdefault(kind, [0, 0.0, 0.0, 0.0, 0, 0.0])
            t[0] += 1
            t[1] += wall
            t[2] += cpu
            t[3] += _local.db
            t[4] += _local.statements
            t[5] += _local.lock
            _count += 1
            due = _count % 100 == 0
        if due:
            _dump()
        return body

    return run


onthaal.asgi.django_application.app = measured(onthaal.asgi.django_application.app)  # type: ignore[assignment]
