"""Booking, moving, cancelling and checking in appointments.

Never a double booking: the free desks for a slot are computed inside the booking transaction,
a desk is chosen by the fill policy, and the insert is guarded by the database — on PostgreSQL
the exclusion constraint (a concurrent booking that got there first makes the insert fail, and
the next free desk is tried), on SQLite the IMMEDIATE transaction (one writer at a time, so
the overlap check inside it is the truth). See ADR 0005.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import BooleanField, CharField, ExpressionWrapper, F, Q
from django.db.models.functions import Cast
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from onthaal.appointments import followup, full_times
from onthaal.appointments import slots as slotting
from onthaal.appointments.contact import contact_key
from onthaal.appointments.models import (
    ACTIVE_STATUSES,
    STAFF_CHANNELS,
    TRANSITIONS,
    Appointment,
    AppointmentProduct,
    BookingChannel,
    BookingPolicy,
    Status,
    hash_token,
    new_reference,
)
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.catalogue.models import Channel, Product, ProductChannel
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError, NotFound
from onthaal.core.ratelimit import TooMany
from onthaal.hours import compute as hours_compute
from onthaal.hours.selectors import hours_data
from onthaal.organisation.models import Department, Desk, DeskAbsence, DeskSchedule, Location
from onthaal.staffing import capacity as staffing_capacity

T = TypeVar("T")
DEADLOCK_RETRIES = 10
log = logging.getLogger(__name__)
PHONE = re.compile(r"^\+?[0-9][0-9 ./-]{7,18}$")
MAX_PERSONS = 6
NEXT_SLOTS = 3


@dataclass(frozen=True)
class Request:
    """What a booking asks for: products (with the number of persons) at a location."""

    location: Location
    department: Department
    products: tuple[Product, ...]
    persons: int
    duration: dt.timedelta


def known_of(request: Request) -> full_times.Known:
    """What ``full_times`` keeps of a resolved request (to refuse a full time at once)."""
    return full_times.Known(
        location_id=request.location.pk,
        department_id=request.department.pk,
        duration=request.duration,
        location_slug=request.location.slug,
        product_slugs=tuple(p.slug for p in request.products),
        persons=request.persons,
    )


def request_of(appointment: Appointment) -> Request:
    """What an existing appointment asks for (to move it, or to book it afresh)."""
    return Request(
        location=appointment.location,
        department=appointment.department,
        products=tuple(i.product for i in appointment.items.select_related("product")),
        persons=appointment.persons,
        duration=appointment.end - appointment.start,
    )


def policy_for(department: Department) -> BookingPolicy:
    found = BookingPolicy.objects.filter(department=department).first()
    if found is None:
        return BookingPolicy(department=department)
    found.department = department  # the caller's: not read again (``_check_contact``)
    return found


def is_short(policy: BookingPolicy, duration: dt.timedelta) -> bool:
    """A short appointment (a pick-up): bookable the same day, on its own grid."""
    return 0 < duration.total_seconds() <= policy.short_max_minutes * 60


def rules_for(
    policy: BookingPolicy, duration: dt.timedelta, *, override: bool = False
) -> slotting.Rules:
    """The slot rules for a booking of ``duration`` under ``policy``; staff making an
    exception (``override``) are not bound by lead time and horizon."""
    short = is_short(policy, duration)
    lead = (
        dt.timedelta(minutes=min(policy.short_lead_minutes, policy.lead_hours * 60))
        if short
        else dt.timedelta(hours=policy.lead_hours)
    )
    return slotting.Rules(
        grid=dt.timedelta(minutes=policy.short_grid_minutes if short else policy.grid_minutes),
        buffer=dt.timedelta(minutes=policy.buffer_minutes),
        lead_time=dt.timedelta(0) if override else lead,
        horizon=dt.timedelta(weeks=52 if override else policy.horizon_weeks),
    )


def build_request(
    *, location: Location | None, products: Sequence[Product], persons: int = 1
) -> Request:
    """Validate what is asked; field errors for an unknown product, a product not bookable
    by appointment, products of several departments, or a location that does not offer them."""
    errors: dict[str, list[str]] = {}
    if not products:
        errors["product"] = [_("Choose at least one product.")]
    if not 1 <= persons <= MAX_PERSONS:
        errors["persons"] = [_("Between 1 and %(max)s persons.") % {"max": MAX_PERSONS}]
    durations = {
        c.product_id: c.duration_minutes
        for c in ProductChannel.objects.filter(product__in=products, channel=Channel.APPOINTMENT)
    }
    if products and any(p.pk not in durations or not p.active for p in products):
        errors["product"] = [_("This product cannot be booked by appointment.")]
    departments = {p.department_id for p in products}
    if len(departments) > 1:
        errors["product"] = [_("Book products of one department at a time.")]
    if location is None:
        errors["location"] = [_("Unknown location.")]
    elif products and not errors and not location.departments.filter(pk__in=departments).exists():
        errors["location"] = [_("These products are not offered at this location.")]
    if errors:
        raise DomainError(_("The booking is not valid."), fields=errors)
    assert location is not None
    minutes = sum(durations[p.pk] for p in products) * persons
    return Request(
        location=location,
        department=products[0].department,
        products=tuple(products),
        persons=persons,
        duration=dt.timedelta(minutes=minutes),
    )


def _desks(request: Request) -> list[Desk]:
    return list(
        Desk.objects.filter(location=request.location, active=True, departments=request.department)
        # Reception and the quick counter take walk-ins; appointments go to desks and offices.
        .exclude(kind__in=[Desk.Kind.RECEPTION, Desk.Kind.QUICK])
        .order_by("pk")
    )


def _busy(
    desks: Sequence[Desk],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    exclude: int | None = None,
) -> dict[int, list[slotting.Span]]:
    busy: dict[int, list[slotting.Span]] = {d.pk: [] for d in desks}
    if not desks:
        return busy
    # Times come as text and are parsed by datetime.fromisoformat (C): for thousands of rows
    # that is several times faster than the driver's timezone-aware conversion. The ORM builds
    # the query; its rows are fetched at once, without the ORM's per-row iteration (a third of
    # the time with 5,000 appointments).
    active = Appointment.objects.filter(
        desk__in=desks, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).exclude(status=Status.HELD, hold_expires_at__lt=now)
    if exclude is not None:
        active = active.exclude(pk=exclude)
    rows = active.annotate(
        start_text=Cast("start", CharField()), end_text=Cast("end", CharField())
    ).values_list("desk_id", "start_text", "end_text")
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    for desk_id, s, e in fetched:
        busy[desk_id].append((_instant(s), _instant(e)))
    return busy


def _instant(text: str) -> dt.datetime:
    """A stored instant from its text form: PostgreSQL gives an offset, SQLite naive UTC."""
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _scheduled(
    desks: Sequence[Desk], first: dt.date, last: dt.date
) -> dict[int, tuple[slotting.Span, ...]]:
    """When each desk with a weekly schedule works from ``first`` to ``last`` (local dates,
    included), as instants; a desk without schedule rows is not in the answer (it works
    whenever the channel is open). One query: every row of the desks, whatever its validity,
    because a desk with rows none of which is valid on a day does not work that day."""
    rows: dict[int, dict[int, list[DeskSchedule]]] = {}
    for row in DeskSchedule.objects.filter(desk__in=desks):
        rows.setdefault(row.desk_id, {}).setdefault(row.weekday, []).append(row)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    spans: dict[int, tuple[slotting.Span, ...]] = {}
    for desk_id, by_weekday in rows.items():
        found: list[slotting.Span] = []
        for day in days:
            for row in by_weekday.get(day.weekday(), ()):
                if row.valid_on(day):
                    # Local wall-clock times to instants as the opening hours do (DST-safe).
                    start = hours_compute.to_instant(day, row.start, clock.BRUSSELS)
                    end = hours_compute.to_instant(day, row.end, clock.BRUSSELS)
                    if end > start:
                        found.append((start, end))
        spans[desk_id] = tuple(found)
    return spans


def desk_resources(
    desks: Sequence[Desk],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    exclude: int | None = None,
    products: Sequence[int] = (),
) -> list[slotting.Resource]:
    """The desks as the slot engine sees them from ``start`` to ``end``: when each works and
    when it is busy (active appointments but ``exclude``, the one being moved; live holds;
    absences). A desk works, in a week in which its department's roster is published, while
    a person trained for ``products`` is planned at it and not absent (``staffing.capacity``,
    ADR 0013); in other weeks by its weekly schedule (always, without one). Four queries
    without a published roster, eight with one, whatever the number of desks."""
    calendar = desk_calendar(desks, start, end, products)
    return with_busy(calendar, _busy(desks, start, end, now, exclude))


@dataclass(frozen=True)
class DeskCalendar:
    """When each desk works (None: whenever the channel is open) and when it is absent: what
    bookings do not change, so a booking reads it before the day's lock (``_free_desk``)."""

    desks: tuple[int, ...]
    available: dict[int, tuple[slotting.Span, ...] | None]
    absent: dict[int, list[slotting.Span]]


def desk_calendar(
    desks: Sequence[Desk], start: dt.datetime, end: dt.datetime, products: Sequence[int] = ()
) -> DeskCalendar:
    """The part of ``desk_resources`` that bookings do not change: absences, weekly
    schedules and the published roster from ``start`` to ``end``."""
    absent: dict[int, list[slotting.Span]] = {d.pk: [] for d in desks}
    if desks:
        absences = DeskAbsence.objects.filter(desk__in=desks, start__lt=end, end__gt=start)
        for desk_id, absent_from, absent_until in absences.values_list("desk_id", "start", "end"):
            absent[desk_id].append((absent_from, absent_until))
    local = clock.BRUSSELS
    first, last = start.astimezone(local).date(), end.astimezone(local).date()
    scheduled = _scheduled(desks, first, last)
    roster_days, staffed = staffing_capacity.staffed_spans(desks, products, start, end)
    available: dict[int, tuple[slotting.Span, ...] | None] = {
        d.pk: scheduled.get(d.pk) for d in desks
    }
    for desk in desks:
        rostered = roster_days.get(desk.pk)
        if not rostered:
            continue
        by_schedule = scheduled.get(desk.pk)
        if by_schedule is None:  # works whenever open: every day without a roster
            days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
            by_schedule = tuple(
                staffing_capacity.day_span(day) for day in days if day not in rostered
            )
        kept = tuple(
            span for span in by_schedule if span[0].astimezone(local).date() not in rostered
        )
        available[desk.pk] = kept + tuple(staffed.get(desk.pk, ()))
    return DeskCalendar(desks=tuple(d.pk for d in desks), available=available, absent=absent)


def with_busy(
    calendar: DeskCalendar, busy: dict[int, list[slotting.Span]]
) -> list[slotting.Resource]:
    """The slot engine's resources: ``calendar`` with the desks' appointments (``busy``)."""
    return [
        slotting.Resource(
            id=pk,
            available=calendar.available[pk],
            busy=tuple(busy.get(pk, ())) + tuple(calendar.absent[pk]),
        )
        for pk in calendar.desks
    ]


def _opening(request: Request, first: dt.date, last: dt.date) -> list[slotting.Span]:
    data = hours_data(request.location, first, last)
    return [
        (i.start, i.end)
        for i in hours_compute.intervals(
            data,
            first,
            last,
            channel=hours_compute.APPOINTMENT,
            department_id=request.department.pk,
        )
    ]


def availability(
    request: Request, first: dt.date, last: dt.date, *, override: bool = False
) -> list[slotting.Slot]:
    """The free slots from ``first`` to ``last`` (local dates): a fixed number of queries."""
    if last < first:
        raise DomainError(
            _("The period ends before it starts."), fields={"to": [_("Must not be before from.")]}
        )
    if (last - first).days > 62:
        raise DomainError(
            _("Ask for at most 62 days."), fields={"to": [_("Ask for at most 62 days.")]}
        )
    now = clock.now()
    policy = policy_for(request.department)
    opening = _opening(request, first, last)
    if not opening:
        return []
    desks = _desks(request)
    products = [p.pk for p in request.products]
    resources = desk_resources(desks, opening[0][0], opening[-1][1], now, products=products)
    return slotting.slots(
        opening,
        resources,
        request.duration,
        now,
        rules_for(policy, request.duration, override=override),
    )


def validate_contact(
    name: str, email: str, phone: str, *, contact_required: bool = True
) -> dict[str, list[str]]:
    """Field errors of a name and contact; staff booking for a caller who has no e-mail
    address or mobile number leave both empty (``contact_required=False``)."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give your name.")]
    elif len(name) > 200:
        errors["name"] = [_("The name is too long.")]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("This e-mail address is not valid.")]
    if phone and not PHONE.match(phone):
        errors["phone"] = [_("This phone number is not valid.")]
    if contact_required and not email and not phone:
        errors["email"] = [_("Give an e-mail address or a mobile phone number.")]
    return errors


def next_free(request: Request, after: dt.datetime, count: int = NEXT_SLOTS) -> list[slotting.Slot]:
    """The first ``count`` free slots from ``after``, within a fortnight. The same day first:
    usually it has them, and a 409 under contention then costs one day's computation, not
    fifteen."""
    day = after.astimezone(clock.BRUSSELS).date()
    found: list[slotting.Slot] = []
    for first, last in ((day, day), (day + dt.timedelta(days=1), day + dt.timedelta(days=14))):
        found += [s for s in availability(request, first, last) if s.start >= after]
        if len(found) >= count:
            break
    return found[:count]


def _event(
    appointment: Appointment, action: str, actor: Any, transition: str, **details: Any
) -> None:
    record_event(
        action=action,
        actor=actor or f"citizen:{appointment.reference}",
        object_type="appointments.appointment",
        object_id=appointment.pk,
        department=appointment.department,
        details={"transition": transition, "reference": appointment.reference, **details},
    )


BOOKING_LOCK_NAMESPACE = 0x0B


def _lock_day(department_id: int, day: dt.date) -> None:
    """On PostgreSQL, order the bookings of one department and day: a transaction-scoped
    advisory lock, taken before the free desks are read. The exclusion constraint remains the
    guarantee; the lock keeps two bookings from meeting inside its check, where PostgreSQL can
    only resolve them as a deadlock (after a second). SQLite has one writer anyway."""
    if connection.vendor != "postgresql":
        return
    key = (
        (BOOKING_LOCK_NAMESPACE << 48)
        | ((department_id & 0xFFFFFF) << 24)
        | (day.toordinal() & 0xFFFFFF)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _check_contact(
    policy: BookingPolicy,
    location: Location,
    email: str,
    phone: str,
    now: dt.datetime,
    *,
    by_staff: bool = False,
) -> None:
    """The limits on one contact: planned appointments, and (online) the no-show policy of
    the department, counted by the contact's keyed hash: it outlives the anonymisation of
    the appointments, and a differently written address (``J@x.org``, ``j+tag@x.org``) is
    the same citizen."""
    if not email and not phone:
        return  # a caller without a contact channel (booked by staff): nothing to count
    contact = Q(email__iexact=email) if email else Q(phone=phone)
    field = "email" if email else "phone"
    future = Appointment.objects.filter(contact, status=Status.BOOKED, start__gt=now).count()
    if future >= policy.max_future_per_contact:
        raise DomainError(
            _("You already have %(n)s appointments planned. Cancel one first, or call us.")
            % {"n": future},
            code="too_many",
            fields={field: [_("Too many planned appointments.")]},
        )
    if by_staff:
        return  # staff booking for a caller: the no-show policy asks citizens to call them
    since = now - dt.timedelta(days=30 * policy.no_show_months)
    missed = Appointment.objects.filter(
        department=policy.department,
        contact_key=contact_key(email, phone),
        status=Status.NO_SHOW,
        start__gte=since,
    ).count()
    if missed >= policy.no_show_limit:
        raise DomainError(
            _("Please call us to make this appointment: %(phone)s.")
            % {"phone": location.phone or _("the general number")},
            code="call_us",
            fields={field: [_("Please call us.")]},
        )


def _retry_on_deadlock(fn: Callable[[], T]) -> T:
    """Run ``fn`` (one transaction); when PostgreSQL picks it as the victim of a deadlock
    between two exclusion-constraint checks (two bookings for overlapping times at once),
    run it again. Only at the outermost transaction: inside one, the caller retries."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return fn()
        except OperationalError as error:
            code = getattr(error.__cause__, "sqlstate", None)
            last = attempt == DEADLOCK_RETRIES - 1
            if code not in ("40P01", "40001") or connection.in_atomic_block or last:
                log.warning("booking not retried: %s (attempt %d)", code, attempt + 1)
                raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311 — jitter
    raise AssertionError("unreachable")


# ONTHAAL_BOOKING_TURNS: how many bookings one app process works on at once (default 2); the
# others wait for their turn in the process, holding no database connection.
BOOKING_TURNS = int(os.environ.get("ONTHAAL_BOOKING_TURNS", "2"))
_turns = threading.BoundedSemaphore(BOOKING_TURNS)


@contextmanager
def _booking_turn() -> Iterator[None]:
    """A turn among this process's bookings. Every booking of a department's day waits for
    the day's lock in turn anyway, and a thread that waits there holds a database connection
    and, each time the lock or a statement answers, must win Python's GIL back from the
    process's other request threads: 200 citizens at once on two processes of 16 threads kept
    every thread busy, and the lock's holder waited for the GIL between its statements. With
    a few turns per process, the lock's holder runs while the other bookings wait here, and
    a booking that waited finds its time marked full when the rush took it (``_book``)."""
    _turns.acquire()
    try:
        yield
    finally:
        _turns.release()


def book(**kwargs: Any) -> tuple[Appointment, str | None]:
    """Book a time; see ``_book``. Retried when PostgreSQL resolves a deadlock; at most
    ``BOOKING_TURNS`` bookings of a process at once (``_booking_turn``)."""
    with _booking_turn():
        return _retry_on_deadlock(lambda: _book(**kwargs))


def _book(
    *,
    request: Request,
    start: dt.datetime,
    name: str,
    email: str = "",
    phone: str = "",
    actor: Any = None,
    channel: str = BookingChannel.ONLINE,
    idempotency_key: str | None = None,
    override_reason: str = "",
    hold: bool = False,
    client: str = "",
    survey_opt_in: bool = False,
) -> tuple[Appointment, str | None]:
    """Book ``start`` for ``request``. Returns the appointment and its manage token (None when
    an earlier request with the same idempotency key already booked it).

    Staff may book outside lead time and horizon with a reason (``override_reason``, audited).
    With ``hold`` the time is only held for the department's hold minutes, without contact
    data, while the citizen fills in the form (``confirm_hold``), for ``client`` (see ``hold``).
    ``survey_opt_in``: the citizen agrees to one question about the visit by e-mail after it
    (``followup``; a field error on ``survey`` without an e-mail address).
    """
    if idempotency_key:
        earlier = Appointment.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier, None
    name, email, phone = name.strip(), email.strip(), phone.strip()
    # Staff booking for a caller (phone, desk) may leave the contact out: the caller then
    # writes down the reference that is read out to them.
    by_staff = getattr(actor, "is_authenticated", False)
    errors = (
        {}
        if hold
        else validate_contact(
            name, email, phone, contact_required=not (by_staff and channel in STAFF_CHANNELS)
        )
    )
    if start.tzinfo is None:
        errors["start"] = [_("Give the time with its offset.")]
    if survey_opt_in and not email:
        errors.update(followup.no_email_error().fields)
    if errors:
        raise DomainError(_("The booking is not valid."), fields=errors)
    now = clock.now()
    _not_past(start, now)
    end = start + request.duration
    location_id, department_id = request.location.pk, request.department.pk
    # A rush on a full time: answered by the cache, then by one query, before any lock or
    # computation; a time found full is remembered (``full_times``).
    full, version = full_times.lookup(location_id, department_id, start, end)
    if full:
        raise taken()
    desks = _desks(request)
    every_desk, until = _surely_taken([d.pk for d in desks], start, end, now)
    if every_desk:
        full_times.mark(location_id, department_id, start, end, version, until=until)
        raise taken()
    policy = policy_for(request.department)
    override = bool(override_reason) and actor is not None
    if not hold and not override:
        _check_contact(policy, request.location, email, phone, now, by_staff=by_staff)
    day = start.astimezone(clock.BRUSSELS).date()
    opening = _opening(request, day, day)
    rules = rules_for(policy, request.duration, override=override)
    hold_expires_at = now + dt.timedelta(minutes=policy.hold_minutes) if hold else None
    last_error: IntegrityError | None = None
    for _attempt in range(3):
        reference = new_reference()
        token = manage_token(reference)
        try:
            with transaction.atomic():
                if hold:
                    _check_holds(client, now)
                desk_id = _free_desk(
                    request,
                    start,
                    end,
                    rules,
                    opening,
                    now,
                    desks=desks,
                    version=version,
                    expires=hold_expires_at,
                )
                appointment = Appointment.objects.create(
                    reference=reference,
                    token_hash=hash_token(token),
                    location=request.location,
                    department=request.department,
                    desk_id=desk_id,
                    start=start,
                    end=end,
                    status=Status.HELD if hold else Status.BOOKED,
                    hold_expires_at=hold_expires_at,
                    hold_client=client if hold else "",
                    persons=request.persons,
                    channel=channel,
                    name=name,
                    email=email,
                    phone=phone,
                    contact_key=contact_key(email, phone),
                    survey_opt_in_at=now if survey_opt_in and not hold else None,
                    idempotency_key=idempotency_key or None,
                    created_by=actor if by_staff else None,
                    override_reason=override_reason if override else "",
                    created_at=now,
                )
                AppointmentProduct.objects.bulk_create(
                    AppointmentProduct(appointment=appointment, product=p, quantity=request.persons)
                    for p in request.products
                )
                if not hold:  # a hold is no booking yet: its confirmation is (confirm_hold)
                    _event(
                        appointment,
                        Action.CREATE,
                        actor,
                        "book",
                        channel=channel,
                        override=override_reason if override else "",
                    )
            return appointment, token
        except IntegrityError as error:
            # PostgreSQL's exclusion constraint: another booking took this desk at the same
            # instant; the next attempt sees it and takes another desk, or answers 409.
            if (
                idempotency_key
                and Appointment.objects.filter(idempotency_key=idempotency_key).exists()
            ):
                return Appointment.objects.get(idempotency_key=idempotency_key), None
            last_error = error
            continue
    raise taken() from last_error


def taken() -> Conflict:
    """The refusal of a time that is gone (409 ``slot_taken``)."""
    return Conflict(
        _("This time is no longer free."),
        code="slot_taken",
        fields={"start": [_("This time is no longer free.")]},
    )


def _not_past(start: dt.datetime, now: dt.datetime) -> None:
    if start <= now:
        raise DomainError(
            _("This time has passed."), fields={"start": [_("This time has passed.")]}
        )


def _surely_taken(
    desk_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    exclude: int | None = None,
) -> tuple[bool, dt.datetime | None]:
    """True when every desk that could take ``start`` to ``end`` already has an active
    appointment (or a live hold) overlapping it: then no computation can find a desk, and the
    booking is refused at once. One indexed query; it never refuses a time that is free (a
    desk it counts as busy is busy whatever its schedule), so the slot engine still decides
    every other case. This is what keeps a booking rush fast: of 200 citizens on 20 places,
    180 are answered by this query, not by a day's slot computation (``bench/bench_rush.py``).
    With it, when the first live hold in the way expires (None: no hold), after which the
    time may be free again."""
    if not desk_ids:
        return False, None
    active = Appointment.objects.filter(
        desk_id__in=desk_ids, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).exclude(status=Status.HELD, hold_expires_at__lt=now)
    if exclude is not None:
        active = active.exclude(pk=exclude)
    busy: set[int] = set()
    holds: list[dt.datetime] = []
    for desk_id, status, hold_expires_at in active.values_list(
        "desk_id", "status", "hold_expires_at"
    ):
        busy.add(desk_id)
        if status == Status.HELD and hold_expires_at is not None:
            holds.append(hold_expires_at)
    return len(busy) >= len(set(desk_ids)), min(holds, default=None)


def _free_desk(
    request: Request,
    start: dt.datetime,
    end: dt.datetime,
    rules: slotting.Rules,
    opening: list[slotting.Span],
    now: dt.datetime,
    exclude: int | None = None,
    desks: Sequence[Desk] | None = None,
    version: str | None = None,
    expires: dt.datetime | None = None,
) -> int:
    """Inside the booking's (or the move's) transaction: the desk that takes ``start`` to
    ``end``, after the day's lock, from the desks free then (the appointment being moved,
    ``exclude``, does not count against its new time). DomainError ``closed`` outside the
    opening hours, Conflict ``slot_taken`` when no desk is free. Clears the expired holds in
    the way, which the exclusion constraint still counts.

    Every booking of the department's day waits for the lock in turn, so what needs no lock
    is read before it: the desks (``desks``, when the caller has them) and their calendar
    (schedules, absences, roster), which bookings do not change. After it, one query reads
    the appointments that decide: those in the way (busy, or a time every desk has: refused
    at once) and the day's count per desk (the fill policy). A booking rush queues on this
    lock: 200 citizens on 20 places (``bench/bench_rush.py``). A time found full here, or
    made full by this booking once it commits, is marked so under ``version`` (the day's
    version read before the lock, ``full_times``): the rush's later losers are answered by
    the cache (until ``expires`` when ours is a hold)."""
    if desks is None:
        desks = _desks(request)
    window_start, window_end = start - rules.buffer, end + rules.buffer
    calendar = desk_calendar(
        desks, window_start, window_end, products=[p.pk for p in request.products]
    )
    location_id, department_id = request.location.pk, request.department.pk
    if version is not None and full_times.lookup(location_id, department_id, start, end)[0]:
        raise taken()  # filled while we read the calendar: not worth a turn in the lock
    _lock_day(request.department.pk, start.astimezone(clock.BRUSSELS).date())
    rows = _day_appointments(desks, start, window_start, window_end)
    busy: dict[int, list[slotting.Span]] = {d.pk: [] for d in desks}
    in_the_way: set[int] = set()
    holds: list[dt.datetime] = []  # expiries of the live holds in the way
    load: dict[int, int] = {}
    expired_holds: set[int] = set()
    for pk, desk_id, status, hold_expires_at, a_start, a_end, on_day in rows:
        if on_day:
            load[desk_id] = load.get(desk_id, 0) + 1
        if not (a_start < window_end and a_end > window_start):
            continue
        expired = status == Status.HELD and hold_expires_at is not None and hold_expires_at < now
        if expired:
            if a_start < window_end and a_end > start:
                expired_holds.add(desk_id)
            continue
        if pk == exclude:
            continue
        busy[desk_id].append((a_start, a_end))
        if a_start < end and a_end > start:
            in_the_way.add(desk_id)
            if status == Status.HELD and hold_expires_at is not None:
                holds.append(hold_expires_at)
    until = min(holds, default=None)
    if desks and len(in_the_way) >= len(desks):
        # The bookings before ours in the lock took every desk: no computation.
        full_times.mark(location_id, department_id, start, end, version, until=until)
        raise taken()
    resources = with_busy(calendar, busy)
    on_grid = {s.start: s for s in slotting.slots(opening, resources, request.duration, now, rules)}
    slot = on_grid.get(start)
    if slot is None:
        if not any(s <= start and end <= e for s, e in slotting.merge(opening)):
            raise DomainError(
                _("We are not open for appointments at this time."),
                code="closed",
                fields={"start": [_("Choose a time from the list.")]},
            )
        raise taken()
    desk_id = slotting.choose_resource(slot.resource_ids, load)
    if version is not None and len(in_the_way | {desk_id}) >= len(desks):
        # Ours is the last desk free at this time: full once we commit (until ours expires,
        # when it is a hold).
        until = min([*holds, expires] if expires is not None else holds, default=None)
        transaction.on_commit(
            lambda: full_times.mark(location_id, department_id, start, end, version, until=until)
        )
    if desk_id in expired_holds:
        Appointment.objects.filter(
            desk_id=desk_id,
            status=Status.HELD,
            hold_expires_at__lt=now,
            start__lt=window_end,
            end__gt=start,
        ).delete()
    return desk_id


def _day_appointments(
    desks: Sequence[Desk], start: dt.datetime, window_start: dt.datetime, window_end: dt.datetime
) -> list[tuple[Any, ...]]:
    """The active appointments (expired holds included) of ``desks`` that overlap the window
    or start on the day of ``start`` (the fill policy's count), in one query:
    ``(pk, desk_id, status, hold_expires_at, start, end, on_day)``."""
    if not desks:
        return []
    on_day = Q(start__date=start.date())
    return list(
        Appointment.objects.filter(desk__in=desks, status__in=ACTIVE_STATUSES)
        .filter(on_day | Q(start__lt=window_end, end__gt=window_start))
        .annotate(on_day=ExpressionWrapper(on_day, output_field=BooleanField()))
        .order_by()
        .values_list("pk", "desk_id", "status", "hold_expires_at", "start", "end", "on_day")
    )


MANAGE_TOKEN_SALT = "onthaal.appointments.manage"  # noqa: S105 — a key salt, not a secret


def manage_token(reference: str) -> str:
    """The token of the manage link of ``reference``: an HMAC of the reference with a key
    derived from ``SECRET_KEY``. The database keeps only its SHA-256 (``token_hash``), so a
    copy of the database alone opens no appointment; the server can still put the link in a
    later message (a move by reception, a reminder) without keeping it."""
    digest = salted_hmac(MANAGE_TOKEN_SALT, reference, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def token_of(appointment: Appointment) -> str | None:
    """The manage token of ``appointment`` when the server can derive it (see
    ``manage_token``); None for an appointment whose token was random (booked before), or
    after a change of ``SECRET_KEY``: its link still works, but a message cannot repeat it."""
    token = manage_token(appointment.reference)
    return token if appointment.token_matches(token) else None


HOLD_LOCK_NAMESPACE = 0x0C


def client_key(address: str | None) -> str:
    """What a hold keeps of the client that made it: a keyed hash of its address (the
    address itself is personal data, and the hold needs only to count)."""
    return salted_hmac("onthaal.appointments.hold", address or "-").hexdigest()


def _check_holds(client: str, now: dt.datetime) -> None:
    """Refuse (429) a hold when ``client`` already holds ``ONTHAAL_HOLDS_PER_CLIENT`` times
    that have not expired. In the hold's transaction, after a lock per client on PostgreSQL
    (SQLite's IMMEDIATE transaction has one writer), so that concurrent holds of one client
    count each other: the count never passes the limit, whatever the concurrency."""
    if not client:
        raise ValueError("a hold needs the client that makes it")
    if connection.vendor == "postgresql":
        key = (HOLD_LOCK_NAMESPACE << 48) | int(client[:12], 16)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
    live = Appointment.objects.filter(
        status=Status.HELD, hold_client=client, hold_expires_at__gte=now
    ).count()
    if live >= settings.ONTHAAL_HOLDS_PER_CLIENT:
        raise TooMany(
            _("You are already keeping several times. Confirm one of them, or wait a few minutes."),
            code="too_many_holds",
        )


def hold(*, request: Request, start: dt.datetime, client: str) -> tuple[Appointment, str]:
    """Hold ``start`` for the department's hold minutes while the citizen gives their details.

    ``client`` is ``client_key`` of the requester's address: one client holds at most
    ``ONTHAAL_HOLDS_PER_CLIENT`` times at once (429 beyond). A hold is no booking and holds
    no personal data: it writes no audit event; its confirmation does (``confirm_hold``).
    The citizen's pages ask for one only after a solved proof of work (``views.hold``)."""
    held, token = book(request=request, start=start, name="", hold=True, client=client)
    assert token is not None
    return held, token


def release_hold(*, reference: str, token: str) -> bool:
    """Give up a hold (the citizen chose another time): True when one was released."""
    try:
        held = by_token(reference, token)
    except NotFound:
        return False
    released = Appointment.objects.filter(pk=held.pk, status=Status.HELD).delete()[0] > 0
    if released:
        full_times.changed(held.location_id, held.department_id, held.start)
    return released


def confirm_hold(
    *,
    reference: str,
    token: str,
    name: str,
    email: str = "",
    phone: str = "",
    idempotency_key: str | None = None,
    survey_opt_in: bool = False,
) -> tuple[Appointment, str | None]:
    """Turn a hold into a booking with the citizen's details (and their agreement to the
    survey by e-mail, as ``book``). An expired hold is booked afresh when the time is still
    free; otherwise 409."""
    held = by_token(reference, token)
    name, email, phone = name.strip(), email.strip(), phone.strip()
    errors = validate_contact(name, email, phone)
    if survey_opt_in and not email:
        errors.update(followup.no_email_error().fields)
    if errors:
        raise DomainError(_("The booking is not valid."), fields=errors)
    request = request_of(held)
    now = clock.now()
    if held.status == Status.HELD and held.hold_expires_at and held.hold_expires_at >= now:
        # The same checks as a booking, on the contact now known.
        _check_contact(policy_for(held.department), held.location, email, phone, now)
        with transaction.atomic():
            updated = Appointment.objects.filter(
                pk=held.pk, status=Status.HELD, hold_expires_at__gte=now
            ).update(
                status=Status.BOOKED,
                name=name,
                email=email,
                phone=phone,
                contact_key=contact_key(email, phone),
                survey_opt_in_at=now if survey_opt_in else None,
                hold_expires_at=None,
                hold_client="",
                idempotency_key=idempotency_key or None,
            )
            if updated == 1:
                held.refresh_from_db()
                # The hold wrote nothing: its confirmation is the booking's first event.
                _event(held, Action.CREATE, None, "book", channel=held.channel, held=True)
                return held, token
    if held.status == Status.BOOKED:
        return held, None  # confirmed before (a double click)
    # The hold expired: book the same time again if it is still free.
    if Appointment.objects.filter(pk=held.pk, status=Status.HELD).delete()[0]:
        full_times.changed(held.location_id, held.department_id, held.start)
    return book(
        request=request,
        start=held.start,
        name=name,
        email=email,
        phone=phone,
        idempotency_key=idempotency_key,
        survey_opt_in=survey_opt_in,
    )


def _apply(appointment: Appointment, action: str, **changes: Any) -> Appointment:
    allowed_from, to = TRANSITIONS[action]
    updated = Appointment.objects.filter(pk=appointment.pk, status__in=allowed_from).update(
        status=to, **changes
    )
    if updated != 1:
        raise Conflict(
            _("This appointment can no longer be changed this way."), code="invalid_state"
        )
    full_times.changed(appointment.location_id, appointment.department_id, appointment.start)
    appointment.refresh_from_db()
    return appointment


def by_token(reference: str, token: str) -> Appointment:
    """The appointment for a reference and its manage token. One answer for an unknown
    reference and a wrong token: nothing tells whether the reference exists."""
    found = (
        Appointment.objects.select_related("location", "department", "desk")
        .filter(reference=(reference or "").upper()[:12])
        .first()
    )
    if found is None or not found.token_matches(token or ""):
        raise NotFound(_("We did not find this appointment. Check the link in your e-mail."))
    return found


def cancel(*, appointment: Appointment, actor: Any = None) -> Appointment:
    with transaction.atomic():
        # The sequence goes up: the calendar's CANCEL replaces the entry it had.
        appointment = _apply(
            appointment, "cancel", cancelled_at=clock.now(), sequence=F("sequence") + 1
        )
        _event(appointment, Action.TRANSITION, actor, "cancel")
    return appointment


def reschedule(*, appointment: Appointment, start: dt.datetime, actor: Any = None) -> Appointment:
    """Move to a new time, keeping reference and link (see ``_reschedule``). Retried when
    PostgreSQL resolves a deadlock."""
    return _retry_on_deadlock(
        lambda: _reschedule(appointment=appointment, start=start, actor=actor)
    )


def reassign(*, appointment: Appointment, actor: Any = None) -> Appointment:
    """Move to another desk at the same time (its person fell ill): the move of ``_reschedule``
    (reference, link and calendar entry kept, the SEQUENCE raised) with the time unchanged.
    Conflict ``slot_taken`` when no other desk is free then."""
    return _retry_on_deadlock(
        lambda: _reschedule(
            appointment=appointment, start=appointment.start, actor=actor, reassign=True
        )
    )


def _reschedule(
    *, appointment: Appointment, start: dt.datetime, actor: Any = None, reassign: bool = False
) -> Appointment:
    """Move to a new time, keeping the reference, the manage link and the calendar entry
    (its SEQUENCE goes up). One UPDATE of the row takes the new time and gives up the old
    one, in one transaction: the citizen never holds both, nor neither. The free desk is
    chosen as for a booking, after the day's lock, with the appointment's own old time left
    out; on PostgreSQL the exclusion constraint checks the row's new time against every other
    active row (a concurrent booking or move that got there first: the next desk, or 409).
    Moving to the time it already has changes nothing."""
    allowed_from, to = TRANSITIONS["reschedule"]
    if appointment.status not in allowed_from:
        raise Conflict(
            _("This appointment can no longer be changed this way."), code="invalid_state"
        )
    if start.tzinfo is None:
        raise DomainError(
            _("The booking is not valid."),
            fields={"start": [_("Give the time with its offset.")]},
        )
    if start == appointment.start and not reassign:
        return appointment
    now = clock.now()
    _not_past(start, now)
    old_desk = appointment.desk_id
    request = request_of(appointment)
    # Staff moving an appointment to a colleague are not bound by the lead time.
    rules = rules_for(policy_for(request.department), request.duration, override=reassign)
    day = start.astimezone(clock.BRUSSELS).date()
    opening = _opening(request, day, day)
    end = start + request.duration
    before = appointment.start
    version = full_times.version(appointment.location_id, appointment.department_id, day)
    last_error: IntegrityError | None = None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                desk_id = _free_desk(
                    request,
                    start,
                    end,
                    rules,
                    opening,
                    now,
                    exclude=appointment.pk,
                    version=version,
                )
                if reassign and desk_id == old_desk:
                    raise taken()
                updated = Appointment.objects.filter(
                    pk=appointment.pk, status__in=allowed_from
                ).update(
                    status=to, start=start, end=end, desk_id=desk_id, sequence=F("sequence") + 1
                )
                if updated != 1:  # cancelled or checked in meanwhile
                    raise Conflict(
                        _("This appointment can no longer be changed this way."),
                        code="invalid_state",
                    )
                # Its old time (and, moved to another desk, its old desk) is free again.
                full_times.changed(appointment.location_id, appointment.department_id, before)
                appointment.refresh_from_db()
                # Every write the exclusion constraint may make wait comes before the audit
                # event: the chain's lock is taken last.
                _event(
                    appointment,
                    Action.TRANSITION,
                    actor,
                    "reschedule",
                    moved_from=before.isoformat(),
                    moved_to=start.isoformat(),
                    **({"from_desk": old_desk, "to_desk": desk_id} if reassign else {}),
                )
            return appointment
        except IntegrityError as error:
            last_error = error
            continue
    raise taken() from last_error


CHECK_IN_EARLY = dt.timedelta(minutes=60)
CHECK_IN_LATE = dt.timedelta(minutes=15)


def check_in(
    *, reference: str, location: Location, actor: Any, submission_key: str = ""
) -> Appointment:
    """Check in at the kiosk with the reference (typed or from the QR code): the visit gets a
    ticket in the department's queue, marked as an appointment due at its time.
    ``submission_key``: the kiosk form's key, kept on the ticket (``issue_ticket``)."""
    from onthaal.queue import services as queue_services
    from onthaal.queue.models import Queue, Source

    code = re.sub(r"[^A-Z0-9]", "", (reference or "").upper())
    appointment = (
        Appointment.objects.select_related("department", "location")
        .filter(reference=code, location=location)
        .first()
    )
    message = _("We do not find an appointment with this code here today.")
    now = clock.now()
    if appointment is None or appointment.start.astimezone(clock.BRUSSELS).date() != clock.today():
        raise DomainError(message, code="unknown_code", fields={"reference": [message]})
    if appointment.status != Status.BOOKED:
        used = _("This appointment is already checked in or closed.")
        raise Conflict(used, code="used_code", fields={"reference": [used]})
    if now < appointment.start - CHECK_IN_EARLY:
        early = _("You are early: check in from %(time)s.") % {
            "time": (appointment.start - CHECK_IN_EARLY)
            .astimezone(clock.BRUSSELS)
            .strftime("%H:%M")
        }
        raise DomainError(early, code="too_early", fields={"reference": [early]})
    queue = Queue.objects.filter(
        location=location, department=appointment.department, active=True
    ).first()
    if queue is None:
        raise DomainError(message, code="no_queue", fields={"reference": [message]})
    with transaction.atomic():
        appointment = _apply(appointment, "check_in", checked_in_at=now)
        ticket = queue_services.issue_ticket(
            location=location,
            queue=queue,
            source=Source.APPOINTMENT,
            actor=actor,
            products=[i.product for i in appointment.items.select_related("product")],
            appointment_at=appointment.start,
            check_hours=False,
            submission_key=submission_key,
        )
        Appointment.objects.filter(pk=appointment.pk).update(ticket=ticket)
        appointment.refresh_from_db()
        _event(
            appointment,
            Action.TRANSITION,
            actor,
            "check_in",
            ticket=ticket.code,
            late=now > appointment.start + CHECK_IN_LATE,
        )
    return appointment


NO_SHOW_GRACE = dt.timedelta(minutes=30)


def mark_no_shows() -> int:
    """Appointments not checked in ``NO_SHOW_GRACE`` after their start become no-shows."""
    now = clock.now()
    late = Appointment.objects.filter(status=Status.BOOKED, start__lt=now - NO_SHOW_GRACE)
    marked = 0
    for appointment in late.select_related("department"):
        with transaction.atomic():
            try:
                _apply(appointment, "no_show")
            except Conflict:
                continue  # checked in at this very moment
            _event(appointment, Action.TRANSITION, "system:worker", "no_show")
            marked += 1
    return marked
