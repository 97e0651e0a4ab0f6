"""A booking rush's losers are refused by the cache once a time is full, and a place that is
freed is never refused for it (``appointments.full_times``, ADR 0005)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onthaal.appointments import full_times, services
from onthaal.appointments.models import Appointment, Status
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.core.errors import Conflict

pytestmark = pytest.mark.django_db

# The fixture's clock stands on Tuesday 2027-03-23 10:00.
WEDNESDAY_9 = dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS)


@pytest.fixture(autouse=True)
def _nothing_known(settings: Any) -> Iterator[None]:
    # One process: its memory is a cache every app process shares (on PostgreSQL without
    # Redis the marks are otherwise off).
    settings.ONTHAAL_READ_CACHE = "process"
    full_times.forget_known()
    yield
    full_times.forget_known()


def request(z: dict[str, Any]) -> services.Request:
    return services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )


def fill(z: dict[str, Any], start: dt.datetime) -> list[Appointment]:
    """Book ``start`` on every desk; the bookings."""
    made = []
    while True:
        try:
            made.append(
                services.book(
                    request=request(z), start=start, name="Jan", email=f"j{len(made)}@x.org"
                )[0]
            )
        except Conflict:
            return made


def booking(solve: Callable[[], str], n: int, start: str = "2027-03-24T09:00:00+01:00") -> dict:
    return {
        "product": ["eid-aanvragen"],
        "location": "administratief-centrum",
        "start": start,
        "name": f"Rush {n}",
        "email": f"rush{n}@example.org",
        "altcha": solve(),
    }


def test_a_time_found_full_is_refused_by_the_cache_without_a_query(client, zonnedoorn, solved):
    z = zonnedoorn
    made = fill(z, WEDNESDAY_9)
    assert len(made) == len(services._desks(request(z))) > 1
    first = client.post(
        "/api/v1/appointments/", booking(solved, 1), content_type="application/json"
    )
    assert first.status_code == 409, first.content  # found full: remembered

    with CaptureQueriesContext(connection) as queries:
        again = client.post(
            "/api/v1/appointments/", booking(solved, 2), content_type="application/json"
        )

    assert again.status_code == 409, again.content
    assert queries.captured_queries == []
    assert again.json() == first.json()  # the same answer, with the link to other times
    assert again.json()["code"] == "slot_taken"
    assert "next_slots_url" in again.json()
    assert Appointment.objects.count() == len(made)


def test_the_refusal_by_the_cache_still_needs_a_solved_proof(client, zonnedoorn, solved):
    z = zonnedoorn
    fill(z, WEDNESDAY_9)
    client.post("/api/v1/appointments/", booking(solved, 1), content_type="application/json")
    spent = booking(solved, 2)
    assert (
        client.post("/api/v1/appointments/", spent, content_type="application/json").status_code
        == 409
    )

    replayed = client.post("/api/v1/appointments/", spent, content_type="application/json")
    unsolved = client.post(
        "/api/v1/appointments/", {**spent, "altcha": ""}, content_type="application/json"
    )

    assert replayed.status_code == 400
    assert replayed.json()["code"] == "proof_invalid"
    assert unsolved.status_code == 400
    assert unsolved.json()["code"] == "proof_required"


def test_the_winner_that_takes_the_last_desk_marks_the_time_full(zonnedoorn, monkeypatch):
    z = zonnedoorn
    fill(z, WEDNESDAY_9)
    taken = request(z)
    loc, dept = taken.location.pk, taken.department.pk

    assert full_times.lookup(loc, dept, WEDNESDAY_9, WEDNESDAY_9 + taken.duration)[0]

    def not_read(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the desks were read")

    monkeypatch.setattr(services, "_desks", not_read)
    with pytest.raises(Conflict):
        services.book(request=taken, start=WEDNESDAY_9, name="Late", email="l@x.org")


@pytest.mark.parametrize("how", ["cancel", "move", "no_show"])
def test_a_freed_place_is_offered_again_at_once(zonnedoorn, how):
    """A cancel, a move away or any transition gives the day a new version: the mark made
    before it is not believed, and the next citizen gets the place."""
    z = zonnedoorn
    made = fill(z, WEDNESDAY_9)
    with pytest.raises(Conflict):  # found full, and remembered
        services.book(request=request(z), start=WEDNESDAY_9, name="Late", email="l@x.org")
    leaving = made[0]
    if how == "cancel":
        services.cancel(appointment=leaving)
    elif how == "move":
        services.reschedule(appointment=leaving, start=WEDNESDAY_9 + dt.timedelta(hours=1))
    else:  # any transition (here by the worker) forgets the marks of the day too
        services._apply(leaving, "no_show")

    booked, _token = services.book(
        request=request(z), start=WEDNESDAY_9, name="Next", email="next@x.org"
    )

    assert booked.status == Status.BOOKED
    assert booked.start == WEDNESDAY_9


def test_a_released_hold_is_offered_again_at_once(zonnedoorn):
    z = zonnedoorn
    made = fill(z, WEDNESDAY_9)
    services.cancel(appointment=made[0])
    held, token = services.hold(
        request=request(z), start=WEDNESDAY_9, client=services.client_key("1.2.3.4")
    )
    with pytest.raises(Conflict):  # full again, while the hold lives
        services.book(request=request(z), start=WEDNESDAY_9, name="Late", email="l@x.org")

    assert services.release_hold(reference=held.reference, token=token)
    booked, _token = services.book(
        request=request(z), start=WEDNESDAY_9, name="Next", email="next@x.org"
    )

    assert booked.desk_id == held.desk_id


def test_a_mark_ends_when_the_hold_in_the_way_expires(zonnedoorn, time_machine):
    z = zonnedoorn
    made = fill(z, WEDNESDAY_9)
    services.cancel(appointment=made[0])
    services.hold(request=request(z), start=WEDNESDAY_9, client=services.client_key("1.2.3.4"))
    Appointment.objects.filter(status=Status.HELD).update(  # it lives 3 more seconds
        hold_expires_at=dt.datetime(2027, 3, 23, 10, 0, 3, tzinfo=BRUSSELS)
    )
    with pytest.raises(Conflict):  # full, and remembered while the hold lives
        services.book(request=request(z), start=WEDNESDAY_9, name="Late", email="l@x.org")
    taken = request(z)
    loc, dept = taken.location.pk, taken.department.pk
    assert full_times.lookup(loc, dept, WEDNESDAY_9, WEDNESDAY_9 + taken.duration)[0]

    time_machine.move_to(dt.datetime(2027, 3, 23, 10, 0, 4, tzinfo=BRUSSELS), tick=False)

    assert not full_times.lookup(loc, dept, WEDNESDAY_9, WEDNESDAY_9 + taken.duration)[0]
    booked, _token = services.book(
        request=request(z), start=WEDNESDAY_9, name="Next", email="next@x.org"
    )
    assert booked.status == Status.BOOKED


def test_without_a_shared_cache_nothing_is_marked(zonnedoorn, settings):
    """Several app processes without Redis: one process's memory would miss another's
    cancel, so every booking goes the long way."""
    settings.ONTHAAL_READ_CACHE = "off"
    z = zonnedoorn
    fill(z, WEDNESDAY_9)
    taken = request(z)

    assert full_times.lookup(
        taken.location.pk, taken.department.pk, WEDNESDAY_9, WEDNESDAY_9 + taken.duration
    ) == (False, None)
