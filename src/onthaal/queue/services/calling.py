"""Calling the next visitor to a desk.

Call-next ranks the waiting tickets with the pure routing function and claims the first one
whose conditional UPDATE succeeds: two desks calling at the same instant never get the same
ticket, and a desk that loses a race takes the next, so none is skipped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import change_with_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.organisation.models import Desk
from onthaal.queue import routing
from onthaal.queue.models import DeskSession, Queue, Status, Ticket
from onthaal.queue.services.desks import (
    callable_queues,
    current_ticket,
    desk_view,
    require_desk,
)
from onthaal.queue.services.shared import POLICY, live, record
from onthaal.queue.statements import (
    CLAIM_CHANGE,
    CLAIM_FILLED,
    CLAIM_SQL,
    CLAIM_SUBJECT,
    CLAIMED,
    HEAD_SQL,
)

CLAIM_BATCH = 16  # ranked candidates one claim chooses from (it locks one of them)

CANDIDATE_FIELDS = (
    "pk",
    "queue_id",
    "waiting_since",
    "priority",
    "appointment_at",
    "assigned_user_id",
    "assigned_desk_id",
)


def _rows_to_candidates(
    rows: Iterable[tuple[Any, ...]], products: Mapping[int, set[int]]
) -> list[routing.Candidate]:
    return [
        routing.Candidate(
            id=pk,
            queue_id=queue_id,
            product_ids=frozenset(products.get(pk, ())),
            issued_at=waiting_since,
            priority=priority,
            appointment_at=appointment_at,
            assigned_user_id=assigned_user_id,
            assigned_desk_id=assigned_desk_id,
        )
        for pk, queue_id, waiting_since, priority, appointment_at, assigned_user_id, assigned_desk_id in rows
    ]


def head_candidates(
    location_id: int, service_day: dt.date, view: routing.DeskView, now: dt.datetime, k: int
) -> list[routing.Candidate]:
    """A superset of the desk's ``k`` best candidates, without reading the whole queue.

    The routing orders the tiers aged → hand-off → appointment due → effective wait, where
    effective wait is the waiting time plus a credit for priority. So the ``k`` best are among:
    the tickets handed over to this desk or its staff member, the appointments due now, and
    the ``k`` longest-waiting unassigned tickets of its queues with and without priority (the
    aged ones are the longest-waiting). Only for desks without a product restriction.
    """
    if connection.vendor != "postgresql":
        return head_candidates_orm(location_id, service_day, view, now, k)
    params: dict[str, Any] = {
        "location": location_id,
        "day": service_day,
        "queues": sorted(view.queue_ids),
        "k": k,
        "due_from": now - POLICY.punctuality_after,
        "due_to": now + POLICY.punctuality_before,
        "desk": view.desk_id,
        "user": view.user_id,
    }
    with connection.cursor() as cursor:
        cursor.execute(HEAD_SQL, params)
        rows = {row[0]: row for row in cursor.fetchall()}
    return _rows_to_candidates(rows.values(), {})


def head_candidates_orm(
    location_id: int, service_day: dt.date, view: routing.DeskView, now: dt.datetime, k: int
) -> list[routing.Candidate]:
    """``head_candidates`` with the ORM: four queries (SQLite cannot limit the parts of a
    UNION). The plain path that ``statements.HEAD_SQL`` must equal."""
    due_from, due_to = now - POLICY.punctuality_after, now + POLICY.punctuality_before
    waiting = Ticket.objects.filter(
        location_id=location_id, service_day=service_day, status=Status.WAITING
    )
    unassigned = waiting.filter(
        queue_id__in=view.queue_ids, assigned_user__isnull=True, assigned_desk__isnull=True
    )
    personal = Q(assigned_desk_id=view.desk_id)
    if view.user_id is not None:
        personal |= Q(assigned_user_id=view.user_id)
    parts = [
        unassigned.filter(priority=False).order_by("waiting_since", "pk")[:k],
        unassigned.filter(priority=True).order_by("waiting_since", "pk")[:k],
        unassigned.filter(appointment_at__range=(due_from, due_to)),
        waiting.filter(personal),
    ]
    found = {row[0]: row for part in parts for row in part.values_list(*CANDIDATE_FIELDS)}
    return _rows_to_candidates(found.values(), {})


def waiting_candidates(
    location_id: int,
    service_day: dt.date,
    *,
    view: routing.DeskView | None = None,
    with_products: bool = False,
) -> list[routing.Candidate]:
    """Waiting tickets of a location's service day as routing candidates, in one query (two
    with products). With ``view``, only those the desk might serve: its queues, or handed
    over to it or its staff member — the routing function still decides."""
    tickets = Ticket.objects.filter(
        location_id=location_id, service_day=service_day, status=Status.WAITING
    )
    if view is not None:
        mine = Q(queue_id__in=view.queue_ids) | Q(assigned_desk_id=view.desk_id)
        if view.user_id is not None:
            mine |= Q(assigned_user_id=view.user_id)
        tickets = tickets.filter(mine)
    rows = list(tickets.values_list(*CANDIDATE_FIELDS))
    products: dict[int, set[int]] = {}
    if with_products and rows:
        through = Ticket.products.through.objects.filter(ticket_id__in=[r[0] for r in rows])
        for ticket_id, product_id in through.values_list("ticket_id", "product_id"):
            products.setdefault(ticket_id, set()).add(product_id)
    return _rows_to_candidates(rows, products)


def call_next(*, desk: Desk, actor: Any) -> Ticket | None:
    """Call the next visitor to ``desk``; None when nobody is waiting for it.

    A desk serves one visitor at a time, and the database holds it to that (a unique index on
    the desk's called or served ticket): of a double-clicked "call next", one click calls a
    visitor and the other is told to finish that visitor first.
    """
    session = require_desk(actor, desk)
    if session.state != DeskSession.State.OPEN:
        raise DomainError(_("The desk is paused. Resume it first."), code="desk_paused")
    try:
        ticket = _call_next(desk, actor)
    except IntegrityError:
        busy = current_ticket(desk)
        if busy is None:  # not the one-visitor-per-desk index
            raise
    else:
        if ticket is not None:
            return ticket
        busy = current_ticket(desk)
    if busy is not None:
        raise Conflict(_("Finish ticket %(code)s first.") % {"code": busy.code}, code="desk_busy")
    return None


def _call_next(desk: Desk, actor: Any) -> Ticket | None:
    queues = callable_queues(actor, desk)
    view = desk_view(desk, actor.pk, queues)
    now = clock.now()
    today = clock.today()
    if view.product_ids is None:
        # Usually the first claim succeeds: rank only the head of the queue.
        found = head_candidates(desk.location_id, today, view, now, CLAIM_BATCH)
        head = routing.rank(view, _may_call(actor, found, queues), now, POLICY)
        ticket = _claim(desk, actor, [c.id for c in head[:CLAIM_BATCH]], now, queues)
        if ticket is not None or not head:
            return ticket
    candidates = waiting_candidates(
        desk.location_id, today, view=view, with_products=view.product_ids is not None
    )
    ranked = routing.rank(view, _may_call(actor, candidates, queues), now, POLICY)
    return _claim(desk, actor, [c.id for c in ranked], now, queues)


def _may_call(
    actor: Any, candidates: list[routing.Candidate], queues: Mapping[int, Queue]
) -> list[routing.Candidate]:
    """``candidates`` without the tickets ``actor`` may not serve: those handed over to the
    desk or to ``actor`` from a queue the desk does not serve count only when ``actor`` may
    serve that queue's department (one query, only when there are such tickets)."""
    others = {c.queue_id for c in candidates if c.queue_id not in queues}
    if not others:
        return candidates
    allowed = {
        q.pk
        for q in Queue.objects.filter(pk__in=others).select_related("department")
        if access.can(actor, "queue.serve", q.department)
    }
    return [c for c in candidates if c.queue_id in queues or c.queue_id in allowed]


def _claim(
    desk: Desk, actor: Any, ranked: list[int], now: dt.datetime, queues: Mapping[int, Queue]
) -> Ticket | None:
    """Claim the first of ``ranked`` that no other desk holds; None when all are gone.
    ``queues``: the desk's queues by id (a handed-over ticket may be of another queue)."""
    for start in range(0, len(ranked), CLAIM_BATCH):
        batch = ranked[start : start + CLAIM_BATCH]
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            ticket = _claim_and_record(desk, actor, batch, now)
        else:
            with transaction.atomic():
                ticket = _claim_in_transaction(desk, actor, batch, now, queues)
        if ticket is None:
            continue  # all taken by other desks: try the next ones
        ticket.desk = desk
        if not Ticket.queue.is_cached(ticket):
            ticket.queue = _queue_of(ticket, queues)
        live(ticket, "called")
        return ticket
    return None


def _queue_of(ticket: Ticket, queues: Mapping[int, Queue]) -> Queue:
    return queues.get(ticket.queue_id) or Queue.objects.select_related("department").get(
        pk=ticket.queue_id
    )


def _claim_and_record(desk: Desk, actor: Any, batch: list[int], now: dt.datetime) -> Ticket | None:
    """PostgreSQL, outside a transaction: the claim and its audit event in one round trip."""
    params = {"desk": desk.pk, "user": actor.pk, "now": now, "batch": batch}
    row = change_with_event(
        CLAIM_CHANGE,
        params,
        subject=CLAIM_SUBJECT,
        filled=CLAIM_FILLED,
        returning=CLAIMED.sql,
        action=Action.TRANSITION,
        actor=actor,
        object_type="queue.ticket",
        details={"transition": "call", "status": Status.CALLED, "desk": desk.pk},
    )
    return None if row is None else CLAIMED.required(row, 0, connection)


def _claim_in_transaction(
    desk: Desk, actor: Any, batch: list[int], now: dt.datetime, queues: Mapping[int, Queue]
) -> Ticket | None:
    if connection.vendor == "postgresql":
        params = {"desk": desk.pk, "user": actor.pk, "now": now, "batch": batch}
        ticket = next(iter(Ticket.objects.raw(CLAIM_SQL, params)), None)
    else:
        # The write lock of the IMMEDIATE transaction serialises desks.
        ticket = _claim_first_waiting(desk, actor, batch, now)
    if ticket is not None:
        ticket.queue = _queue_of(ticket, queues)
        record(ticket, "call", actor, desk=desk.pk)
    return ticket


def _claim_first_waiting(
    desk: Desk, actor: Any, batch: list[int], now: dt.datetime
) -> Ticket | None:
    changes = {
        "status": Status.CALLED,
        "desk": desk,
        "served_by": actor,
        "called_at": now,
        "assigned_user": None,
        "assigned_desk": None,
    }
    for pk in batch:
        if Ticket.objects.filter(pk=pk, status=Status.WAITING).update(**changes):
            return Ticket.objects.get(pk=pk)
    return None
