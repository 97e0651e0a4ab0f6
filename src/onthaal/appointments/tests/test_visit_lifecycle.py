"""One visit lifecycle (issue #10, finding 5): from check-in on, an appointment follows its
ticket — called, in service, done, no-show, cancelled, back to waiting after a hand-over — in
the transaction that changes the ticket, whichever path changes it. These run the ORM path
(SQLite, and PostgreSQL inside a transaction); ``tests/concurrency/test_visit_lifecycle_pg.py``
runs the desk's one-round-trip statements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction

from onthaal.appointments import services
from onthaal.appointments.models import FOLLOWS_TICKET, Appointment, Status
from onthaal.appointments.tests.test_booking import WEDNESDAY_9, book
from onthaal.catalogue.models import Product
from onthaal.queue import services as queue
from onthaal.queue.models import Status as TicketStatus
from onthaal.queue.models import Ticket

pytestmark = pytest.mark.django_db


def checked_in(z: dict[str, Any], **kw: Any) -> Appointment:
    """Jan's appointment of Wednesday 09:00, checked in at the kiosk at 08:50."""
    appointment, _ = book(z, **kw)
    z["traveller"].move_to(WEDNESDAY_9 - dt.timedelta(minutes=10))
    return services.check_in(
        reference=appointment.reference, location=z["ac"], actor=z["users"]["onthaal"]
    )


def status(appointment: Appointment) -> str:
    return Appointment.objects.values_list("status", flat=True).get(pk=appointment.pk)


def called(z: dict[str, Any]) -> Ticket:
    queue.open_desk(desk=z["balie1"], actor=z["users"]["balie"])
    ticket = queue.call_next(desk=z["balie1"], actor=z["users"]["balie"])
    assert ticket is not None
    return ticket


def test_the_appointment_is_called_started_and_done_with_its_ticket(zonnedoorn):
    z = zonnedoorn
    appointment = checked_in(z)
    assert status(appointment) == Status.CHECKED_IN
    ticket = called(z)
    assert ticket.pk == appointment.ticket_id
    assert status(appointment) == Status.CALLED
    queue.start(ticket=queue.get_ticket(ticket.pk), desk=z["balie1"], actor=z["users"]["balie"])
    assert status(appointment) == Status.IN_SERVICE
    eid = Product.objects.get(slug="eid-aanvragen")
    queue.finish(
        ticket=queue.get_ticket(ticket.pk),
        desk=z["balie1"],
        actor=z["users"]["balie"],
        delivered={eid.pk: 1},
    )
    assert status(appointment) == Status.DONE
    assert Appointment.objects.get(pk=appointment.pk).cancelled_at is None


def test_a_no_show_at_the_desk_is_the_appointments_no_show(zonnedoorn):
    z = zonnedoorn
    appointment = checked_in(z)
    ticket = called(z)
    queue.no_show(ticket=queue.get_ticket(ticket.pk), desk=z["balie1"], actor=z["users"]["balie"])
    assert status(appointment) == Status.NO_SHOW


def test_a_hand_over_puts_it_back_to_checked_in_and_the_end_of_day_cancels_it(zonnedoorn):
    z = zonnedoorn
    appointment = checked_in(z)
    ticket = called(z)
    queue.transfer(
        ticket=queue.get_ticket(ticket.pk),
        actor=z["users"]["balie"],
        queue=z["burgerzaken"],
        from_desk=z["balie1"],
    )
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.WAITING
    assert status(appointment) == Status.CHECKED_IN
    z["traveller"].move_to(WEDNESDAY_9 + dt.timedelta(hours=12))
    assert queue.close_day(at_closing=True) == 1
    closed = Appointment.objects.get(pk=appointment.pk)
    assert closed.status == Status.CANCELLED
    assert closed.cancelled_at == Ticket.objects.get(pk=ticket.pk).finished_at


def test_the_appointment_changes_in_the_tickets_transaction(zonnedoorn):
    """A ticket change that is rolled back leaves the appointment where it was."""
    z = zonnedoorn
    appointment = checked_in(z)
    with pytest.raises(RuntimeError), transaction.atomic():
        called(z)
        assert status(appointment) == Status.CALLED
        raise RuntimeError("the desk's request fails after the call")
    assert status(appointment) == Status.CHECKED_IN


@pytest.mark.parametrize("ticket_status", list(FOLLOWS_TICKET))
def test_the_database_maps_each_ticket_status_as_the_table_says(zonnedoorn, ticket_status):
    """The trigger (``visit_trigger``) and ``FOLLOWS_TICKET`` say the same, for every status."""
    assert set(FOLLOWS_TICKET) == set(TicketStatus.values)
    z = zonnedoorn
    appointment = checked_in(z)
    with connection.cursor() as cursor:  # a bare UPDATE, as any path would make
        cursor.execute(
            'UPDATE "queue_ticket" SET "status" = %s, "desk_id" = %s, "called_at" = %s, '
            '"finished_at" = %s WHERE "id" = %s',
            [
                ticket_status,
                z["balie1"].pk,
                WEDNESDAY_9,
                WEDNESDAY_9,
                appointment.ticket_id,
            ],
        )
    assert status(appointment) == FOLLOWS_TICKET[ticket_status]


def test_a_closed_appointment_does_not_follow_its_ticket_any_more(zonnedoorn):
    z = zonnedoorn
    appointment = checked_in(z)
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.DONE)
    called(z)
    assert status(appointment) == Status.DONE


def test_appointments_left_at_checked_in_by_older_versions_catch_up_with_their_tickets(
    zonnedoorn,
):
    """What migration 0008 runs once: an appointment an older version left at checked in
    while its ticket was cancelled takes the ticket's status and end."""
    from onthaal.appointments import visit_trigger

    z = zonnedoorn
    appointment = checked_in(z)
    queue.cancel(ticket=queue.get_ticket(appointment.ticket_id), actor=None, reason="left")
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Status.CHECKED_IN, cancelled_at=None
    )  # as before the trigger
    with connection.cursor() as cursor:
        cursor.execute(visit_trigger.CATCH_UP)
    caught_up = Appointment.objects.get(pk=appointment.pk)
    assert caught_up.status == Status.CANCELLED
    assert caught_up.cancelled_at == Ticket.objects.get(pk=appointment.ticket_id).finished_at
