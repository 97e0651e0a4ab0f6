"""Turning a closed ticket or appointment into its anonymous visit fact. No Django here.

The records come from the queue's and the appointments' selectors as plain data; the fact has
no name, no contact and no link that a retention run could remove (``reporting.models.Visit``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from onthaal.reporting import kpi

# Channels of a visit (how the citizen came) and outcomes.
WALK_IN = "walk_in"
APPOINTMENT = "appointment"
QUICK_COUNTER = "quick_counter"
ELOKET = "eloket"
PHONE = "phone"
EMAIL = "email"

SERVED = "served"
NO_SHOW = "no_show"
CANCELLED = "cancelled"
TRANSFERRED = "transferred"

TICKET = "ticket"
APPOINTMENT_ORIGIN = "appointment"


@dataclass(frozen=True)
class TicketRecord:
    """A closed ticket, as ``queue.selectors.closed_tickets`` reads it."""

    pk: int
    location_id: int
    department_id: int
    queue_id: int
    service_day: dt.date
    source: str
    status: str  # done, no_show or cancelled
    issued_at: dt.datetime
    called_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime
    transfers: int = 0
    desk_kind: str = ""
    delivered: tuple[tuple[int, int], ...] = ()  # (product id, quantity)
    asked: tuple[int, ...] = ()  # product ids asked for at issue
    # From the appointment the ticket checked in for, if any.
    persons: int = 1
    booked_minutes: int | None = None


@dataclass(frozen=True)
class AppointmentRecord:
    """A closed appointment that never became a ticket (cancelled, no-show, or finished
    without one), as ``appointments.selectors.closed_appointments`` reads it."""

    pk: int
    location_id: int
    department_id: int
    status: str  # done, cancelled or no_show
    channel: str  # how it was booked: online, phone, desk
    start: dt.datetime
    end: dt.datetime
    persons: int = 1
    products: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class RequestRecord:
    """A finished e-loket request, as ``eloket.selectors.finished_requests`` reads it."""

    pk: int
    location_id: int
    department_id: int
    product_id: int
    status: str  # closed or rejected
    submitted_at: dt.datetime
    finished_at: dt.datetime


@dataclass(frozen=True)
class VisitFact:
    origin: str
    origin_id: int
    location_id: int
    department_id: int
    queue_id: int | None
    channel: str
    source: str
    service_day: dt.date
    weekday: int
    hour: int
    outcome: str
    arrived_at: dt.datetime | None = None
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    wait_seconds: int | None = None
    service_seconds: int | None = None
    persons: int = 1
    transfers: int = 0
    booked_minutes: int | None = None
    products: tuple[tuple[int, int], ...] = field(default=())

    @property
    def product_id(self) -> int:
        """The visit's main product (most items; the lowest id on a tie), 0 for none: the
        rollups count a visit once, under this product."""
        if not self.products:
            return 0
        return min(self.products, key=lambda item: (-item[1], item[0]))[0]

    @property
    def items(self) -> int:
        return sum(q for _, q in self.products) if self.outcome == SERVED else 0


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


def ticket_channel(source: str, desk_kind: str) -> str:
    if source == "appointment":
        return APPOINTMENT
    if source == "quick_counter" or desk_kind == "quick":
        return QUICK_COUNTER
    return WALK_IN


def from_ticket(t: TicketRecord) -> VisitFact:
    """The fact of a closed ticket. It counts on its service day (a visit that runs past
    midnight stays on the day it arrived), in the local hour of its arrival."""
    _, _, hour = kpi.local_slot(t.issued_at)
    if t.status == "done":
        outcome = SERVED
    elif t.status == "no_show":
        outcome = NO_SHOW
    else:
        # Cancelled: handed over and never served at the receiving end counts as transferred.
        outcome = TRANSFERRED if t.transfers else CANCELLED
    products = t.delivered if t.delivered else tuple((pk, 1) for pk in sorted(set(t.asked)))
    return VisitFact(
        origin=TICKET,
        origin_id=t.pk,
        location_id=t.location_id,
        department_id=t.department_id,
        queue_id=t.queue_id,
        channel=ticket_channel(t.source, t.desk_kind),
        source=t.source,
        service_day=t.service_day,
        weekday=t.service_day.weekday(),
        hour=hour,
        outcome=outcome,
        arrived_at=t.issued_at,
        called_at=t.called_at,
        started_at=t.started_at,
        ended_at=t.finished_at,
        wait_seconds=_seconds(t.issued_at, t.called_at),
        service_seconds=_seconds(t.started_at or t.called_at, t.finished_at)
        if outcome == SERVED
        else None,
        persons=t.persons,
        transfers=t.transfers,
        booked_minutes=t.booked_minutes,
        products=tuple(sorted(products)),
    )


def from_appointment(a: AppointmentRecord) -> VisitFact:
    """The fact of an appointment that never became a ticket: counted on the day and hour it
    was booked for."""
    day, weekday, hour = kpi.local_slot(a.start)
    outcome = {"done": SERVED, "no_show": NO_SHOW}.get(a.status, CANCELLED)
    return VisitFact(
        origin=APPOINTMENT_ORIGIN,
        origin_id=a.pk,
        location_id=a.location_id,
        department_id=a.department_id,
        queue_id=None,
        channel=APPOINTMENT,
        source=a.channel,
        service_day=day,
        weekday=weekday,
        hour=hour,
        outcome=outcome,
        started_at=a.start if outcome == SERVED else None,
        ended_at=a.end if outcome == SERVED else None,
        service_seconds=_seconds(a.start, a.end) if outcome == SERVED else None,
        persons=a.persons,
        booked_minutes=round((a.end - a.start).total_seconds() / 60),
        products=tuple(sorted(a.products)),
    )


def from_request(r: RequestRecord) -> VisitFact:
    """The fact of a finished e-loket request: channel e-loket, counted on the day and hour it
    was filed; served when closed, cancelled when rejected."""
    day, weekday, hour = kpi.local_slot(r.submitted_at)
    outcome = SERVED if r.status == "closed" else CANCELLED
    return VisitFact(
        origin=ELOKET,
        origin_id=r.pk,
        location_id=r.location_id,
        department_id=r.department_id,
        queue_id=None,
        channel=ELOKET,
        source="online",
        service_day=day,
        weekday=weekday,
        hour=hour,
        outcome=outcome,
        arrived_at=r.submitted_at,
        ended_at=r.finished_at,
        products=((r.product_id, 1),),
    )


@dataclass(frozen=True)
class ContactRecord:
    """A phone call that reception registered (``services.contact_register``): where, for
    which department and product, when, how long. Nothing about the caller."""

    pk: int
    location_id: int
    department_id: int
    at: dt.datetime
    product_id: int | None = None
    minutes: int | None = None


@dataclass(frozen=True)
class MailRecord:
    """An incoming e-mail of the mail register that was handled (answered, or closed), as
    ``services.handled_emails`` reads it: no correspondent, no subject."""

    pk: int
    location_id: int
    department_id: int
    received_at: dt.datetime
    answered_at: dt.datetime | None = None


def from_contact(c: ContactRecord) -> VisitFact:
    """The fact of a phone call: channel phone, source reception, counted on the day and hour
    of the call, served; its minutes, when given, as service time."""
    day, weekday, hour = kpi.local_slot(c.at)
    return VisitFact(
        origin=PHONE,
        origin_id=c.pk,
        location_id=c.location_id,
        department_id=c.department_id,
        queue_id=None,
        channel=PHONE,
        source="reception",
        service_day=day,
        weekday=weekday,
        hour=hour,
        outcome=SERVED,
        arrived_at=c.at,
        started_at=c.at,
        service_seconds=c.minutes * 60 if c.minutes is not None else None,
        products=((c.product_id, 1),) if c.product_id else (),
    )


def from_mail(m: MailRecord) -> VisitFact:
    """The fact of a handled incoming e-mail: channel e-mail, counted on the day and hour it
    came in, served. The time to answer is no waiting at a desk: it is kept as the end only,
    out of the waiting and service figures."""
    day, weekday, hour = kpi.local_slot(m.received_at)
    return VisitFact(
        origin=EMAIL,
        origin_id=m.pk,
        location_id=m.location_id,
        department_id=m.department_id,
        queue_id=None,
        channel=EMAIL,
        source="mail_register",
        service_day=day,
        weekday=weekday,
        hour=hour,
        outcome=SERVED,
        arrived_at=m.received_at,
        ended_at=m.answered_at,
    )
