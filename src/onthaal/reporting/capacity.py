"""Appointment capacity: the desk minutes open for appointments in a period, from the opening
hours (appointment channel) and each desk's weekly schedule — as the slot computation counts
them (``appointments.services.desk_resources``): a desk without schedule rows takes
appointments whenever the channel is open; a desk with rows only in its windows."""

from __future__ import annotations

import datetime as dt

from onthaal.hours import compute
from onthaal.hours.selectors import location_schedule
from onthaal.organisation.models import Department, Desk, Location
from onthaal.reporting import kpi


def _overlap(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> float:
    return max(0.0, (min(a[1], b[1]) - max(a[0], b[0])).total_seconds() / 60)


def appointment_capacity_minutes(
    location: Location,
    department: Department,
    start: dt.date,
    end: dt.date,
    *,
    hours: compute.HoursData | None = None,
    desks: list[Desk] | None = None,
) -> float:
    """``hours`` (the location's, covering the period) and ``desks`` (the place's, with their
    schedules prefetched) when the caller has read them for every place at once
    (``advisor.place_data``); read here otherwise."""
    if hours is None:
        days = location_schedule(
            location, start, end, department=department, channels=(compute.APPOINTMENT,)
        )
    else:
        days = compute.schedule(
            hours, start, end, channels=(compute.APPOINTMENT,), department_id=department.pk
        )
    if desks is None:
        desks = list(
            Desk.objects.filter(location=location, departments=department, active=True)
            .exclude(kind=Desk.Kind.RECEPTION)
            .prefetch_related("schedule")
        )
    total = 0.0
    for day in days:
        intervals = [(i.start, i.end) for i in day.intervals]
        if not intervals:
            continue
        for desk in desks:
            rows = [r for r in desk.schedule.all() if r.valid_on(day.day)]
            if not rows:
                total += sum((b - a).total_seconds() / 60 for a, b in intervals)
                continue
            for row in rows:
                if row.weekday != day.day.weekday():
                    continue
                window = (
                    compute.to_instant(day.day, row.start, kpi.BRUSSELS),
                    compute.to_instant(day.day, row.end, kpi.BRUSSELS),
                )
                total += sum(_overlap(window, interval) for interval in intervals)
    return total
