"""Appointments: availability for 8 weeks x 10 desks with 5,000 existing appointments (p50/p95
and the number of SQL queries, which must not grow with the data). Booking under contention
(200 clients on 20 places over HTTP) is ``bench_rush``."""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.bench_queue import _pct

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


def main() -> None:
    booking, _rows = _setup()
    _availability(booking)
