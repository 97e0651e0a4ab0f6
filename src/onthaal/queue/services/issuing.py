"""Issuing a ticket (kiosk, reception, check-in), and whether walk-in is open.

A ticket number comes from ``TicketCounter``, incremented in the issuing transaction (the row
lock serialises issuers; the unique constraint is the last line)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from onthaal.audit.models import Action
from onthaal.audit.services import change_with_event, lock_chain
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.core.errors import DomainError
from onthaal.hours import compute as hours_compute
from onthaal.hours.selectors import hours_data
from onthaal.organisation.models import Location
from onthaal.queue import snapshots
from onthaal.queue.models import Queue, Source, Status, Ticket, TicketCounter
from onthaal.queue.services.shared import live, record
from onthaal.queue.statements import (
    ISSUE_COMPUTED,
    ISSUE_SQL_CHANGES,
    ISSUE_WRITTEN,
    ISSUED,
    NUMBER_SQL,
)


def walk_in_hours(location: Location) -> hours_compute.HoursData:
    """The location's hours for the coming month: what ``walk_in_status`` needs (2 queries,
    or none while cached: ``snapshots``; an opening-hours change shows within its TTL)."""
    today = clock.today()
    return snapshots.read(
        location.pk,
        f"walk-in-hours:{today.isoformat()}",
        lambda: hours_data(location, today, today + dt.timedelta(days=31)),
    )


def walk_in_status(
    location: Location, queue: Queue, data: hours_compute.HoursData | None = None
) -> tuple[bool, dt.datetime | None]:
    """Is the walk-in channel of ``queue``'s department open now, and if not, when next?
    Pass ``data`` (``walk_in_hours``) to ask for several queues of a location."""
    now = clock.now()
    if data is None:
        data = walk_in_hours(location)
    is_open = hours_compute.is_open(
        data, now, channel=hours_compute.WALK_IN, department_id=queue.department_id
    )
    if is_open:
        return True, None
    return False, hours_compute.next_opening(
        data,
        now,
        channel=hours_compute.WALK_IN,
        department_id=queue.department_id,
        horizon_days=30,
    )


def _next_number(location: Location, service_day: dt.date) -> int:
    """The next number of the day, in the caller's transaction: one UPDATE ... RETURNING (the
    row lock serialises issuers); the day's counter row is created by the first ticket of the
    day. On PostgreSQL the chain lock is taken first: the issue of ``_issue_and_record`` locks
    the counter while it holds the chain lock, and both must lock in the same order."""
    if connection.vendor == "postgresql":
        lock_chain()
    params = [location.pk, connection.ops.adapt_datefield_value(service_day)]
    with connection.cursor() as cursor:
        cursor.execute(NUMBER_SQL, params)
        row = cursor.fetchone()
        if row is None:
            TicketCounter.objects.get_or_create(location=location, service_day=service_day)
            cursor.execute(NUMBER_SQL, params)
            row = cursor.fetchone()
    return int(row[0])


def _issue_and_record(
    ticket: Ticket, products: list[Product], actor: Any, details: dict[str, Any]
) -> Ticket | None:
    """Write ``ticket`` (without its number and code) as the next of its day; None when the
    day's counter does not exist yet. PostgreSQL, outside a transaction: one round trip."""
    params: dict[str, Any] = {
        "location": ticket.location_id,
        "service_day": ticket.service_day,
        "products": [p.pk for p in products],
        "prefix": ticket.queue.prefix,
    }
    for field in ISSUE_WRITTEN:
        if field.attname not in ISSUE_COMPUTED:
            value = field.get_db_prep_save(field.pre_save(ticket, True), connection)
            params[f"ticket_{field.column}"] = value
    row = change_with_event(
        ISSUE_SQL_CHANGES,
        params,
        subject="issued",
        filled={"object_id": 'issued."id"::text', "details.code": 'issued."code"'},
        returning=ISSUED.sql,
        action=Action.CREATE,
        actor=actor,
        object_type="queue.ticket",
        department=ticket.queue.department,
        details={"transition": "issue", "status": Status.WAITING, **details},
    )
    if row is None:
        return None
    issued = ISSUED.required(row, 0, connection)
    issued.location, issued.queue = ticket.location, ticket.queue
    return issued


def issue_ticket(
    *,
    location: Location,
    queue: Queue,
    source: str,
    actor: Any,
    products: Iterable[Product] = (),
    priority: bool = False,
    appointment_at: dt.datetime | None = None,
    check_hours: bool = True,
    submission_key: str = "",
) -> Ticket:
    """Issue a numbered ticket in ``queue``.

    From the kiosk the walk-in channel must be open (``check_hours``); reception may issue at
    any time the building is staffed. ``submission_key`` (the kiosk form's own key) makes
    issuing idempotent: a submission sent again, after a lost answer or a reload, gets the
    ticket it already issued. The unique constraint decides, in the issuing statement itself:
    a repeat fails as a whole, its number is never taken and no event is written, and the
    first submission's ticket is returned. A first submission costs nothing more.
    """
    try:
        return _issue_ticket(
            location=location,
            queue=queue,
            source=source,
            actor=actor,
            products=products,
            priority=priority,
            appointment_at=appointment_at,
            check_hours=check_hours,
            submission_key=submission_key,
        )
    except IntegrityError:
        issued = submitted_ticket(location, submission_key)
        if issued is None:
            raise
        return issued


def submitted_ticket(location: Location, submission_key: str) -> Ticket | None:
    """The ticket the kiosk submission ``submission_key`` issued at ``location``, if any."""
    if not submission_key:
        return None
    return (
        Ticket.objects.select_related("location", "queue")
        .filter(location=location, submission_key=submission_key)
        .first()
    )


def _issue_ticket(
    *,
    location: Location,
    queue: Queue,
    source: str,
    actor: Any,
    products: Iterable[Product],
    priority: bool,
    appointment_at: dt.datetime | None,
    check_hours: bool,
    submission_key: str,
) -> Ticket:
    errors: dict[str, list[str]] = {}
    if queue.location_id != location.pk or not queue.active:
        errors["queue"] = [_("This queue does not exist at this location.")]
    product_list = list(products)
    # What a queue offers is the kiosk's and reception's choice; an appointment brings the
    # products it was booked for (a pick-up, an appointment-only matter) to its department.
    if product_list and not errors and source != Source.APPOINTMENT:
        offered = set(queue.products.values_list("pk", flat=True))
        if any(p.pk not in offered for p in product_list):
            errors["products"] = [_("This product is not served in this queue.")]
    if source not in Source.values:
        errors["source"] = [_("Unknown source.")]
    if errors:
        raise DomainError(_("The ticket cannot be issued."), fields=errors)
    if check_hours:
        is_open, opens = walk_in_status(location, queue)
        if not is_open:
            when = (
                opens.astimezone(clock.BRUSSELS).strftime("%d/%m %H:%M") if opens else _("unknown")
            )
            raise DomainError(
                _("Walk-in is closed now. It opens again on %(when)s.") % {"when": when},
                code="closed",
                fields={"queue": [_("Walk-in is closed now.")]},
            )
    now = clock.now()
    service_day = now.astimezone(clock.BRUSSELS).date()
    ticket = Ticket(
        location=location,
        queue=queue,
        service_day=service_day,
        source=source,
        priority=priority,
        appointment_at=appointment_at,
        issued_at=now,
        waiting_since=now,
        submission_key=submission_key[:64],
    )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        details = {"source": source, "priority": priority}
        issued = _issue_and_record(ticket, product_list, actor, details)
        if issued is None:  # the first ticket of the day: its counter first
            TicketCounter.objects.get_or_create(location=location, service_day=service_day)
            issued = _issue_and_record(ticket, product_list, actor, details)
        assert issued is not None
        ticket = issued
    else:
        with transaction.atomic():
            ticket.number = _next_number(location, service_day)
            ticket.code = f"{queue.prefix}{ticket.number:03d}"
            ticket.save(force_insert=True)
            if product_list:
                ticket.products.set(product_list)
            record(ticket, "issue", actor, source=source, priority=priority)
    live(ticket, "issued")
    return ticket
