"""Reading opening hours: load a location's rules and exceptions in two queries, compute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import get_language

from onthaal.hours import compute
from onthaal.hours.holidays import public_holidays
from onthaal.hours.models import OpeningException, OpeningRule
from onthaal.organisation.models import Department, Location


def hours_data(location: Location, start: dt.date, end: dt.date) -> compute.HoursData:
    """Everything needed to compute ``location``'s hours from ``start`` to ``end``.

    Two queries whatever the range: the rules valid in it, and the exceptions in it.
    """
    rules = OpeningRule.objects.filter(location=location, valid_from__lte=end).exclude(
        valid_until__lt=start
    )
    exceptions = OpeningException.objects.filter(location=location, date__range=(start, end))
    language = (get_language() or "nl")[:2]
    return compute.HoursData(
        rules=tuple(r.as_rule() for r in rules),
        exceptions=tuple(e.as_exception() for e in exceptions),
        holidays=public_holidays(start, end, language),
    )


def hours_data_changed(
    location: Location,
    start: dt.date,
    end: dt.date,
    *,
    rule: OpeningRule | None = None,
    exception: OpeningException | None = None,
    deleted: bool = False,
) -> compute.HoursData:
    """``hours_data`` as it would be with ``rule`` or ``exception`` saved (it takes the place of
    the stored row with its pk, if any) or, with ``deleted``, removed: what a change to the
    opening hours would do, read before it is made. Two queries."""
    rules = [
        r.as_rule()
        for r in OpeningRule.objects.filter(location=location, valid_from__lte=end).exclude(
            valid_until__lt=start
        )
        if rule is None or rule.pk is None or r.pk != rule.pk
    ]
    if rule is not None and not deleted and rule.location_id == location.pk:
        rules.append(rule.as_rule())
    exceptions = [
        e.as_exception()
        for e in OpeningException.objects.filter(location=location, date__range=(start, end))
        if exception is None or exception.pk is None or e.pk != exception.pk
    ]
    if (
        exception is not None
        and not deleted
        and exception.location_id == location.pk
        and start <= exception.date <= end
    ):
        exceptions.append(exception.as_exception())
    return compute.HoursData(
        rules=tuple(rules),
        exceptions=tuple(exceptions),
        holidays=public_holidays(start, end, (get_language() or "nl")[:2]),
    )


def hours_data_for(
    locations: Iterable[Location], start: dt.date, end: dt.date
) -> dict[int, compute.HoursData]:
    """``hours_data`` of several locations at once (keyed by location id): still two queries,
    whatever the number of locations (the reports read every building's hours)."""
    pks = [location.pk for location in locations]
    rules: dict[int, list[compute.WeeklyRule]] = {pk: [] for pk in pks}
    exceptions: dict[int, list[compute.DayException]] = {pk: [] for pk in pks}
    for rule in OpeningRule.objects.filter(location__in=pks, valid_from__lte=end).exclude(
        valid_until__lt=start
    ):
        rules[rule.location_id].append(rule.as_rule())
    for exception in OpeningException.objects.filter(location__in=pks, date__range=(start, end)):
        exceptions[exception.location_id].append(exception.as_exception())
    holidays = public_holidays(start, end, (get_language() or "nl")[:2])
    return {
        pk: compute.HoursData(
            rules=tuple(rules[pk]), exceptions=tuple(exceptions[pk]), holidays=holidays
        )
        for pk in pks
    }


def location_schedule(
    location: Location,
    start: dt.date,
    end: dt.date,
    *,
    department: Department | None = None,
    channels: tuple[str, ...] = compute.CHANNELS,
) -> list[compute.DaySchedule]:
    data = hours_data(location, start, end)
    return compute.schedule(
        data,
        start,
        end,
        channels=channels,
        department_id=department.pk if department else None,
    )


def upcoming_closures(
    location: Location, start: dt.date, days: int = 60
) -> list[compute.DaySchedule]:
    """Days in the coming period that are closed or special for a reason (holidays, closure
    days, special hours) — not the ordinary weekends."""
    end = start + dt.timedelta(days=days)
    return [d for d in location_schedule(location, start, end) if d.reason]


def closures(location: Location, start: dt.date, end: dt.date) -> list[OpeningException]:
    """The days from ``start`` to ``end`` on which the whole location is closed (its
    exceptions without a department), in date order: what its screens announce."""
    return list(
        OpeningException.objects.filter(
            location=location, closed=True, department__isnull=True, date__range=(start, end)
        ).order_by("date")
    )
