"""Appointments: availability for 8 weeks x 10 desks with 5,000 existing appointments (p50/p95
and the number of SQL queries, which must not grow with the data), and booking throughput
under contention over HTTP with 2 app processes (200 clients, 20 places). Each client first
fetches and solves its proof-of-work challenge, as a citizen's browser does; only the POST is
measured (solving is the client's cost, by design)."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import statistics
import threading
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.bench_queue import _pct, _server

RUNS = 30
DESKS = 10
APPOINTMENTS = 5000


def _setup() -> tuple[object, list[object]]:
    import time_machine

    from onthaal.appointments import services
    from onthaal.appointments.models import Appointment, Status
    from onthaal.catalogue.models import Product
    from onthaal.core import clock
    from onthaal.demo import zonnedoorn
    from onthaal.organisation.models import Department, Desk, Location

    zonnedoorn.load()
    location = Location.objects.get(slug="administratief-centrum")
    department = Department.objects.get(slug="burgerzaken")
    desks = list(Desk.objects.filter(location=location, departments=department, kind="desk"))
    for n in range(DESKS - len(desks)):
        desk = Desk.objects.create(location=location, name=f"Extra balie {n}")
        desk.departments.add(department)
        desks.append(desk)
    booking = services.build_request(
        location=location, products=[Product.objects.get(slug="eid-aanvragen")]
    )
    today = clock.today()
    slots = services.availability(booking, today, today + dt.timedelta(weeks=8))
    rows = []
    now = clock.now()
    for slot in slots:
        for desk_id in slot.resource_ids:
            if len(rows) >= APPOINTMENTS:
                break
            # Every other 10-minute slot at every desk: a realistically busy agenda.
            if (slot.start.minute // 10) % 2 == 0:
                rows.append(
                    Appointment(
                        token_hash="x" * 64,
                        location=location,
                        department=department,
                        desk_id=desk_id,
                        start=slot.start,
                        end=slot.end,
                        status=Status.BOOKED,
                        name="Bench",
                        email=f"b{len(rows)}@example.org",
                        created_at=now,
                    )
                )
    Appointment.objects.bulk_create(rows, batch_size=1000)
    del time_machine
    return booking, rows


def _availability(booking: object) -> None:
    from onthaal.appointments import services
    from onthaal.core import clock

    today = clock.today()
    durations = []
    queries = set()
    last = today + dt.timedelta(weeks=8)
    # The queries are counted in separate calls: recording them costs time of its own.
    for _ in range(3):
        with CaptureQueriesContext(connection) as ctx:
            services.availability(booking, today, last)  # type: ignore[arg-type]
        queries.add(len(ctx.captured_queries))
    for _ in range(RUNS):
        start = time.perf_counter()
        found = services.availability(booking, today, last)  # type: ignore[arg-type]
        durations.append(time.perf_counter() - start)
    print(
        f"availability, 8 weeks x {DESKS} desks, {APPOINTMENTS} appointments: "
        f"p50 {_pct(durations, 0.5) * 1000:.1f} ms, p95 {_pct(durations, 0.95) * 1000:.1f} ms "
        f"(n={RUNS}); SQL queries per call: {sorted(queries)}; {len(found)} free slots "
        f"[goal p95 < 50 ms, fixed query count]"
    )


def _contention(port: int) -> None:
    from onthaal.appointments import proof, services
    from onthaal.catalogue.models import Product
    from onthaal.core import clock
    from onthaal.organisation.models import Location

    location = Location.objects.get(slug="administratief-centrum")
    booking = services.build_request(
        location=location, products=[Product.objects.get(slug="reispas-afhalen")]
    )
    # The first free slots a fortnight ahead: 20 places (slots x desks).
    day = clock.today() + dt.timedelta(days=14)
    places = []
    for slot in services.availability(booking, day, day + dt.timedelta(days=7)):
        for _ in slot.resource_ids:
            if len(places) < 20:
                places.append(slot.start)
    times = sorted(set(places))
    connection.close()
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    clients = 200
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        fetch = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        fetch.request("GET", "/api/v1/appointments/challenge/")
        challenge = json.loads(fetch.getresponse().read())
        fetch.close()  # solving takes longer than the server keeps an idle connection
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = json.dumps(
            {
                "product": ["reispas-afhalen"],
                "location": "administratief-centrum",
                "start": times[n % len(times)].astimezone(clock.BRUSSELS).isoformat(),
                "name": f"Client {n}",
                "email": f"client{n}@example.org",
                "altcha": proof.solve(challenge),
            }
        )
        barrier.wait()
        t0 = time.perf_counter()
        conn.request(
            "POST", "/api/v1/appointments/", body=body, headers={"Content-Type": "application/json"}
        )
        status = conn.getresponse().status
        with lock:
            results.append((status, time.perf_counter() - t0))
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    statuses = statistics.multimode([s for s, _ in results])
    created = sum(1 for s, _ in results if s == 201)
    conflicts = sum(1 for s, _ in results if s == 409)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b
               ON a.desk_id = b.desk_id AND a.id < b.id AND a.start < b."end" AND b.start < a."end"
               WHERE a.status = 'booked' AND b.status = 'booked'"""
        )
        overlaps = cursor.fetchone()[0]
    latencies = [d for _, d in results]
    print(
        f"booking under contention, {clients} clients on {len(places)} places, 2 app processes: "
        f"{created} booked, {conflicts} x 409, other {len(results) - created - conflicts} "
        f"(most common {statuses}); {overlaps} overlapping rows; "
        f"{len(results) / elapsed:.0f} req/s, p95 {_pct(latencies, 0.95) * 1000:.0f} ms"
    )


def main() -> None:
    booking, _rows = _setup()
    _availability(booking)
    if connection.vendor != "postgresql":
        print("booking under contention is measured on PostgreSQL (set DATABASE_URL)")
        return
    connection.close()
    with _server("redis://127.0.0.1:6379/0") as port:
        _contention(port)
