"""Never a double booking, with real concurrent connections on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter

import pytest
import time_machine
from django.db import connection

from onthaal.appointments import services
from onthaal.appointments.models import Appointment, Status
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.core.errors import Conflict, DomainError
from onthaal.organisation.models import Location
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]

TUESDAY_10 = dt.datetime(2027, 3, 23, 10, 0, tzinfo=BRUSSELS)
WEDNESDAY = dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS)


def _overlaps() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM appointments_appointment a
            JOIN appointments_appointment b
              ON a.desk_id = b.desk_id AND a.id < b.id
             AND a.start < b."end" AND b.start < a."end"
            WHERE a.status IN ('held','booked','checked_in','called','in_service')
              AND b.status IN ('held','booked','checked_in','called','in_service')
            """
        )
        return int(cursor.fetchone()[0])


@pytest.fixture(autouse=True)
def _every_thread_at_once(monkeypatch):
    """The threads here stand for as many app processes: each books at once, without the
    turns one process gives its bookings (``services._booking_turn``), so that the database's
    guarantees are tried at full concurrency."""
    monkeypatch.setattr(services, "_turns", threading.BoundedSemaphore(1000))


@pytest.fixture
def request_():
    from onthaal.demo import zonnedoorn

    with time_machine.travel(TUESDAY_10, tick=False):
        zonnedoorn.load()
    with time_machine.travel(TUESDAY_10, tick=True):
        yield services.build_request(
            location=Location.objects.get(slug="administratief-centrum"),
            products=[Product.objects.get(slug="eid-aanvragen")],
        )


def test_200_clients_on_20_places_give_20_bookings_and_180_conflicts(request_):
    """5 times x 4 desks = 20 places; 50 connections make 200 attempts at the same moment."""
    times = [WEDNESDAY + dt.timedelta(minutes=30 * n) for n in range(5)]
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def work(n: int) -> None:
        for k in range(4):
            try:
                services.book(
                    request=request_,
                    start=times[(n + k) % 5],
                    name=f"Client {n}-{k}",
                    email=f"c{n}-{k}@example.org",
                )
                result = "booked"
            except Conflict:
                result = "conflict"
            with lock:
                outcomes[result] += 1

    assert run_at_once(50, work) == []
    assert outcomes == Counter({"booked": 20, "conflict": 180})
    assert Appointment.objects.filter(status=Status.BOOKED).count() == 20
    assert _overlaps() == 0


def test_one_process_works_on_its_turns_of_bookings_and_the_rush_stays_right(request_, monkeypatch):
    """In one app process, at most ``BOOKING_TURNS`` bookings at once; 40 threads on 8 places
    still give 8 bookings, 32 conflicts and no overlap."""
    monkeypatch.setattr(services, "_turns", threading.BoundedSemaphore(services.BOOKING_TURNS))
    times = [WEDNESDAY, WEDNESDAY + dt.timedelta(minutes=30)]
    inside, most = 0, 0
    lock = threading.Lock()
    book = services._book

    def counted(**kwargs):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        try:
            return book(**kwargs)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(services, "_book", counted)
    outcomes: Counter[str] = Counter()

    def work(n: int) -> None:
        try:
            services.book(
                request=request_, start=times[n % 2], name=f"C {n}", email=f"c{n}@example.org"
            )
            result = "booked"
        except Conflict:
            result = "conflict"
        with lock:
            outcomes[result] += 1

    assert run_at_once(40, work) == []
    assert outcomes == Counter({"booked": 8, "conflict": 32})
    assert 1 <= most <= services.BOOKING_TURNS
    assert _overlaps() == 0


def test_1000_random_book_cancel_move_operations_leave_no_overlap(request_):
    times = [WEDNESDAY + dt.timedelta(minutes=10 * n) for n in range(18)]
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def work(n: int) -> None:
        rnd = random.Random(n)
        mine: list[Appointment] = []
        for k in range(125):
            op = rnd.choice(["book", "book", "cancel", "move"]) if mine else "book"
            try:
                if op == "book":
                    appointment, _ = services.book(
                        request=request_,
                        start=rnd.choice(times),
                        name="Load",
                        email=f"l{n}-{k}@example.org",
                    )
                    mine.append(appointment)
                elif op == "cancel":
                    services.cancel(appointment=mine.pop(rnd.randrange(len(mine))))
                else:
                    old = mine.pop(rnd.randrange(len(mine)))
                    mine.append(services.reschedule(appointment=old, start=rnd.choice(times)))
                result = op
            except (Conflict, DomainError):
                result = f"{op}-refused"
            with lock:
                counts[result] += 1

    assert run_at_once(8, work) == []
    assert sum(counts.values()) == 1000
    assert counts["book"] > 0 and counts["book-refused"] > 0
    assert _overlaps() == 0


def test_the_database_itself_refuses_an_overlapping_appointment(request_):
    """Even a write that bypasses the service meets the exclusion constraint."""
    from django.db import IntegrityError, transaction

    appointment, _ = services.book(
        request=request_, start=WEDNESDAY, name="Jan", email="jan@example.org"
    )
    twin = Appointment.objects.get(pk=appointment.pk)
    twin.pk = None
    twin.reference = "TWIN0001"
    twin.start = WEDNESDAY + dt.timedelta(minutes=5)
    twin.end = WEDNESDAY + dt.timedelta(minutes=20)
    with pytest.raises(IntegrityError, match="appointment_no_overlap"), transaction.atomic():
        twin.save()
    twin.status = Status.CANCELLED  # cancelled ones do not count
    twin.save()
    assert Appointment.objects.count() == 2


def test_30_concurrent_holds_of_one_client_leave_exactly_the_limit(request_, settings):
    """One client (one address) fires 30 holds for 30 different free times at the same
    instant: the per-client lock makes them count each other, so exactly the limit is held."""
    from onthaal.core.ratelimit import TooMany

    client = services.client_key("203.0.113.5")
    day = WEDNESDAY.date()
    times = [s.start for s in services.availability(request_, day, day)][:30]
    assert len(times) == 30
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            services.hold(request=request_, start=times[n], client=client)
            result = "held"
        except TooMany:
            result = "refused"
        except Conflict:
            result = "conflict"
        with lock:
            outcomes[result] += 1

    assert run_at_once(30, work) == []
    limit = settings.ONTHAAL_HOLDS_PER_CLIENT
    assert outcomes == Counter({"held": limit, "refused": 30 - limit})
    assert Appointment.objects.filter(status=Status.HELD, hold_client=client).count() == limit


def test_two_moves_into_the_last_free_place_one_wins_and_the_other_keeps_its_time(request_):
    """Three rounds: three of the four desks are taken at the target time, and two booked
    appointments are moved there at the same instant. One move wins; the other is a 409
    and keeps its old time, its desk and its calendar sequence; the winner kept its
    reference and gave up its old time in the same transaction."""
    for round_ in range(3):
        target = WEDNESDAY + dt.timedelta(minutes=30 * round_)
        for n in range(3):
            services.book(
                request=request_, start=target, name="Full", email=f"f{round_}-{n}@example.org"
            )
        movers = [
            services.book(
                request=request_,
                start=WEDNESDAY + dt.timedelta(hours=4, minutes=30 + 30 * round_),  # 13:30…
                name="Mover",
                email=f"m{round_}-{n}@example.org",
            )[0]
            for n in range(2)
        ]
        before = {m.pk: (m.start, m.desk_id) for m in movers}  # reschedule refreshes them
        outcomes: Counter[str] = Counter()
        lock = threading.Lock()

        def work(n: int, movers=movers, target=target, outcomes=outcomes, lock=lock) -> None:
            try:
                services.reschedule(appointment=movers[n], start=target)
                result = "moved"
            except Conflict:
                result = "conflict"
            with lock:
                outcomes[result] += 1

        assert run_at_once(2, work) == []
        assert outcomes == Counter({"moved": 1, "conflict": 1})
        after = {a.pk: a for a in Appointment.objects.filter(pk__in=[m.pk for m in movers])}
        won = [pk for pk, a in after.items() if a.start == target]
        lost = [pk for pk, a in after.items() if (a.start, a.desk_id) == before[pk]]
        assert len(won) == len(lost) == 1
        assert after[won[0]].sequence == 1 and after[lost[0]].sequence == 0
        assert {a.reference for a in after.values()} == {m.reference for m in movers}
        assert Appointment.objects.filter(start=target, status=Status.BOOKED).count() == 4
    assert Appointment.objects.count() == 3 * 5  # moves add no rows
    assert _overlaps() == 0
