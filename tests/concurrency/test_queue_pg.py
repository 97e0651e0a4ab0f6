"""Tickets under real concurrent connections on PostgreSQL: unique numbers, each ticket called
exactly once by one of 16 desks calling at the same time, none skipped."""

from __future__ import annotations

import collections
import threading

import pytest
from django.db import connection

from onthaal.accounts.models import Membership, Role
from onthaal.accounts.tests.factories import UserFactory
from onthaal.audit import chain
from onthaal.audit import selectors as audit_selectors
from onthaal.audit.models import AuditEvent
from onthaal.organisation.models import Desk
from onthaal.queue import services
from onthaal.queue.models import Status, Ticket
from tests.concurrency.conftest import issue_tickets, open_desk
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


def test_500_concurrent_ticket_creations_get_500_unique_numbers(demo):
    queue = demo
    issuer = UserFactory()
    Membership.objects.create(user=issuer, department=queue.department, role=Role.RECEPTIONIST)

    def work(n: int) -> None:
        issue_tickets(queue, 50, issuer)

    assert run_at_once(10, work) == []
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(numbers) == 500
    assert sorted(numbers) == list(range(1, 501))  # unique and gapless
    assert audit_selectors.verify().ok


def test_16_desks_calling_at_once_call_every_ticket_exactly_once(demo):
    queue = demo
    issue_tickets(queue, 300)
    agents = [open_desk(queue, f"Loadbalie {n}") for n in range(16)]
    served: collections.Counter[int] = collections.Counter()
    by_desk: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()

    def work(n: int) -> None:
        desk, agent = agents[n]
        while True:
            ticket = services.call_next(desk=desk, actor=agent)
            if ticket is None:
                return
            with lock:
                served[ticket.pk] += 1
                by_desk[desk.pk] += 1
            services.finish(ticket=ticket, desk=desk, actor=agent)

    assert run_at_once(16, work) == []
    assert len(served) == 300 and set(served.values()) == {1}
    assert Ticket.objects.filter(status=Status.DONE).count() == 300
    calls = AuditEvent.objects.filter(object_type="queue.ticket", details__transition="call")
    assert calls.count() == 300
    # Each ticket was served at the desk that called it, and the audit says which: the
    # tally per desk from the threads equals the tickets' desks and the call events' desks.
    assert set(by_desk) <= {desk.pk for desk, _ in agents}
    assert len(by_desk) > 1  # the desks really called side by side
    assert collections.Counter(Ticket.objects.values_list("desk_id", flat=True)) == by_desk
    assert collections.Counter(e.details["desk"] for e in calls) == by_desk
    assert audit_selectors.verify().ok


def test_a_double_clicked_call_next_calls_one_visitor(demo):
    """Eight call-next requests for one desk at the same instant (a double click, a kiosk
    retrying): one visitor is called; the others are told to finish that visitor first."""
    from onthaal.core.errors import Conflict

    queue = demo
    issue_tickets(queue, 20)
    desk, agent = open_desk(queue, "Dubbelklik")
    called: list[int] = []

    def work(n: int) -> None:
        ticket = services.call_next(desk=Desk.objects.get(pk=desk.pk), actor=agent)
        assert ticket is not None
        called.append(ticket.pk)

    errors = run_at_once(8, work)
    assert len(called) == 1
    assert len(errors) == 7 and all(isinstance(e, Conflict) for e in errors), errors
    assert all(e.code == "desk_busy" for e in errors if isinstance(e, Conflict))
    assert Ticket.objects.filter(desk=desk, status=Status.CALLED).count() == 1
    assert Ticket.objects.filter(status=Status.WAITING).count() == 19
    assert audit_selectors.verify().ok


def test_a_claim_and_its_event_go_in_one_message_with_the_usual_content(demo):
    """Outside a transaction a desk's claim and its audit event are one statement after the
    chain lock; the event says what record_event says in a transaction."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    queue = demo
    issue_tickets(queue, 2)
    desk, agent = open_desk(queue, "Eén bericht")
    with CaptureQueriesContext(connection) as statements:
        fast = services.call_next(desk=desk, actor=agent)
    assert fast is not None
    sql = [q["sql"] for q in statements]
    begin = sql.index("BEGIN")  # sent with the rest: one round trip (a pipeline)
    lock, claim, commit = sql[begin + 1 : begin + 4]
    assert "pg_advisory_xact_lock" in lock and commit == "COMMIT"
    assert 'UPDATE "queue_ticket"' in claim and 'INSERT INTO "audit_auditevent"' in claim
    assert [s for s in sql if "audit_auditevent" in s] == [claim]
    services.finish(ticket=fast, desk=desk, actor=agent)
    with transaction.atomic():
        slow = services.call_next(desk=desk, actor=agent)
    assert slow is not None
    events = {
        e.object_id: e
        for e in AuditEvent.objects.filter(object_type="queue.ticket", details__transition="call")
    }
    fast_event, slow_event = events[str(fast.pk)], events[str(slow.pk)]
    assert fast_event.details == {
        "transition": "call",
        "code": fast.code,
        "status": "called",
        "desk": desk.pk,
    }
    assert fast_event.department_id == queue.department_id
    assert fast_event.organisation_id == queue.department.organisation_id

    def same(event: AuditEvent) -> dict:
        fields = {f: getattr(event, f) for f in chain.CHAINED_FIELDS}
        for varying in ("at", "object_id", "prev_hash", "details"):
            fields.pop(varying)
        return fields

    assert same(fast_event) == same(slow_event)
    assert {**slow_event.details, "code": fast.code} == fast_event.details
    assert fast_event.hash == chain.event_hash(
        {f: getattr(fast_event, f) for f in chain.CHAINED_FIELDS}
    )
    assert audit_selectors.verify().ok


def test_a_busy_desk_claims_nothing_and_records_nothing(demo):
    from onthaal.core import clock

    queue = demo
    waiting = [t.pk for t in issue_tickets(queue, 3)]
    desk, agent = open_desk(queue, "Bezet")
    assert services.call_next(desk=desk, actor=agent) is not None
    events = AuditEvent.objects.count()
    assert services._claim_and_record(desk, agent, waiting, clock.now()) is None
    assert AuditEvent.objects.count() == events
    assert Ticket.objects.filter(status=Status.WAITING).count() == 2


def test_call_next_survives_a_column_added_while_the_app_runs(demo):
    """Call-next's claim is a prepared statement on PostgreSQL: a migration that adds a column
    while app processes run (a rolling deploy; the migration on a connection of its own) must
    not break it."""
    import psycopg
    from django.db import connection

    queue = demo
    issue_tickets(queue, 8)
    desk, agent = open_desk(queue, "Migratie")
    for _ in range(6):  # prepared from the 5th execution on
        ticket = services.call_next(desk=desk, actor=agent)
        assert ticket is not None
        services.finish(ticket=ticket, desk=desk, actor=agent)
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as migrator:
        migrator.execute('ALTER TABLE "queue_ticket" ADD COLUMN "added_later" integer')
        try:
            ticket = services.call_next(desk=desk, actor=agent)
            assert ticket is not None and ticket.status == Status.CALLED
        finally:
            migrator.execute('ALTER TABLE "queue_ticket" DROP COLUMN "added_later"')


def _round_trips(statements: list[str]) -> int:
    """A write after the chain lock (BEGIN, the lock, its statement, COMMIT) goes as one
    pipeline: one round trip. Any other statement is one."""
    trips, n = 0, 0
    while n < len(statements):
        if statements[n] == "BEGIN" and "pg_advisory_xact_lock" in statements[n + 1]:
            n = statements.index("COMMIT", n)
        trips += 1
        n += 1
    return trips


def test_creating_a_ticket_takes_3_round_trips_calling_next_4_and_finishing_5(demo, client):
    """As in production (no test transaction around the request): the token with its roles,
    the queue, and the issue; the token, the desk, the head of its queues, and the claim. A
    token read is kept for API_TOKEN_CACHE_SECONDS: the same token's next requests make one
    round trip less. A finish that comes too late changes nothing."""
    from django.contrib.auth import get_user_model
    from django.test.utils import CaptureQueriesContext

    from onthaal.accounts.tests.factories import api_token

    queue = demo
    reception = api_token(get_user_model().objects.get(username="onthaal"))
    desk, agent = open_desk(queue, "Telbalie")
    issue_tickets(queue, 1)  # the day's counter exists from the first ticket on
    body = {"location": queue.location_id, "queue": queue.pk, "source": "reception"}
    for n in range(3):
        with CaptureQueriesContext(connection) as issuing:
            created = client.post(
                "/api/v1/tickets/",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Token {reception}",
            )
        assert created.status_code == 201
        assert _round_trips([q["sql"] for q in issuing]) == (3 if n == 0 else 2)
    token = api_token(agent)
    with CaptureQueriesContext(connection) as calling:
        called = client.post(
            f"/api/v1/desks/{desk.pk}/call-next/", HTTP_AUTHORIZATION=f"Token {token}"
        )
    assert called.status_code == 200 and called.json()["code"] == "B001"
    assert _round_trips([q["sql"] for q in calling]) == 4

    # Finishing with a product delivered: the token (kept from the call), the ticket, the desk,
    # the product, and the transition with what was delivered and its event.
    product = queue.products.first()
    body = {"desk": desk.pk, "delivered": {str(product.pk): 2}}
    finish = f"/api/v1/tickets/{called.json()['id']}/finish/"
    with CaptureQueriesContext(connection) as finishing:
        finished = client.post(
            finish, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
        )
    assert finished.status_code == 200 and finished.json()["status"] == "done"
    assert _round_trips([q["sql"] for q in finishing]) == 4
    ticket = Ticket.objects.get(pk=called.json()["id"])
    assert [(d.product, d.quantity) for d in ticket.delivered.all()] == [(product, 2)]
    event = AuditEvent.objects.filter(object_id=str(ticket.pk)).order_by("pk").last()
    assert event.details == {
        "transition": "finish",
        "code": "B001",
        "status": "done",
        "delivered": {product.slug: 2},
    }
    events = AuditEvent.objects.count()
    again = client.post(
        finish, body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    assert ticket.delivered.count() == 1
    assert AuditEvent.objects.count() == events
    assert audit_selectors.verify().ok


def test_a_finish_never_waits_for_a_ticket_another_request_is_changing(demo):
    """Another transaction holds the ticket's row (as a transfer does before it takes the
    audit chain's lock): the desk's finish, which holds the chain's lock, does not wait for it
    (that would deadlock); it is refused at once and changes nothing. Afterwards it goes."""
    import psycopg

    from onthaal.core.errors import Conflict

    queue = demo
    issue_tickets(queue, 1)
    desk, agent = open_desk(queue, "Wachtende balie")
    ticket = services.call_next(desk=desk, actor=agent)
    assert ticket is not None
    events = AuditEvent.objects.count()
    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("context", None)
    with psycopg.connect(**params) as other:
        other.execute('SELECT 1 FROM "queue_ticket" WHERE "id" = %s FOR UPDATE', [ticket.pk])
        with pytest.raises(Conflict) as refused:
            services.finish(ticket=services.get_ticket(ticket.pk), desk=desk, actor=agent)
        assert refused.value.code == "ticket_busy"
        other.rollback()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CALLED
    assert AuditEvent.objects.count() == events
    done = services.finish(ticket=services.get_ticket(ticket.pk), desk=desk, actor=agent)
    assert done.status == Status.DONE
    assert audit_selectors.verify().ok
