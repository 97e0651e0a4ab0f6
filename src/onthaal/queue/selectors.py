"""Reading the queues: what a screen shows, where a ticket stands, how a desk and a team fare.

Nothing here returns a citizen's name: tickets have none. Hand-off notes are read through
``notes_for`` only, which checks the department and logs the consultation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import Count, Min, Q

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.sql import Columns, is_key, split
from onthaal.organisation.models import Department, Desk, Location
from onthaal.queue import estimate, routing
from onthaal.queue.models import DeskSession, HandoffNote, Queue, Status, Ticket
from onthaal.queue.services import POLICY, waiting_candidates

RECENT_CALLS = 8
SERVICE_SAMPLE = 30


# Table and column names come from the models' metadata; the id is a parameter.
QUEUE_SQL = """
SELECT {queue}, {department}, {location}
  FROM "{queue_table}" q
  JOIN "{department_table}" d ON d."id" = q."department_id"
  JOIN "{location_table}" l ON l."id" = q."location_id"
 WHERE q."id" = %s
"""


class _QueueQuery:
    """A queue with its department and location, in one hand-written statement: the kiosk
    and reception issue every ticket through it (``onthaal.core.sql``, ADR 0006)."""

    @cached_property
    def parts(self) -> tuple[list[Columns[Any]], str]:
        queue, department, location = (
            Columns(Queue, "q"),
            Columns(Department, "d"),
            Columns(Location, "l"),
        )
        sql = QUEUE_SQL.format(
            queue=queue.sql,
            department=department.sql,
            location=location.sql,
            queue_table=Queue._meta.db_table,
            department_table=Department._meta.db_table,
            location_table=Location._meta.db_table,
        )
        return [queue, department, location], sql

    def __call__(self, pk: int) -> Queue | None:
        columns, sql = self.parts
        if not is_key(pk):
            return None
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        queue, queue.department, queue.location = split(row, columns, connection)
        return queue


queue_with_place = _QueueQuery()


def display_state(location: Location) -> dict[str, Any]:
    """What a waiting-room screen shows: the latest called numbers with their desk. Public:
    numbers and desks only — never a name, nor a ticket's private status id (``public_id``,
    the key to its status page and its "warn me" form)."""
    today = clock.today()
    called = (
        Ticket.objects.filter(location=location, service_day=today, called_at__isnull=False)
        .exclude(status=Status.WAITING)
        .select_related("desk", "queue")
        .order_by("-called_at")[:RECENT_CALLS]
    )
    waiting = Ticket.objects.filter(
        location=location, service_day=today, status=Status.WAITING
    ).count()
    return {
        "location": {"id": location.pk, "name": location.name, "slug": location.slug},
        "at": clock.now().isoformat(),
        "waiting": waiting,
        "calls": [
            {
                "code": t.code,
                "queue": t.queue.prefix,
                "desk": t.desk.name if t.desk else "",
                "called_at": t.called_at.isoformat() if t.called_at else None,
                "status": t.status,
            }
            for t in called
        ],
    }


def _recent_service_seconds(queue_id: int) -> list[float]:
    rows = (
        Ticket.objects.filter(
            queue_id=queue_id,
            status=Status.DONE,
            started_at__isnull=False,
            finished_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("started_at", "finished_at")[:SERVICE_SAMPLE]
    )
    return [(f - s).total_seconds() for s, f in rows if s is not None and f is not None]


def open_desk_count(queue: Queue) -> int:
    return DeskSession.objects.filter(desk__queues=queue, state=DeskSession.State.OPEN).count()


@dataclass(frozen=True)
class TicketStatus:
    ticket: Ticket
    position: int | None  # tickets ahead in the queue; None when no longer waiting
    wait_minutes: int | None  # None when no desk is open
    desk_name: str


def ticket_status(ticket: Ticket) -> TicketStatus:
    """Where a ticket stands: its position among the waiting tickets its queue's desks would
    call, and the expected wait."""
    if ticket.status != Status.WAITING:
        return TicketStatus(ticket, None, None, ticket.desk.name if ticket.desk else "")
    now = clock.now()
    candidates = waiting_candidates(ticket.location_id, ticket.service_day)
    position = positions([ticket.as_candidate()], candidates, now)[ticket.pk]
    wait = estimate.estimate_wait(
        position, _recent_service_seconds(ticket.queue_id), open_desk_count(ticket.queue)
    )
    return TicketStatus(
        ticket, position, estimate.round_minutes(wait) if wait is not None else None, ""
    )


def positions(
    tickets: list[routing.Candidate], candidates: list[routing.Candidate], now: dt.datetime
) -> dict[int, int]:
    """The position of each of ``tickets`` (tickets ahead of it) among ``candidates``, the
    waiting tickets of its location: in the order a desk serving its queue (or the desk or
    person it was handed to) would call them. Pure; one ranking per distinct view."""
    ranked: dict[routing.DeskView, dict[int, int]] = {}
    out: dict[int, int] = {}
    for ticket in tickets:
        view = routing.DeskView(
            desk_id=ticket.assigned_desk_id or 0,
            user_id=ticket.assigned_user_id,
            queue_ids=frozenset({ticket.queue_id}),
        )
        if view not in ranked:
            order = routing.rank(view, candidates, now, POLICY)
            ranked[view] = {c.id: n for n, c in enumerate(order)}
        order_of = ranked[view]
        out[ticket.id] = order_of.get(ticket.id, len(order_of))
    return out


@dataclass(frozen=True)
class QueueFigures:
    queue: Queue
    waiting: int
    longest_wait_minutes: int
    open_desks: int
    served_today: int


def queue_figures(location: Location, queue_ids: list[int] | None = None) -> list[QueueFigures]:
    """Live figures per queue of a location (one aggregate query + one for desks)."""
    today = clock.today()
    now = clock.now()
    queues = Queue.objects.filter(location=location, active=True).select_related("department")
    if queue_ids is not None:
        queues = queues.filter(pk__in=queue_ids)
    rows = queues.annotate(
        n_waiting=Count(
            "tickets",
            filter=Q(tickets__service_day=today, tickets__status=Status.WAITING),
        ),
        oldest=Min(
            "tickets__waiting_since",
            filter=Q(tickets__service_day=today, tickets__status=Status.WAITING),
        ),
        n_served=Count(
            "tickets", filter=Q(tickets__service_day=today, tickets__status=Status.DONE)
        ),
        n_open=Count(
            "desks__session",
            filter=Q(desks__session__state=DeskSession.State.OPEN),
            distinct=True,
        ),
    )
    return [
        QueueFigures(
            queue=q,
            waiting=q.n_waiting,
            longest_wait_minutes=estimate.round_minutes(now - q.oldest) if q.oldest else 0,
            open_desks=q.n_open,
            served_today=q.n_served,
        )
        for q in rows
    ]


def desk_sessions(location: Location) -> list[dict[str, Any]]:
    """Desks of a location: open or paused, who works there, what they serve, current ticket."""
    desks = (
        Desk.objects.filter(location=location, active=True)
        .prefetch_related("queues")
        .select_related("session", "session__user")
    )
    current = {
        t.desk_id: t
        for t in Ticket.objects.filter(
            location=location, status__in=[Status.CALLED, Status.SERVING]
        ).select_related("queue")
    }
    out = []
    for desk in desks:
        session = getattr(desk, "session", None)
        out.append(
            {
                "desk": desk,
                "state": session.state if session else DeskSession.State.CLOSED,
                "user": session.user if session and session.state != "closed" else None,
                "queues": [q.prefix for q in desk.queues.all()],
                "ticket": current.get(desk.pk),
            }
        )
    return out


def notes_for(ticket: Ticket, user: Any) -> list[HandoffNote]:
    """The hand-off notes of ``ticket`` that ``user`` may read (receiving department only).

    Reading notes is a consultation of personal data: logged. Notes of departments the user
    does not belong to are not returned (and not revealed to exist).
    """
    notes = list(HandoffNote.objects.filter(ticket=ticket).select_related("department"))
    readable = [n for n in notes if _may_read(user, n)]
    if readable:
        record_event(
            action=Action.VIEW,
            actor=user,
            object_type="queue.handoffnote",
            object_id=",".join(str(n.pk) for n in readable),
            department=readable[0].department,
            details={"ticket": ticket.code},
        )
    return readable


def _may_read(user: Any, note: HandoffNote) -> bool:
    # Only members of the receiving department itself (not administration-wide roles).
    return any(
        m.department_id == note.department_id and m.role in access.CAPABILITIES["queue.read_note"]
        for m in access.memberships(user)
    )


def served_today_at(desk: Desk) -> int:
    return Ticket.objects.filter(desk=desk, service_day=clock.today(), status=Status.DONE).count()


def today_range() -> tuple[dt.datetime, dt.datetime]:
    day = clock.today()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=clock.BRUSSELS)
    return start, start + dt.timedelta(days=1)
