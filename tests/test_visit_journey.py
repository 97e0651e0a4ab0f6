"""The whole visit, through the pages and the API as the citizen, the kiosk and the desk use
them (issue #10, finding 18): book → check in → (warn me) → call → start → finish with what
was delivered → the worker's jobs 31 days later. Afterwards nothing personal is left in any
table, and the visit is still one anonymous fact in the figures.

No transaction around the test: on PostgreSQL the desk's call, start and finish take their
one-round-trip statements (ADR 0007), as in production; on SQLite the ORM path."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from onthaal.appointments import notify, proof, retention
from onthaal.appointments import services as appointments
from onthaal.appointments.models import Appointment, Status
from onthaal.appointments.tests.test_retention import left_behind
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.devices.tests.factories import enrolled
from onthaal.organisation.models import Desk, Location
from onthaal.queue import alerts
from onthaal.queue.models import Status as TicketStatus
from onthaal.queue.models import Ticket
from onthaal.queue.services import housekeeping
from onthaal.reporting.models import Visit, VisitProduct
from onthaal.reporting.services import refresh_facts

pytestmark = pytest.mark.django_db(transaction=True)

TUESDAY_10 = dt.datetime(2027, 3, 23, 10, 0, tzinfo=BRUSSELS)
WEDNESDAY_9 = dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS)
NAME, EMAIL, PHONE = "Griet Vanlommel", "griet.vanlommel@example.org", "+32 471 98 76 54"


@pytest.fixture
def traveller() -> Iterator[Any]:
    from onthaal.demo import zonnedoorn

    with time_machine.travel(TUESDAY_10, tick=False) as moving:
        zonnedoorn.load()
        yield moving


def worker_jobs() -> None:
    """What ``onthaal worker`` runs about once a minute (the ones about visits)."""
    housekeeping()
    notify.schedule_reminders()
    appointments.mark_no_shows()
    retention.anonymise_expired()
    notify.forget_ticket_recipients()
    refresh_facts()


def logged_in(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_book_check_in_call_start_finish_and_31_days_later_nothing_personal_is_left(traveller):
    citizen = Client()
    challenge = citizen.get("/api/v1/appointments/challenge/").json()
    booked = citizen.post(
        "/api/v1/appointments/",
        {
            "product": ["eid-aanvragen"],
            "location": "administratief-centrum",
            "start": WEDNESDAY_9.isoformat(),
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "altcha": proof.solve(challenge),
        },
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content
    reference = booked.json()["appointment"]["reference"]
    appointment = Appointment.objects.get(reference=reference)
    notify.confirmation(appointment, "https://example.org/afspraak/beheer/")
    assert notify.send_due() == 2  # the e-mail and the text message

    # Wednesday 08:50, at the kiosk: the reference from the confirmation.
    traveller.move_to(WEDNESDAY_9 - dt.timedelta(minutes=10))
    kiosk = Client()  # an enrolled kiosk device, no staff login
    enrolled(kiosk, Location.objects.get(slug="administratief-centrum"), name="kiosk-ac-1")
    checked = kiosk.post(
        reverse("queue:kiosk", args=["administratief-centrum"]),
        {"action": "checkin", "reference": reference},
    )
    assert checked.status_code == 302
    ticket = Ticket.objects.get(appointment__reference=reference)
    assert checked["Location"] == reverse(
        "queue:kiosk-ticket", args=["administratief-centrum", ticket.public_id]
    )
    # On the phone, the ticket's page: "warn me" at the same address.
    warn = citizen.post(reverse("queue:ticket", args=[ticket.public_id]), {"email": EMAIL})
    assert warn.status_code == 302
    alerts.enqueue_turn_alerts()
    assert notify.send_due() == 1

    # Balie 1 opens, calls, starts and finishes with one identity card delivered.
    desk = Desk.objects.get(location__slug="administratief-centrum", name="Balie 1")
    eid = Product.objects.get(slug="eid-aanvragen")
    agent = logged_in("balie")
    steps = [
        (reverse("queue:desk-choose"), {"desk": desk.pk}, None),
        (reverse("queue:desk-action", args=[desk.pk, "call"]), {}, Status.CALLED),
        (
            reverse("queue:desk-action", args=[desk.pk, "start"]),
            {"ticket": ticket.pk},
            Status.IN_SERVICE,
        ),
        (
            reverse("queue:desk-action", args=[desk.pk, "finish"]),
            {"ticket": ticket.pk, f"qty-{eid.pk}": 1},
            Status.DONE,
        ),
    ]
    for url, data, then in steps:
        traveller.shift(dt.timedelta(minutes=3))
        answer = agent.post(url, data)
        assert answer.status_code == 302, answer.content
        if then is not None:
            assert Appointment.objects.get(pk=appointment.pk).status == then
    served = Ticket.objects.get(pk=ticket.pk)
    assert served.status == TicketStatus.DONE
    assert [(d.product_id, d.quantity) for d in served.delivered.all()] == [(eid.pk, 1)]
    worker_jobs()
    assert left_behind({"Griet": (NAME, EMAIL, PHONE)})  # still there the same day

    # 31 days later, the worker's jobs have run.
    traveller.move_to(WEDNESDAY_9 + dt.timedelta(days=31))
    worker_jobs()

    assert left_behind({"Griet": (NAME, EMAIL, PHONE)}) == []
    kept = Appointment.objects.get(pk=appointment.pk)
    assert kept.status == Status.DONE and kept.anonymised_at is not None
    assert kept.contact_key == ""  # served: the no-show rule has nothing to keep
    # The visit is one anonymous fact: served at Balie 1's queue, with its identity card.
    fact = Visit.objects.get(origin="ticket", origin_id=ticket.pk)
    assert (fact.outcome, fact.channel, fact.booked_minutes) == ("served", "appointment", 15)
    assert list(VisitProduct.objects.filter(visit=fact).values_list("product_id", "quantity")) == [
        (eid.pk, 1)
    ]
    # ...and only once: the appointment is not counted again as a visit of its own.
    assert not Visit.objects.filter(origin="appointment", origin_id=appointment.pk).exists()
