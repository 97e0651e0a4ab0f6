"""Issuing on PostgreSQL outside a transaction: the day's number, the ticket, its products and
its audit event are one transaction sent in one round trip (``change_with_event``). They
commit together or not at all, and the connection goes on afterwards."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from onthaal.audit import chain
from onthaal.audit import selectors as audit_selectors
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import change_with_event
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.queue import services
from onthaal.queue.models import Source, Ticket, TicketCounter

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _issue(z, **kwargs) -> Ticket:
    return services.issue_ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        source=Source.RECEPTION,
        actor=z["users"]["onthaal"],
        check_hours=False,
        **kwargs,
    )


def test_the_ticket_its_products_and_its_event_are_written_as_in_a_transaction(zonnedoorn):
    z = zonnedoorn
    product = z["burgerzaken"].products.first()
    with transaction.atomic():  # the path a check-in takes: the caller's transaction
        slow = _issue(z, products=[product], priority=True)
    fast = _issue(z, products=[product], priority=True)
    assert (slow.number, fast.number) == (1, 2) and fast.code == "B002"
    assert Ticket.objects.get(pk=fast.pk).code == "B002"
    assert list(Ticket.objects.get(pk=fast.pk).products.all()) == [product]
    assert fast.queue == z["burgerzaken"] and not fast._state.adding
    events = {
        e.object_id: e
        for e in AuditEvent.objects.filter(action=Action.CREATE, object_type="queue.ticket")
    }
    fast_event, slow_event = events[str(fast.pk)], events[str(slow.pk)]
    assert fast_event.details == {**slow_event.details, "code": "B002"}
    for field in ("actor_id", "role", "department_id", "organisation_id", "action"):
        assert getattr(fast_event, field) == getattr(slow_event, field)
    assert fast_event.hash == chain.event_hash(
        {f: getattr(fast_event, f) for f in chain.CHAINED_FIELDS}
    )
    assert audit_selectors.verify().ok


def test_the_first_ticket_of_the_day_creates_the_counter_and_number_1000_has_four_digits(
    zonnedoorn,
):
    z = zonnedoorn
    assert not TicketCounter.objects.exists()
    assert _issue(z).code == "B001"
    TicketCounter.objects.update(last_number=999)
    assert _issue(z).code == "B1000"


def test_a_product_gone_at_commit_leaves_no_ticket_no_number_and_no_event(zonnedoorn):
    """The products' foreign key is checked at COMMIT, after the event was inserted: all of it
    is undone, the day's number included, and the connection goes on."""
    z = zonnedoorn
    _issue(z)
    events = AuditEvent.objects.count()
    gone = Product(pk=Product.objects.order_by("-pk").first().pk + 1)
    ticket = Ticket(location=z["ac"], queue=z["burgerzaken"], service_day=clock.today())
    with pytest.raises(IntegrityError):
        services._issue_and_record(ticket, [gone], z["users"]["onthaal"], {})
    assert Ticket.objects.count() == 1 and TicketCounter.objects.get().last_number == 1
    assert AuditEvent.objects.count() == events
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert _issue(z).number == 2
    assert audit_selectors.verify().ok


def test_a_statement_that_fails_leaves_nothing_and_a_usable_connection(zonnedoorn):
    """An error in the middle of the pipeline (here: a ticket whose public id is taken) rolls
    back the transaction the pipeline began."""
    z = zonnedoorn
    first = _issue(z)
    events = AuditEvent.objects.count()
    twin = Ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        service_day=first.service_day,
        source=Source.RECEPTION,
        issued_at=first.issued_at,
        waiting_since=first.issued_at,
        public_id=first.public_id,
    )
    with pytest.raises(IntegrityError):
        services._issue_and_record(twin, [], z["users"]["onthaal"], {})
    assert Ticket.objects.count() == 1 and TicketCounter.objects.get().last_number == 1
    assert AuditEvent.objects.count() == events
    assert connection.get_autocommit() and not connection.in_atomic_block
    assert _issue(z).number == 2


def test_a_change_that_changes_nothing_records_nothing(zonnedoorn):
    events = AuditEvent.objects.count()
    row = change_with_event(
        'gone AS (DELETE FROM "queue_ticket" WHERE "id" = %(id)s RETURNING "id")',
        {"id": 0},
        subject="gone",
        filled={"object_id": 'gone."id"::text'},
        returning='gone."id"',
        action=Action.DELETE,
        object_type="queue.ticket",
    )
    assert row is None and AuditEvent.objects.count() == events
