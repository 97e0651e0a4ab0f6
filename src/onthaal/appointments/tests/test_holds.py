"""Holding a time while the citizen fills in the form (issue #5, finding 1): reading pages
holds nothing, a hold costs a solved proof of work, one client holds at most a few times at
once, and holding writes no audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from onthaal.appointments import proof, services
from onthaal.appointments.models import Appointment, Status
from onthaal.appointments.tests.data import BODY
from onthaal.audit.models import AuditEvent
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS

pytestmark = pytest.mark.django_db

WEDNESDAY = dt.date(2027, 3, 24)
QUERY = {"product": "eid-aanvragen", "persons": "1", "location": "administratief-centrum"}


def _times(z: dict[str, Any]) -> list[dt.datetime]:
    booking = services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )
    return [s.start for s in services.availability(booking, WEDNESDAY, WEDNESDAY)]


def _solved(client: Client) -> str:
    return proof.solve(client.get("/api/v1/appointments/challenge/").json())


def _hold(client: Client, start: dt.datetime) -> Any:
    """What proof.js does once its proof is solved."""
    data = {**QUERY, "start": start.isoformat(), "altcha": _solved(client)}
    return client.post(reverse("appointments:hold"), data)


def test_the_attack_of_the_review_no_longer_blocks_a_citizen(zonnedoorn):
    """68 cookie-less GETs of the details form (two per time of the day) held every time of
    the day for 10 minutes. Now they hold nothing and write nothing."""
    z = zonnedoorn
    times = _times(z)
    assert len(times) == 34  # the review's day: 34 times
    events = AuditEvent.objects.count()
    for start in times * 2:
        page = Client().get(reverse("appointments:details"), {**QUERY, "start": start.isoformat()})
        assert page.status_code == 200
    assert not Appointment.objects.exists()
    assert AuditEvent.objects.count() == events
    assert _times(z) == times  # every time still free on all its desks
    citizen = Client(REMOTE_ADDR="198.51.100.7")
    booked = citizen.post(
        "/api/v1/appointments/",
        {**BODY, "start": times[0].isoformat(), "altcha": _solved(citizen)},
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content


def test_a_hold_costs_a_solved_proof_of_work_that_it_spends(client, zonnedoorn):
    start = _times(zonnedoorn)[0]
    url = reverse("appointments:hold")
    bare = client.post(url, {**QUERY, "start": start.isoformat()})
    assert bare.status_code == 400 and bare.json()["code"] == "proof_required"
    wrong = client.post(url, {**QUERY, "start": start.isoformat(), "altcha": "bm9wZQ=="})
    assert wrong.status_code == 400 and wrong.json()["code"] == "proof_invalid"
    assert not Appointment.objects.exists()
    payload = _solved(client)
    held = client.post(url, {**QUERY, "start": start.isoformat(), "altcha": payload})
    assert held.status_code == 200, held.content
    assert held.json()["held"] is True
    replay = Client().post(url, {**QUERY, "start": start.isoformat(), "altcha": payload})
    assert replay.status_code == 400 and replay.json()["code"] == "proof_invalid"
    hold = Appointment.objects.get()
    assert hold.status == Status.HELD and hold.name == "" and hold.email == ""
    assert hold.hold_client == services.client_key("127.0.0.1")
    assert "127.0.0.1" not in hold.hold_client


def test_one_client_never_holds_more_than_a_few_times_at_once(zonnedoorn, settings):
    """Each request with a new session and its own solved proof, from one address: three
    holds, then 429; another address still holds; once the holds expire, the first again."""
    z = zonnedoorn
    times = _times(z)
    answers = [_hold(Client(REMOTE_ADDR="203.0.113.5"), start).status_code for start in times[:10]]
    limit = settings.ONTHAAL_HOLDS_PER_CLIENT
    assert limit == 3
    assert answers == [200] * limit + [429] * (10 - limit)
    assert Appointment.objects.filter(status=Status.HELD).count() == limit
    refused = _hold(Client(REMOTE_ADDR="203.0.113.5"), times[20])
    assert refused.json()["code"] == "too_many_holds"
    assert _hold(Client(REMOTE_ADDR="198.51.100.7"), times[20]).status_code == 200
    z["traveller"].shift(11 * 60)  # the department's hold lasts 10 minutes
    assert _hold(Client(REMOTE_ADDR="203.0.113.5"), times[21]).status_code == 200


def test_a_hold_writes_no_audit_event_and_its_confirmation_is_the_booking(client, zonnedoorn):
    start = _times(zonnedoorn)[0]
    events = AuditEvent.objects.count()
    assert _hold(client, start).status_code == 200
    assert AuditEvent.objects.count() == events
    form = client.get(reverse("appointments:details"), {**QUERY, "start": start.isoformat()})
    html = form.content.decode()
    assert "We keep this time" in html or "houden dit tijdstip" in html
    assert 'name="altcha"' not in html  # the hold was paid for: no second proof
    done = client.post(
        reverse("appointments:details"),
        {**QUERY, "start": start.isoformat(), "name": "Jan", "email": "jan@example.org"},
    )
    assert done.status_code == 302, done.content
    booked = Appointment.objects.get()
    assert booked.status == Status.BOOKED and booked.hold_client == ""
    new = AuditEvent.objects.filter(object_type="appointments.appointment")
    assert new.count() == 1
    assert new.get().details["transition"] == "book" and new.get().details["held"] is True


def test_a_new_hold_of_the_same_browser_gives_up_the_previous(client, zonnedoorn):
    first, second = _times(zonnedoorn)[:2]
    assert _hold(client, first).status_code == 200
    assert _hold(client, second).status_code == 200
    held = Appointment.objects.get(status=Status.HELD)
    assert held.start == second


def test_without_a_hold_the_form_books_only_with_a_proof(client, zonnedoorn):
    start = _times(zonnedoorn)[0]
    form = {**QUERY, "start": start.isoformat(), "name": "Jan", "email": "jan@example.org"}
    refused = client.post(reverse("appointments:details"), form)
    assert refused.status_code == 400 and not Appointment.objects.exists()
    booked = client.post(reverse("appointments:details"), {**form, "altcha": _solved(client)})
    assert booked.status_code == 302
    assert Appointment.objects.get().status == Status.BOOKED


def test_a_time_already_taken_cannot_be_held(client, zonnedoorn):
    start = dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS)
    for n in range(4):  # four desks
        services.book(
            request=services.build_request(
                location=zonnedoorn["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
            ),
            start=start,
            name="X",
            email=f"x{n}@example.org",
        )
    gone = _hold(client, start)
    assert gone.status_code == 409 and gone.json()["code"] == "slot_taken"
    assert not Appointment.objects.filter(status=Status.HELD).exists()
