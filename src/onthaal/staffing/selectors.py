"""Reads of the staff planning: the coverage of a location's front desks, a person's week,
the balance figures. Staff names and schedules, no citizen data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from onthaal.core import clock
from onthaal.hours import compute
from onthaal.hours.selectors import hours_data
from onthaal.organisation.models import Department, Desk, DeskSchedule, Location
from onthaal.staffing import coverage as cov
from onthaal.staffing import regime as reg
from onthaal.staffing.models import (
    FRONT_PLACES,
    Absence,
    Roster,
    RosterAssignment,
    StaffProfile,
)

HOURS = range(7, 21)
Span = tuple[dt.datetime, dt.datetime]


@dataclass
class Board:
    location: Location
    first: dt.date
    last: dt.date
    departments: list[Department]
    cells: list[cov.Cell]
    rostered: set[dt.date]  # days covered by a published roster (else: availability by regime)
    source: str  # "advice" or "hours": where "needed" comes from
    rosters: dict[dt.date, Roster] = field(default_factory=dict)

    @property
    def gaps(self) -> list[cov.Cell]:
        return cov.gaps(self.cells)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _middle(day: dt.date, hour: int) -> dt.datetime:
    return compute.to_instant(day, dt.time(hour, 30), clock.BRUSSELS)


def primary_desks(location: Location) -> dict[int, list[Desk]]:
    """The active desks of a location by the department they count for: the first department
    they serve (a quick counter that serves two departments counts once)."""
    out: dict[int, list[Desk]] = {}
    for desk in Desk.objects.filter(location=location, active=True).prefetch_related("departments"):
        served = sorted(d.pk for d in desk.departments.all())
        if served:
            out.setdefault(served[0], []).append(desk)
    return out


def _advice(
    location: Location, department: Department, first: dt.date
) -> dict[tuple[int, int], int]:
    """Desks needed per (weekday, hour) by the reporting advice (Erlang C on the measured
    arrivals of the eight weeks before ``first``), for the hours with measured arrivals."""
    from onthaal.reporting import advice, advisor
    from onthaal.reporting.selectors import Scope

    scope = Scope(
        start=first - dt.timedelta(days=56),
        end=first - dt.timedelta(days=1),
        department_ids=(department.pk,),
        location_id=location.pk,
    )
    needs = advice.needs(advisor.cells(scope, location, department), advisor.DEFAULT_TARGET)
    return {
        (n.cell.weekday, n.cell.hour): n.desks_needed
        for n in needs
        if n.cell.arrivals_per_hour > 0 and n.desks_needed > 0
    }


def needed(
    location: Location, departments: Sequence[Department], first: dt.date, last: dt.date
) -> tuple[dict[cov.Key, int], str]:
    """Staff needed at the front per (day, hour, department): in every hour in which walk-in
    or appointments are open (at the half hour), the reporting advice's desks where it has
    measured arrivals, else the department's desks staffed by their schedule then."""
    data = hours_data(location, first, last)
    desks = primary_desks(location)
    schedules: dict[int, list[DeskSchedule]] = {}
    for row in DeskSchedule.objects.filter(desk__location=location):
        schedules.setdefault(row.desk_id, []).append(row)
    out: dict[cov.Key, int] = {}
    source = "hours"
    for department in departments:
        advised = _advice(location, department, first)
        if advised:
            source = "advice"
        days = compute.schedule(
            data,
            first,
            last,
            channels=(compute.WALK_IN, compute.APPOINTMENT),
            department_id=department.pk,
        )
        for day in days:
            spans = [(i.start, i.end) for i in day.intervals]
            for hour in HOURS:
                middle = _middle(day.day, hour)
                if not any(s <= middle < e for s, e in spans):
                    continue
                wall = middle.astimezone(clock.BRUSSELS).time()
                staffed = 0
                for desk in desks.get(department.pk, []):
                    rows = [r for r in schedules.get(desk.pk, []) if r.valid_on(day.day)]
                    if not rows or any(
                        r.weekday == day.day.weekday() and r.start <= wall < r.end for r in rows
                    ):
                        staffed += 1
                value = advised.get((day.day.weekday(), hour), staffed)
                if value:
                    out[(day.day, hour, department.pk)] = value
    return out, source


def absences_of(
    users: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[Span]]:
    out: dict[int, list[Span]] = {}
    for user_id, a_start, a_end in Absence.objects.filter(
        user_id__in=list(users), start__lt=end, end__gt=start
    ).values_list("user_id", "start", "end"):
        out.setdefault(user_id, []).append((a_start, a_end))
    return out


def profiles_at(location: Location) -> list[StaffProfile]:
    """The staff profiles that may work at ``location`` (no locations set: every location of
    their department)."""
    return [
        p
        for p in StaffProfile.objects.select_related("user", "department").prefetch_related(
            "locations", "products", "desks"
        )
        if p.user.is_active
        and (
            location in p.locations.all()
            or (not p.locations.all() and p.department.locations.filter(pk=location.pk).exists())
        )
    ]


def regime_of(profile: StaffProfile) -> reg.Regime:
    return reg.Regime(profile.percent, profile.pattern_a, profile.pattern_b, profile.evenings)


def planned_shifts(
    location: Location, first: dt.date, last: dt.date
) -> tuple[list[cov.Shift], set[dt.date], dict[dt.date, Roster]]:
    """Who is at a front place for which department: by the published roster in its weeks;
    in other weeks, everyone whose regime has them work (available, not yet placed)."""
    monday = first - dt.timedelta(days=first.weekday())
    rosters = {
        r.week: r
        for r in Roster.objects.filter(
            location=location, status=Roster.Status.PUBLISHED, week__gte=monday, week__lte=last
        )
    }
    rostered = {
        day for day in _days(first, last) if day - dt.timedelta(days=day.weekday()) in rosters
    }
    local = clock.BRUSSELS
    shifts: list[cov.Shift] = []
    for user_id, department_id, day, start, end in RosterAssignment.objects.filter(
        roster__in=rosters.values(),
        place__in=FRONT_PLACES,
        day__gte=first,
        day__lte=last,
        department__isnull=False,
    ).values_list("user_id", "department_id", "day", "start", "end"):
        shifts.append(
            cov.Shift(
                user_id,
                department_id,
                compute.to_instant(day, start, local),
                compute.to_instant(day, end, local),
            )
        )
    for profile in profiles_at(location):
        regime = regime_of(profile)
        for day in _days(first, last):
            if day in rostered:
                continue
            for name, (start, end) in reg.SHIFTS.items():
                if regime.works(day, name):
                    shifts.append(
                        cov.Shift(
                            profile.user_id,
                            profile.department_id,
                            compute.to_instant(day, start, local),
                            compute.to_instant(day, end, local),
                        )
                    )
    return shifts, rostered, rosters


def board(
    location: Location,
    first: dt.date,
    last: dt.date,
    *,
    department_ids: Sequence[int] | None = None,
    extra_absences: dict[int, list[Span]] | None = None,
) -> Board:
    """The coverage of ``location`` from ``first`` to ``last``; ``extra_absences`` adds
    absences that are not registered yet (what a request would change)."""
    departments = list(location.departments.order_by("name"))
    if department_ids is not None:
        departments = [d for d in departments if d.pk in department_ids]
    need, source = needed(location, departments, first, last)
    shifts, rostered, rosters = planned_shifts(location, first, last)
    start = compute.to_instant(first, dt.time(0), clock.BRUSSELS)
    end = compute.to_instant(last + dt.timedelta(days=1), dt.time(0), clock.BRUSSELS)
    absent = absences_of({s.person for s in shifts}, start, end)
    for user_id, spans in (extra_absences or {}).items():
        absent.setdefault(user_id, []).extend(spans)
    wanted = {d.pk for d in departments}
    hours = [(day, hour, _middle(day, hour)) for day in _days(first, last) for hour in HOURS]
    planned = cov.planned([s for s in shifts if s.department in wanted], absent, hours)
    return Board(
        location=location,
        first=first,
        last=last,
        departments=departments,
        cells=cov.cells(need, planned),
        rostered=rostered,
        source=source,
        rosters=rosters,
    )


def week_of(user: Any, monday: dt.date) -> list[RosterAssignment]:
    """A person's published assignments in the week of ``monday``."""
    return list(
        RosterAssignment.objects.filter(
            user=user,
            roster__status=Roster.Status.PUBLISHED,
            day__gte=monday,
            day__lte=monday + dt.timedelta(days=6),
        ).select_related("desk", "roster__location", "department")
    )


def user_locations(user: Any) -> list[Location]:
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:
        return []
    own = list(profile.locations.all())
    return own or list(profile.department.locations.all())


def staff_name(user_id: int) -> str:
    user = get_user_model().objects.filter(pk=user_id).first()
    return (user.get_full_name() or user.get_username()) if user else str(user_id)
