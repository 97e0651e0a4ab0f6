"""A booking rush (issue #6, item 7): 200 citizens book at the same instant on 20 free places,
over HTTP against ``onthaal serve --workers 2``, with the load generator in a process of its
own (``bench/rush_client.py``). The municipality has just opened new ID-card slots.

Right result: 20 booked, 180 x 409, nothing else, 0 overlapping appointments in the database.
Goal: p95 < 500 ms. Three runs on the same 20 places (emptied between runs); the figure is the
median of the runs' p95 (min-max beside it). PostgreSQL only: the embedded SQLite default has
one writer and is not what a municipality opens a rush on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection

from bench.bench_outside import inside
from bench.bench_queue import _pct, _server

if TYPE_CHECKING:
    from collections.abc import Iterator

CLIENTS = 200
PLACES = 20
RUNS = 3
GOAL_P95_MS = 500
HERE = Path(__file__).resolve().parent


def _places() -> list[dt.datetime]:
    """The first 20 free places (slot x desk) a fortnight ahead, as the starts the clients
    ask for: client ``n`` asks for ``starts[n % len(starts)]``."""
    from onthaal.appointments import services
    from onthaal.catalogue.models import Product
    from onthaal.core import clock
    from onthaal.demo import zonnedoorn
    from onthaal.organisation.models import Location

    zonnedoorn.load()
    booking = services.build_request(
        location=Location.objects.get(slug="administratief-centrum"),
        products=[Product.objects.get(slug="reispas-afhalen")],
    )
    day = clock.today() + dt.timedelta(days=14)
    places: list[dt.datetime] = []
    for slot in services.availability(booking, day, day + dt.timedelta(days=7)):
        for _ in slot.resource_ids:
            if len(places) < PLACES:
                places.append(slot.start)
    assert len(places) == PLACES, f"only {len(places)} free places"
    return places


def _overlaps() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b
               ON a.desk_id = b.desk_id AND a.id < b.id AND a.start < b."end" AND b.start < a."end"
               WHERE a.status IN ('held','booked','checked_in','called','in_service')
                 AND b.status IN ('held','booked','checked_in','called','in_service')"""
        )
        return int(cursor.fetchone()[0])


def _forget_full_times() -> None:
    """The times the previous run filled are remembered as full in Redis for a few seconds
    (``appointments.full_times``); its appointments were deleted here, not cancelled, so the
    server was not told: forget the marks (every day's version) of the server's install."""
    import redis

    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    for key in client.scan_iter(match="*:appointments:day:*", count=1000):
        client.delete(key)


def _run(port: int, starts: list[str]) -> tuple[Counter[int], list[float], int, int]:
    from onthaal.appointments.models import Appointment

    Appointment.objects.filter(name__startswith="Rush ").delete()  # the previous run's
    _forget_full_times()
    connection.close()
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "rush_client.py"),
            str(port),
            str(CLIENTS),
            uuid.uuid4().hex[:8],
            *starts,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    answer = json.loads(done.stdout)
    statuses = Counter(int(s) for s, _ in answer["results"])
    latencies = [float(d) for _, d in answer["results"]]
    booked = Appointment.objects.filter(name__startswith="Rush ", status="booked").count()
    return statuses, latencies, booked, _overlaps()


@contextmanager
def _measured_server(redis_url: str, measure: Path) -> Iterator[int]:
    """The same server with each Django request measured inside (``bench/measured_asgi.py``,
    BENCH_MEASURE=dir, BENCH_CPROFILE=1): uvicorn with 2 workers as ``onthaal serve`` starts
    it."""
    from bench.bench_outside import _env, _free_port, _process

    measure.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    serve = [sys.executable, "-m", "uvicorn", "bench.measured_asgi:application", "--port"]
    serve += [str(port), "--workers", "2", "--lifespan", "off", "--no-access-log"]
    env = {**_env(redis_url), "ONTHAAL_APP_PROCESSES": "2", "UV_TCP_SINGLE_ACCEPT": "1"}
    # This checkout's code, not whichever the virtualenv's editable install points at.
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent / "src"), str(HERE.parent)])
    with _process(serve, env, port, "/api/v1/locations/") as started:
        yield started


def main() -> None:
    if connection.vendor != "postgresql":
        print("booking rush: measured on PostgreSQL (set DATABASE_URL)")
        return
    from onthaal.core import clock

    places = _places()
    starts = [s.astimezone(clock.BRUSSELS).isoformat() for s in sorted(set(places))]
    connection.close()
    p95s: list[float] = []
    right = True
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    measure = os.environ.get("BENCH_MEASURE", "")
    server = _measured_server(redis_url, Path(measure)) if measure else _server(redis_url)
    with server as port:
        for run in range(1, RUNS + 1):
            statuses, latencies, booked, overlaps = _run(port, starts)
            p95 = _pct(latencies, 0.95) * 1000
            p95s.append(p95)
            ok = (
                statuses == Counter({201: PLACES, 409: CLIENTS - PLACES})
                and booked == PLACES
                and overlaps == 0
            )
            right = right and ok
            print(
                f"booking rush run {run}: {CLIENTS} clients on {PLACES} places "
                f"({len(starts)} times): {statuses[201]} x 201, {statuses[409]} x 409, "
                f"other {sum(n for s, n in statuses.items() if s not in (201, 409))}; "
                f"{booked} booked in the database, {overlaps} overlaps "
                f"[{'right' if ok else 'WRONG'}]; p50 {_pct(latencies, 0.5) * 1000:.0f} ms, "
                f"p95 {p95:.0f} ms, max {max(latencies) * 1000:.0f} ms",
                flush=True,
            )
    median = statistics.median(p95s)
    print(
        f"booking rush, {CLIENTS} clients on {PLACES} places, 2 app processes: "
        f"p95 {median:.0f} ms (median of {RUNS} runs, {min(p95s):.0f}-{max(p95s):.0f}) "
        f"[goal p95 < {GOAL_P95_MS} ms: {'met' if median < GOAL_P95_MS else 'MISSED'}]; "
        f"result {'right in every run' if right else 'WRONG'} "
        f"(20 booked, 180 x 409, 0 overlaps)"
    )
    if measure:
        inside(Path(measure), top=25)
