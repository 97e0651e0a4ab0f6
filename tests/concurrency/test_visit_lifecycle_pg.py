"""The appointment follows its ticket on the desk's one-round-trip statements too (issue #10,
finding 5; ADR 0012): call-next's claim, start, finish and no-show go to PostgreSQL as one
statement with their audit event (ADR 0007), and the appointment checked in with the ticket
changes in that statement, exactly as on the ORM path (a transaction around the same calls)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from onthaal.appointments import services as appointments
from onthaal.appointments.models import Appointment, AppointmentProduct, Status, hash_token
from onthaal.audit import selectors as audit_selectors
from onthaal.core import clock
from onthaal.queue import services
from onthaal.queue.models import Queue
from tests.concurrency.conftest import open_desk

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


def checked_in(queue: Queue, desk_name: str) -> Appointment:
    """An appointment at ``queue``'s department in ten minutes, checked in at the kiosk."""
    from django.contrib.auth import get_user_model

    start = clock.now() + dt.timedelta(minutes=10)
    appointment = Appointment.objects.create(
        token_hash=hash_token("t"),
        location=queue.location,
        department=queue.department,
        desk=queue.location.desks.filter(departments=queue.department).first(),
        start=start,
        end=start + dt.timedelta(minutes=15),
        name="Jan Peeters",
        email="jan@example.org",
        created_at=clock.now(),
    )
    AppointmentProduct.objects.create(appointment=appointment, product=queue.products.first())
    kiosk = get_user_model().objects.get(username="onthaal")
    return appointments.check_in(
        reference=appointment.reference, location=queue.location, actor=kiosk
    )


def status(appointment: Appointment) -> str:
    return Appointment.objects.values_list("status", flat=True).get(pk=appointment.pk)


def one_statement(captured: CaptureQueriesContext) -> str:
    """The statement that changed the ticket and wrote its event (one round trip)."""
    changes = [q["sql"] for q in captured if 'INSERT INTO "audit_auditevent"' in q["sql"]]
    assert len(changes) == 1 and 'UPDATE "queue_ticket"' in changes[0]
    return changes[0]


def walk(queue: Queue, desk_name: str, *, in_transaction: bool) -> list[str]:
    """Check in, then call, start and finish at a desk; the appointment's status after each."""
    appointment = checked_in(queue, desk_name)
    desk, agent = open_desk(queue, desk_name)
    seen = [status(appointment)]
    product = queue.products.first()
    steps = [
        lambda: services.call_next(desk=desk, actor=agent),
        lambda: services.start(ticket=services.get_ticket(ticket_id), desk=desk, actor=agent),
        lambda: services.finish(
            ticket=services.get_ticket(ticket_id),
            desk=desk,
            actor=agent,
            delivered={product.pk: 1},
        ),
    ]
    ticket_id = appointment.ticket_id
    for step in steps:
        if in_transaction:
            with transaction.atomic():
                changed = step()
        else:
            with CaptureQueriesContext(connection) as captured:
                changed = step()
            one_statement(captured)
        assert changed is not None and changed.pk == ticket_id
        seen.append(status(appointment))
    return seen


def test_the_appointment_follows_call_start_and_finish_in_their_one_statement(demo):
    fast = walk(demo, "Snelle balie", in_transaction=False)
    slow = walk(demo, "Trage balie", in_transaction=True)
    assert fast == slow == [Status.CHECKED_IN, Status.CALLED, Status.IN_SERVICE, Status.DONE]
    assert audit_selectors.verify().ok


def test_a_no_show_in_one_statement_is_the_appointments_no_show(demo):
    appointment = checked_in(demo, "Afwezig")
    desk, agent = open_desk(demo, "Afwezig")
    assert services.call_next(desk=desk, actor=agent) is not None
    with CaptureQueriesContext(connection) as captured:
        services.no_show(ticket=services.get_ticket(appointment.ticket_id), desk=desk, actor=agent)
    one_statement(captured)
    assert status(appointment) == Status.NO_SHOW
