"""The end of a service day: what is still open is closed (waiting ones cancelled, called ones
no-shows, ones in service finished), by the worker's periodic job."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from onthaal.core import clock
from onthaal.core.errors import Conflict
from onthaal.hours import compute as hours_compute
from onthaal.hours.selectors import hours_data
from onthaal.organisation.models import Location
from onthaal.queue.models import OPEN_STATUSES, Status, Ticket
from onthaal.queue.services.shared import apply, record

CLOSING_GRACE = dt.timedelta(minutes=30)


def close_day(
    *,
    before: dt.date | None = None,
    at_closing: bool = False,
    location: Location | None = None,
) -> int:
    """Close tickets still open from earlier service days (and, with ``at_closing``, today's):
    waiting ones are cancelled, called ones are no-shows, ones in service are finished."""
    day = before or clock.today()
    condition = Q(service_day__lt=day) | (Q(service_day=day) if at_closing else Q(pk__in=[]))
    if location is not None:
        condition &= Q(location=location)
    now = clock.now()
    closed = 0
    for ticket in Ticket.objects.select_related("queue__department").filter(
        condition, status__in=OPEN_STATUSES
    ):
        action = {
            Status.WAITING: "cancel",
            Status.CALLED: "no_show",
            Status.SERVING: "finish",
        }[Status(ticket.status)]
        try:
            with transaction.atomic():
                ticket = apply(
                    ticket, action, finished_at=now, close_reason=_("closed at end of day")
                )
                record(ticket, action, None, reason="end of day")
                closed += 1
        except (Conflict, IntegrityError):
            continue  # a desk closed it at the same moment
    return closed


def closing_time(location: Location, day: dt.date) -> dt.datetime | None:
    """The end of the location's last opening (any channel) on ``day``; None when closed."""
    data = hours_data(location, day, day)
    ends = [
        interval.end
        for channel in hours_compute.CHANNELS
        if channel != hours_compute.PHONE
        for interval in hours_compute.channel_day(data, day, channel, None).intervals
    ]
    return max(ends) if ends else None


def housekeeping() -> int:
    """The worker's periodic job: close what earlier days left open, and today's tickets of
    each location once it has been closed for ``CLOSING_GRACE``."""
    closed = close_day()
    now = clock.now()
    today = clock.today()
    open_today = Location.objects.filter(
        tickets__service_day=today, tickets__status__in=OPEN_STATUSES
    ).distinct()
    for location in open_today:
        closes = closing_time(location, today)
        if closes is not None and now >= closes + CLOSING_GRACE:
            closed += close_day(at_closing=True, location=location)
    return closed
