"""Advice per location x department x weekday x hour, from the figures, the desks' schedules
and the opening hours; worded for a council (the pure rules are in ``advice``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Q, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from onthaal.catalogue.models import Product
from onthaal.hours import compute
from onthaal.hours.models import Weekday
from onthaal.hours.selectors import hours_data, hours_data_for
from onthaal.organisation.models import Department, Desk, Location
from onthaal.reporting import advice, erlang, kpi, selectors
from onthaal.reporting.selectors import Scope, grouped, rollups

DEFAULT_TARGET = erlang.Target(wait_seconds=900, share=0.8)
HOURS = range(7, 20)


@dataclass
class PlaceAdvice:
    location: Location
    department: Department
    needs: list[advice.Need]
    suggestions: list[advice.Suggestion]
    texts: list[str]


def _reference_week(end: dt.date) -> list[dt.date]:
    """The week (Monday to Sunday) the hours and schedules are read for: the one of ``end``."""
    monday = kpi.week_start(end)
    return [monday + dt.timedelta(days=n) for n in range(7)]


@dataclass
class PlaceData:
    """What the advice and the capacity figure read per place, read once for every place in
    scope: each location's hours (covering the period and the reference week) and each
    (location, department)'s desks with their schedules. Four queries whatever the number of
    places (before: about seven per place)."""

    hours: dict[int, compute.HoursData]
    desks: dict[tuple[int, int], list[Desk]]
    digest: str | None = None  # their fingerprint, once worked out (``cached.fingerprint``)


def place_data(scope: Scope, pairs: list[tuple[Location, Department]]) -> PlaceData:
    locations = {location.pk: location for location, _department in pairs}
    week = _reference_week(scope.end)
    hours = hours_data_for(locations.values(), min(scope.start, week[0]), max(scope.end, week[-1]))
    desks: dict[tuple[int, int], list[Desk]] = {}
    rows = (
        Desk.objects.filter(location__in=list(locations), active=True)
        .exclude(kind=Desk.Kind.RECEPTION)
        .prefetch_related("schedule", "departments")
        .order_by("pk")
    )
    for desk in rows:
        for department in desk.departments.all():
            desks.setdefault((desk.location_id, department.pk), []).append(desk)
    return PlaceData(hours, desks)


def _open_hours(
    location: Location,
    department: Department,
    week: list[dt.date],
    data: compute.HoursData | None = None,
) -> set[tuple[int, int]]:
    """(weekday, hour) pairs in which walk-in or appointments are open for at least half the
    hour, by the weekly rules valid that week (exceptions and holidays left out: advice is
    about an ordinary week)."""
    if data is None:
        data = hours_data(location, week[0], week[-1])
    plain = compute.HoursData(rules=data.rules)
    days = compute.schedule(
        plain,
        week[0],
        week[-1],
        channels=(compute.WALK_IN, compute.APPOINTMENT),
        department_id=department.pk,
    )
    out = set()
    for day in days:
        for hour in HOURS:
            start = compute.to_instant(day.day, dt.time(hour), kpi.BRUSSELS)
            end = start + dt.timedelta(hours=1)
            covered = dt.timedelta()
            for interval in day.intervals:
                overlap = min(end, interval.end) - max(start, interval.start)
                covered += max(overlap, dt.timedelta())
            if covered >= dt.timedelta(minutes=30):
                out.add((day.day.weekday(), hour))
    return out


def _planned_desks(
    location: Location,
    department: Department,
    week: list[dt.date],
    open_hours: set[tuple[int, int]],
    desks: list[Desk] | None = None,
) -> dict[tuple[int, int], int]:
    """Desks planned per (weekday, hour): a desk with a weekly schedule in its windows, a desk
    without one whenever the department is open."""
    if desks is None:
        desks = list(
            Desk.objects.filter(location=location, departments=department, active=True)
            .exclude(kind=Desk.Kind.RECEPTION)
            .prefetch_related("schedule")
        )
    planned: dict[tuple[int, int], int] = {}
    for day in week:
        # Per desk, the schedule rows valid that day (None: no schedule, open when the
        # department is), worked out once per day rather than once per hour.
        valid = []
        for desk in desks:
            rows = [r for r in desk.schedule.all() if r.valid_on(day)]
            valid.append([r for r in rows if r.weekday == day.weekday()] if rows else None)
        for hour in HOURS:
            key = (day.weekday(), hour)
            moment = dt.time(hour, 30)
            n = 0
            for today in valid:
                if today is None:
                    n += key in open_hours
                else:
                    n += any(r.start <= moment < r.end for r in today)
            planned[key] = n
    return planned


Measured = dict[tuple[int, int], dict[tuple[int, int], dict[str, Any]]]


# Contacts that never come to a desk: not in the desks' demand.
REMOTE = ("eloket", "phone", "email")


def measured_hours(
    scope: Scope, *, in_sql: bool | None = None
) -> tuple[Measured, dict[tuple[int, int], int]]:
    """Per (location, department), then per (weekday, hour): the visits at the desks and their
    service seconds (the advice); and per (weekday, hour) every visit, remote contacts too
    (the heat map). One query over the hourly rollup's covering index for both: the
    hand-written sums (``selectors.rollup_sums``), or the ORM's filtered sums (``in_sql=False``;
    what the statement is held equal to)."""
    out: Measured = {}
    heat: dict[tuple[int, int], int] = {}
    if selectors.SUMS_IN_SQL if in_sql is None else in_sql:
        # Per channel, and the channels at the desks picked out here: grouping by the
        # channel is cheaper for the database than a CASE per summed column.
        sums = selectors.rollup_sums(
            scope,
            ("location", "department", "weekday", "hour", "channel"),
            ("visits", "service_sum", "service_count"),
            hourly=True,
        )
        for (location_id, department_id, weekday, hour, channel), row in sums.items():
            slot = (weekday, hour)
            heat[slot] = heat.get(slot, 0) + row["visits"]
            if channel in REMOTE or not row["visits"]:
                continue
            cell = out.setdefault((location_id, department_id), {}).setdefault(
                slot, {"n": 0, "s": 0, "c": 0}
            )
            cell["n"] += row["visits"]
            cell["s"] += row["service_sum"]
            cell["c"] += row["service_count"]
        return out, dict(sorted(heat.items()))
    at_desk = ~Q(channel__in=REMOTE)
    rows = (
        rollups(scope, hourly=True)
        .values("location_id", "department_id", "weekday", "hour")
        .annotate(
            every=Sum("visits"),
            n=Sum("visits", filter=at_desk),
            s=Sum("service_sum", filter=at_desk),
            c=Sum("service_count", filter=at_desk),
        )
        .order_by()
    )
    for r in rows:
        slot = (r["weekday"], r["hour"])
        heat[slot] = heat.get(slot, 0) + int(r["every"] or 0)
        if r["n"]:
            place = out.setdefault((r["location_id"], r["department_id"]), {})
            place[slot] = {"n": r["n"], "s": r["s"] or 0, "c": r["c"] or 0}
    return out, dict(sorted(heat.items()))


def _measured(scope: Scope) -> Measured:
    """Visits at the desks and their service seconds per (location, department), then per
    (weekday, hour): one query for every place in ``scope``."""
    return measured_hours(scope)[0]


def cells(
    scope: Scope,
    location: Location,
    department: Department,
    measured: dict[tuple[int, int], dict[str, Any]] | None = None,
    data: PlaceData | None = None,
) -> list[advice.Cell]:
    if measured is None:
        place = replace(scope, location_id=location.pk, department_ids=(department.pk,))
        measured = _measured(place).get((location.pk, department.pk), {})
    days = kpi.weekday_count(scope.start, scope.end)
    week = _reference_week(scope.end)
    hours = data.hours.get(location.pk) if data else None
    desks = data.desks.get((location.pk, department.pk), []) if data else None
    open_hours = _open_hours(location, department, week, hours)
    planned = _planned_desks(location, department, week, open_hours, desks)
    out = []
    for weekday in range(6):
        for hour in HOURS:
            row = measured.get((weekday, hour))
            is_open = (weekday, hour) in open_hours
            if row is None and not is_open:
                continue
            arrivals = (row["n"] / days[weekday]) if row and days[weekday] else 0.0
            minutes = (row["s"] / row["c"] / 60) if row and row["c"] else None
            out.append(
                advice.Cell(
                    weekday=weekday,
                    hour=hour,
                    arrivals_per_hour=round(arrivals, 2),
                    service_minutes=round(minutes, 2) if minutes else None,
                    planned_desks=planned.get((weekday, hour), 0),
                    open=is_open,
                )
            )
    return out


def _day(weekday: int) -> str:
    return str(Weekday(weekday).label)


def _number(value: float, digits: int = 1) -> str:
    return number_format(round(value, digits), digits)


def wording(suggestion: advice.Suggestion, products: dict[int, str]) -> str:
    """The suggestion as one plain sentence ("dinsdag 16–18 u: 1,2 bezoekers per uur — ...")."""  # noqa: RUF002
    when = _("%(day)s %(start)d–%(end)d h") % {  # noqa: RUF001
        "day": _day(suggestion.weekday),
        "start": suggestion.start_hour,
        "end": suggestion.end_hour,
    }
    values = {
        "when": when,
        "arrivals": _number(suggestion.arrivals_per_hour),
        "needed": suggestion.desks_needed,
        "planned": suggestion.planned_desks,
    }
    if suggestion.kind == "quiet":
        return (
            _("%(when)s: %(arrivals)s visitors per hour — close, or by appointment only") % values
        )
    if suggestion.kind == "short":
        return _("%(when)s: %(needed)d desks needed, %(planned)d planned") % values
    if suggestion.kind == "spare":
        return (
            _("%(when)s: %(needed)d desks needed, %(planned)d planned — a desk can do other work")
            % values
        )
    if suggestion.kind == "closed_demand":
        return (
            _("%(when)s: %(arrivals)s visitors per hour while closed — consider opening") % values
        )
    return _(
        "%(product)s: %(share)s%% of the visits, %(minutes)s minutes — a candidate for the quick "
        "counter or a pick-up locker"
    ) % {
        "product": products.get(suggestion.product_id, "?"),
        "share": _number(suggestion.share * 100, 0),
        "minutes": _number(suggestion.service_minutes),
    }


def product_mix(
    scope: Scope, per_product: dict[Any, dict[str, int]] | None = None
) -> list[tuple[int, float, float]]:
    if per_product is None:
        per_product = grouped(scope, "product", fields=("visits", "service_sum", "service_count"))
    total = sum(r["visits"] for r in per_product.values()) or 1
    return [
        (
            pk,
            r["visits"] / total,
            (r["service_sum"] / r["service_count"] / 60) if r["service_count"] else 0.0,
        )
        for pk, r in per_product.items()
    ]


def product_names(ids: Any) -> dict[int, str]:
    return {p.pk: p.name for p in Product.objects.filter(pk__in=list(ids))}


def places(scope: Scope) -> list[tuple[Location, Department]]:
    """The location x department pairs in scope that receive visitors."""
    departments = Department.objects.filter(pk__in=scope.department_ids).prefetch_related(
        "locations"
    )
    out = []
    for department in departments.order_by("name"):
        # Sorted here: ordering the prefetched locations in SQL would query once more each.
        for location in sorted(department.locations.all(), key=lambda loc: loc.name):
            if scope.location_id is None or location.pk == scope.location_id:
                out.append((location, department))
    return out


PerPlace = dict[tuple[int, int], dict[Any, dict[str, int]]]


def _products_per_place(scope: Scope) -> PerPlace:
    """Visits and service seconds per (location, department), then per product: one query."""
    rows = (
        rollups(scope)
        .values("location_id", "department_id", "product_id")
        .annotate(
            visits=Sum("visits"),
            service_sum=Sum("service_sum"),
            service_count=Sum("service_count"),
        )
        .order_by("product_id")
    )
    out: dict[tuple[int, int], dict[Any, dict[str, int]]] = {}
    for r in rows:
        out.setdefault((r["location_id"], r["department_id"]), {})[r["product_id"]] = {
            "visits": int(r["visits"] or 0),
            "service_sum": int(r["service_sum"] or 0),
            "service_count": int(r["service_count"] or 0),
        }
    return out


def advise(
    scope: Scope,
    target: erlang.Target = DEFAULT_TARGET,
    pairs: list[tuple[Location, Department]] | None = None,
    data: PlaceData | None = None,
    measured: Measured | None = None,
    per_place: PerPlace | None = None,
) -> list[PlaceAdvice]:
    """The advice per place in ``scope``; ``measured`` (``measured_hours``) and ``per_place``
    (visits and service seconds per place and product) when the caller read them already."""
    out = []
    found: list[tuple[Location, Department, list[advice.Need], list[advice.Suggestion]]] = []
    measured = _measured(scope) if measured is None else measured
    per_place = _products_per_place(scope) if per_place is None else per_place
    pairs = places(scope) if pairs is None else pairs
    data = place_data(scope, pairs) if data is None else data
    for location, department in pairs:
        key = (location.pk, department.pk)
        needs = advice.needs(
            cells(scope, location, department, measured.get(key, {}), data), target
        )
        mix = product_mix(scope, per_place.get(key, {}))
        found.append((location, department, needs, advice.advise(needs, mix)))
    # The products the suggestions name, read once for every place.
    names = product_names({s.product_id for *_, ss in found for s in ss if s.product_id})
    for location, department, needs, suggestions in found:
        out.append(
            PlaceAdvice(
                location, department, needs, suggestions, [wording(s, names) for s in suggestions]
            )
        )
    return out
