"""``insert_with_event``: new rows and their audit event commit together or not at all, on
both of its paths (one message on PostgreSQL outside a transaction; a transaction otherwise)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max

from onthaal.audit import chain
from onthaal.audit import selectors as audit_selectors
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import insert_with_event
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.queue.models import Source, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _ticket(queue, number: int, **fields) -> Ticket:
    now = clock.now()
    # The event names the ticket: its key is given beforehand, as issue_ticket does.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('queue_ticket', 'id'))")
            ticket_id = cursor.fetchone()[0]
    else:
        ticket_id = (Ticket.objects.aggregate(last=Max("id"))["last"] or 0) + 1
    return Ticket(
        id=ticket_id,
        location=queue.location,
        queue=queue,
        service_day=now.date(),
        number=number,
        code=f"{queue.prefix}{number:03d}",
        source=Source.RECEPTION,
        issued_at=now,
        waiting_since=now,
        **fields,
    )


def _event(ticket: Ticket) -> dict:
    return {
        "action": Action.CREATE,
        "object_type": "queue.ticket",
        "object_id": ticket.pk,
        "department": ticket.queue.department,
        "details": {"code": ticket.code},
    }


def test_the_rows_and_their_event_are_written_and_chained(zonnedoorn):
    queue = zonnedoorn["burgerzaken"]
    product = queue.products.first()
    ticket = _ticket(queue, 1)
    through = Ticket.products.through
    event = insert_with_event(
        ticket, through(ticket_id=ticket.pk, product_id=product.pk), **_event(ticket)
    )
    stored = Ticket.objects.get(code=ticket.code)
    assert list(stored.products.all()) == [product]
    assert not ticket._state.adding
    assert AuditEvent.objects.order_by("-pk").first() == event
    assert event.object_id == str(stored.pk) and event.details == {"code": ticket.code}
    assert event.hash == chain.event_hash({f: getattr(event, f) for f in chain.CHAINED_FIELDS})
    assert audit_selectors.verify().ok


@pytest.mark.postgres
def test_a_failing_row_leaves_neither_the_rows_nor_the_event(zonnedoorn):
    """One message, one implicit transaction: a product that does not exist (its foreign key
    is checked at the end of the transaction, after the event's insert) undoes all of it."""
    queue = zonnedoorn["burgerzaken"]
    ticket = _ticket(queue, 2)
    events = AuditEvent.objects.count()
    missing = (Product.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    through = Ticket.products.through
    with pytest.raises(IntegrityError):
        insert_with_event(
            ticket, through(ticket_id=ticket.pk, product_id=missing), **_event(ticket)
        )
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not through.objects.filter(ticket_id=ticket.pk).exists()
    assert AuditEvent.objects.count() == events
    assert audit_selectors.verify().ok
    # The connection is usable afterwards, outside a transaction as before.
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert insert_with_event(_ticket(queue, 3), **_event(ticket)).pk


@pytest.mark.postgres
def test_a_row_refused_by_its_statement_leaves_nothing_and_a_usable_connection(zonnedoorn):
    """An error in the middle (here a ticket whose public id is taken) rolls back the
    transaction the pipeline began; the connection goes on outside a transaction."""
    queue = zonnedoorn["burgerzaken"]
    first = _ticket(queue, 5)
    insert_with_event(first, **_event(first))
    events = AuditEvent.objects.count()
    twin = _ticket(queue, 6, public_id=first.public_id)
    with pytest.raises(IntegrityError):
        insert_with_event(twin, **_event(twin))
    assert not Ticket.objects.filter(pk=twin.pk).exists()
    assert AuditEvent.objects.count() == events
    assert connection.get_autocommit() and not connection.in_atomic_block
    third = _ticket(queue, 7)
    assert insert_with_event(third, **_event(third)).pk
    assert audit_selectors.verify().ok


def test_inside_a_transaction_they_roll_back_with_it(zonnedoorn):
    queue = zonnedoorn["burgerzaken"]
    events = AuditEvent.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        ticket = _ticket(queue, 4)
        insert_with_event(ticket, **_event(ticket))
        assert Ticket.objects.filter(code=ticket.code).exists()
        raise DatabaseError("the caller's transaction fails later")
    assert not Ticket.objects.filter(number=4).exists()
    assert AuditEvent.objects.count() == events
