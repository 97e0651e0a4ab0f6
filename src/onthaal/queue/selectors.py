"""Reading the queues: what a screen shows, where a ticket stands, how a desk and a team fare.

Nothing here returns a citizen's name: tickets have none. Hand-off notes are read through
``notes_for`` only, which checks the department and logs the consultation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.catalogue.models import QUICK_TARGET_MINUTES, Product, quick_targets
from onthaal.core import clock
from onthaal.core.sql import is_key, split
from onthaal.hours.selectors import closures
from onthaal.organisation.models import Desk, Location
from onthaal.queue import estimate, routing, snapshots
from onthaal.queue.models import (
    CLOSED_STATUSES,
    Announcement,
    DeliveredProduct,
    DeskSession,
    HandoffNote,
    Queue,
    Source,
    Status,
    Ticket,
)
from onthaal.queue.models import CLOSED_STATUSES as CLOSED
from onthaal.queue.models import OPEN_STATUSES as OPEN
from onthaal.queue.services.calling import waiting_candidates
from onthaal.queue.services.shared import POLICY
from onthaal.queue.statements import queue_statement

RECENT_CALLS = 8
SERVICE_SAMPLE = 30


def queue_with_place(pk: int) -> Queue | None:
    """A queue with its department and location, in one hand-written statement
    (``statements.QUEUE_SQL``): the kiosk and reception issue every ticket through it
    (``onthaal.core.sql``, ADR 0006)."""
    columns, sql = queue_statement()
    if not is_key(pk):
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    queue, queue.department, queue.location = split(row, columns, connection)
    return queue


def display_state(location: Location) -> dict[str, Any]:
    """What a waiting-room screen shows: the latest called numbers with their desk, per queue
    the number waiting and the expected wait of a new arrival, and the announcements (the
    team lead's and the coming closures). Public: numbers and desks only — never a name, nor a
    ticket's private status id (``public_id``, the key to its status page and "warn me").
    From the cache while no write changed the location (``snapshots``)."""
    return snapshots.read(
        location.pk, f"display:{get_language()}", lambda: _display_state(location)
    )


def _display_state(location: Location) -> dict[str, Any]:
    today = clock.today()
    called = (
        Ticket.objects.filter(location=location, service_day=today, called_at__isnull=False)
        .exclude(status=Status.WAITING)
        .select_related("desk", "queue")
        .order_by("-called_at")[:RECENT_CALLS]
    )
    figures = queue_figures(location)
    return {
        "location": {"id": location.pk, "name": location.name, "slug": location.slug},
        "at": clock.now().isoformat(),
        "waiting": sum(f.waiting for f in figures),
        "queues": [
            {
                "prefix": f.queue.prefix,
                "name": f.queue.name,
                "waiting": f.waiting,
                "wait_minutes": _expected_wait(f),
            }
            for f in figures
        ],
        "announcements": announcements(location),
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


def _expected_wait(figures: QueueFigures) -> int | None:
    """The expected wait of whoever takes a ticket now; None when no desk is open."""
    wait = estimate.estimate_wait(
        figures.waiting, _recent_service_seconds(figures.queue.pk), figures.open_desks
    )
    return estimate.round_minutes(wait) if wait is not None else None


ANNOUNCE_CLOSURES_DAYS = 14


def announcements(location: Location) -> list[str]:
    """The lines a screen rotates through: the team lead's, then the location's closures of
    the coming two weeks (from the opening-hours exceptions)."""
    today = clock.today()
    lines = [
        a.text
        for a in Announcement.objects.filter(location=location)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .order_by("pk")
    ]
    for closure in closures(location, today, today + dt.timedelta(days=ANNOUNCE_CLOSURES_DAYS)):
        lines.append(
            _("Closed on %(day)s: %(reason)s.")
            % {"day": date_format(closure.date, "l j F"), "reason": closure.reason}
        )
    return lines


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


def ticket_public_state(ticket: Ticket) -> dict[str, Any]:
    """What the ticket's own status page and stream say: its status, position, expected wait
    and the desk it is called to. Only this ticket's; never a name. From the cache while no
    write changed the ticket's location (``snapshots``)."""
    snapshots.remember_place(ticket.public_id, ticket.location_id)
    return snapshots.read(
        ticket.location_id, f"ticket:{ticket.public_id}", lambda: _ticket_public_state(ticket)
    )


def _ticket_public_state(ticket: Ticket) -> dict[str, Any]:
    status = ticket_status(ticket)
    return {
        "code": ticket.code,
        "status": ticket.status,
        "position": status.position,
        "wait_minutes": status.wait_minutes,
        "desk": status.desk_name,
        "closed": ticket.status in CLOSED_STATUSES,
    }


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
    """Live figures per queue of a location: one aggregate over today's tickets and one over
    the open desks, each grouped by queue (a join of tickets and desks would count every
    ticket once per desk)."""
    today = clock.today()
    now = clock.now()
    queues = Queue.objects.filter(location=location, active=True).select_related("department")
    if queue_ids is not None:
        queues = queues.filter(pk__in=queue_ids)
    queue_list = list(queues)
    ids = [q.pk for q in queue_list]
    waiting = Q(status=Status.WAITING)
    tickets: dict[int, dict[str, Any]] = {
        row["queue_id"]: dict(row)
        for row in Ticket.objects.filter(location=location, service_day=today, queue_id__in=ids)
        .values("queue_id")
        .order_by()
        .annotate(
            n_waiting=Count("pk", filter=waiting),
            oldest=Min("waiting_since", filter=waiting),
            n_served=Count("pk", filter=Q(status=Status.DONE)),
        )
    }
    open_desks = dict(
        DeskSession.objects.filter(state=DeskSession.State.OPEN, desk__queues__in=ids)
        .values_list("desk__queues")
        .order_by()
        .annotate(n=Count("desk", distinct=True))
    )
    out = []
    for q in queue_list:
        row: dict[str, Any] = tickets.get(q.pk, {})
        oldest = row.get("oldest")
        out.append(
            QueueFigures(
                queue=q,
                waiting=row.get("n_waiting", 0),
                longest_wait_minutes=estimate.round_minutes(now - oldest) if oldest else 0,
                open_desks=open_desks.get(q.pk, 0),
                served_today=row.get("n_served", 0),
            )
        )
    return out


@dataclass(frozen=True)
class QueueDay:
    """A queue's day so far, for the team lead."""

    figures: QueueFigures
    average_wait_minutes: int | None  # from taking the ticket to being called
    average_service_minutes: int | None
    served_last_hour: int
    quick_served: int  # of which at the quick counter (source quick_counter, or a quick desk)
    quick_within: int = 0  # ... served within their product's target
    quick_service_seconds: float = 0.0  # ... their service time, summed


@dataclass(frozen=True)
class QuickDay:
    """The quick counter's day so far over some queues: visits served there, their average
    service time and how many were served within their product's target."""

    served: int
    within: int
    average_service_minutes: int | None

    @property
    def share_within(self) -> int | None:
        return round(100 * self.within / self.served) if self.served else None


def quick_day(days: list[QueueDay]) -> QuickDay:
    served = sum(d.quick_served for d in days)
    seconds = sum(d.quick_service_seconds for d in days)
    return QuickDay(
        served=served,
        within=sum(d.quick_within for d in days),
        average_service_minutes=round(seconds / served / 60) if served else None,
    )


def quick_queue(location: Location) -> Queue | None:
    """The location's quick-counter queue (snelbalie): an active queue served by a desk of
    kind quick counter. Its tickets carry the source ``quick_counter``."""
    return (
        Queue.objects.filter(location=location, active=True, desks__kind=Desk.Kind.QUICK)
        .order_by("prefix")
        .distinct()
        .first()
    )


def is_quick_counter(queue: Queue) -> bool:
    """Whether ``queue`` is served by a quick-counter desk (uses prefetched desks)."""
    return any(d.kind == Desk.Kind.QUICK for d in queue.desks.all())


def _minutes(seconds: list[float]) -> int | None:
    return round(sum(seconds) / len(seconds) / 60) if seconds else None


def _quick_targets(ticket_ids: list[int]) -> dict[int, int]:
    """Per ticket, the target service time (minutes) of its main product (the lowest id it
    was issued for, as the figures count it), or the default for none."""
    if not ticket_ids:
        return {}
    main: dict[int, int] = {}
    through = Ticket.products.through.objects.filter(ticket_id__in=ticket_ids)
    for ticket_id, product_id in through.values_list("ticket_id", "product_id"):
        main[ticket_id] = min(product_id, main.get(ticket_id, product_id))
    targets = quick_targets() if main else {}
    return {pk: targets.get(main.get(pk, 0), QUICK_TARGET_MINUTES) for pk in ticket_ids}


def queue_days(location: Location, queue_ids: list[int] | None = None) -> list[QueueDay]:
    """Per queue of ``location`` (of ``queue_ids``, when given): the live figures and today's
    averages (one query more; two more when the quick counter served someone). A visit at the
    quick counter is one whose ticket has the source ``quick_counter`` or that a quick-counter
    desk served, as the figures count it (``reporting.facts.ticket_channel``)."""
    now = clock.now()
    figures = queue_figures(location, queue_ids)
    rows = list(
        Ticket.objects.filter(
            location=location,
            service_day=clock.today(),
            called_at__isnull=False,
            queue_id__in=[f.queue.pk for f in figures],
        ).values_list(
            "pk",
            "queue_id",
            "status",
            "source",
            "desk__kind",
            "issued_at",
            "called_at",
            "started_at",
            "finished_at",
        )
    )
    waits: dict[int, list[float]] = {}
    services_: dict[int, list[float]] = {}
    last_hour: dict[int, int] = {}
    quick: dict[int, list[tuple[int, float]]] = {}
    for pk, queue_id, status, source, desk_kind, issued, called, started, finished in rows:
        if called is not None:
            waits.setdefault(queue_id, []).append((called - issued).total_seconds())
        if status != Status.DONE or started is None or finished is None:
            continue
        seconds = (finished - started).total_seconds()
        services_.setdefault(queue_id, []).append(seconds)
        if now - finished <= dt.timedelta(hours=1):
            last_hour[queue_id] = last_hour.get(queue_id, 0) + 1
        if source == Source.QUICK_COUNTER or desk_kind == Desk.Kind.QUICK:
            quick.setdefault(queue_id, []).append((pk, seconds))
    targets = _quick_targets([pk for served in quick.values() for pk, _ in served])
    return [
        QueueDay(
            figures=f,
            average_wait_minutes=_minutes(waits.get(f.queue.pk, [])),
            average_service_minutes=_minutes(services_.get(f.queue.pk, [])),
            served_last_hour=last_hour.get(f.queue.pk, 0),
            quick_served=len(quick.get(f.queue.pk, [])),
            quick_within=sum(
                1 for pk, seconds in quick.get(f.queue.pk, []) if seconds <= targets[pk] * 60
            ),
            quick_service_seconds=sum(seconds for _, seconds in quick.get(f.queue.pk, [])),
        )
        for f in figures
    ]


def desk_sessions(location: Location, queue_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Desks of a location: open or paused, who works there, what they serve, current ticket.

    With ``queue_ids`` (a team lead's queues), only the desks that serve one of those queues,
    only those queues, and the current ticket only when it is of one of them."""
    desks = (
        Desk.objects.filter(location=location, active=True)
        .prefetch_related("queues")
        .select_related("session", "session__user")
        .order_by("name")
    )
    tickets = Ticket.objects.filter(location=location, status__in=[Status.CALLED, Status.SERVING])
    if queue_ids is not None:
        desks = desks.filter(queues__in=queue_ids).distinct()
        tickets = tickets.filter(queue_id__in=queue_ids)
    current = {t.desk_id: t for t in tickets.select_related("queue")}
    out = []
    for desk in desks:
        session = getattr(desk, "session", None)
        out.append(
            {
                "desk": desk,
                "state": session.state if session else DeskSession.State.CLOSED,
                "user": session.user if session and session.state != "closed" else None,
                "queues": [
                    q.prefix for q in desk.queues.all() if queue_ids is None or q.pk in queue_ids
                ],
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


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int


@dataclass(frozen=True)
class Visit:
    """What the visitor at a desk came for: the products chosen at the kiosk or booked with
    the appointment (with their quantities), and the appointment itself (time, persons)."""

    asked: list[Line]
    appointment: Any  # appointments.Appointment | None; read through the ticket's relation
    # eloket.Request | None: an e-loket request to hand over (its reference, product and
    # what is left to pay are shown; no name), read through the ticket's relation.
    pickup: Any = None


def visit_purpose(ticket: Ticket) -> Visit:
    """What ``ticket``'s visitor came for. No name or contact: not a read of personal data."""
    try:
        appointment = ticket.appointment  # the reverse one-to-one of appointments.Appointment
    except ObjectDoesNotExist:
        appointment = None
    if appointment is not None:
        asked = [Line(i.product, i.quantity) for i in appointment.items.select_related("product")]
    else:
        asked = []
    known = {line.product.pk for line in asked}
    asked += [Line(p, 1) for p in ticket.products.all() if p.pk not in known]
    try:
        pickup = ticket.eloket_pickup  # the reverse one-to-one of eloket.Request
    except ObjectDoesNotExist:
        pickup = None
    return Visit(asked=asked, appointment=appointment, pickup=pickup)


def delivered_lines(ticket: Ticket, desk: Desk, visit: Visit) -> list[Line]:
    """The products a desk can record as delivered for ``ticket``, prefilled from what the
    visitor came for: those first, with their quantity, then the others of the desk's
    queues at 0."""
    queue_ids = {ticket.queue_id, *desk.queues.values_list("pk", flat=True)}
    asked = {line.product.pk: line for line in visit.asked}
    others = Product.objects.filter(queues__in=queue_ids, active=True).exclude(pk__in=asked)
    return list(asked.values()) + [Line(p, 0) for p in others.distinct()]


@dataclass(frozen=True)
class DeskDay:
    served: int
    average_service_minutes: int | None


def desk_day(desk: Desk) -> DeskDay:
    """The desk's own day: visitors served here today and their average service time."""
    rows = Ticket.objects.filter(
        desk=desk, service_day=clock.today(), status=Status.DONE
    ).values_list("started_at", "finished_at")
    seconds = [(f - s).total_seconds() for s, f in rows if s is not None and f is not None]
    average = sum(seconds) / len(seconds) if seconds else None
    return DeskDay(
        served=len(rows),
        average_service_minutes=estimate.round_minutes(dt.timedelta(seconds=average))
        if average is not None
        else None,
    )


def closed_tickets(*, pk_from: int, limit: int) -> list[dict[str, Any]]:
    """Closed tickets with an id from ``pk_from`` on, in id order, at most ``limit``, as plain
    data for the figures (``reporting``): times, queue, source, outcome, the products
    delivered and asked for. Nothing personal."""
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in Ticket.objects.filter(pk__gte=pk_from, status__in=[s.value for s in CLOSED])
        .order_by("pk")
        .values(
            "pk",
            "location_id",
            "queue_id",
            "queue__department_id",
            "service_day",
            "source",
            "status",
            "issued_at",
            "called_at",
            "started_at",
            "finished_at",
            "transfers",
            "desk__kind",
        )[:limit]
    ]
    ids = [r["pk"] for r in rows]
    delivered: dict[int, list[tuple[int, int]]] = {}
    for ticket_id, product_id, quantity in DeliveredProduct.objects.filter(
        ticket_id__in=ids
    ).values_list("ticket_id", "product_id", "quantity"):
        delivered.setdefault(ticket_id, []).append((product_id, quantity))
    asked: dict[int, list[int]] = {}
    for ticket_id, product_id in Ticket.products.through.objects.filter(
        ticket_id__in=ids
    ).values_list("ticket_id", "product_id"):
        asked.setdefault(ticket_id, []).append(product_id)
    for row in rows:
        row["delivered"] = delivered.get(row["pk"], [])
        row["asked"] = asked.get(row["pk"], [])
    return rows


def first_open_ticket(*, pk_from: int, settled_before: dt.datetime) -> int | None:
    """The lowest id from ``pk_from`` on of a ticket that may still close: open, or issued
    after ``settled_before`` (its transaction may not be visible yet)."""
    return (
        Ticket.objects.filter(pk__gte=pk_from)
        .filter(Q(status__in=[s.value for s in OPEN]) | Q(issued_at__gte=settled_before))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def last_ticket_id() -> int:
    return Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
