"""Reads of the staff planning: the coverage of a location's front desks, a person's week,
the balance figures. Staff names and schedules, no citizen data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _

from onthaal.audit.services import record_refusal
from onthaal.core import clock
from onthaal.core.errors import AccessDenied
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
    # Days on which a published roster of one of the departments plans the front (else: who
    # is available by their regime).
    rostered: set[dt.date]
    source: str  # "advice" or "hours": where "needed" comes from
    rosters: dict[tuple[dt.date, int], Roster] = field(default_factory=dict)

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
    arrivals of the eight weeks before the Monday of ``first``), for the hours with measured
    arrivals. By the Monday, so that any days of one week get the same advice (the board of
    the week and the impact of a request on some of its days)."""
    from onthaal.reporting import advice, advisor
    from onthaal.reporting.selectors import Scope

    monday = first - dt.timedelta(days=first.weekday())
    scope = Scope(
        start=monday - dt.timedelta(days=56),
        end=monday - dt.timedelta(days=1),
        department_ids=(department.pk,),
        location_id=location.pk,
    )
    needs = advice.needs(advisor.cells(scope, location, department), advisor.DEFAULT_TARGET)
    return {
        (n.cell.weekday, n.cell.hour): n.desks_needed
        for n in needs
        if n.cell.arrivals_per_hour > 0 and n.desks_needed > 0
    }


class _Needs:
    """What ``needed`` reads once per location and period (the opening hours, the desks and
    their schedules), then per department on demand."""

    def __init__(
        self,
        location: Location,
        first: dt.date,
        last: dt.date,
        data: compute.HoursData | None = None,
        advice: dict[int, dict[tuple[int, int], int]] | None = None,
    ) -> None:
        """``data``: other opening hours than the stored ones (a change not saved yet);
        ``advice``: the reporting advice per department read before, shared."""
        self.location, self.first, self.last = location, first, last
        self.data = hours_data(location, first, last) if data is None else data
        self.advice = {} if advice is None else advice
        self.desks = primary_desks(location)
        self.schedules: dict[int, list[DeskSchedule]] = {}
        for row in DeskSchedule.objects.filter(desk__location=location):
            self.schedules.setdefault(row.desk_id, []).append(row)

    def of(self, department: Department) -> tuple[dict[cov.Key, int], bool]:
        """The department's needs, and whether they come from the advice."""
        out: dict[cov.Key, int] = {}
        if department.pk not in self.advice:
            self.advice[department.pk] = _advice(self.location, department, self.first)
        advised = self.advice[department.pk]
        days = compute.schedule(
            self.data,
            self.first,
            self.last,
            channels=(compute.WALK_IN, compute.APPOINTMENT),
            department_id=department.pk,
        )
        for day in days:
            spans = [(i.start, i.end) for i in day.intervals]
            if not spans:
                continue
            for hour in HOURS:
                middle = _middle(day.day, hour)
                if not any(s <= middle < e for s, e in spans):
                    continue
                wall = middle.astimezone(clock.BRUSSELS).time()
                staffed = 0
                for desk in self.desks.get(department.pk, []):
                    rows = [r for r in self.schedules.get(desk.pk, []) if r.valid_on(day.day)]
                    if not rows or any(
                        r.weekday == day.day.weekday() and r.start <= wall < r.end for r in rows
                    ):
                        staffed += 1
                value = advised.get((day.day.weekday(), hour), staffed)
                if value:
                    out[(day.day, hour, department.pk)] = value
        return out, bool(advised)


def needed(
    location: Location, departments: Sequence[Department], first: dt.date, last: dt.date
) -> tuple[dict[cov.Key, int], str]:
    """Staff needed at the front per (day, hour, department): in every hour in which walk-in
    or appointments are open (at the half hour), the reporting advice's desks where it has
    measured arrivals, else the department's desks staffed by their schedule then."""
    loaded = _Needs(location, first, last)
    out: dict[cov.Key, int] = {}
    source = "hours"
    for department in departments:
        found, advised = loaded.of(department)
        out.update(found)
        if advised:
            source = "advice"
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
    their department). Four queries, whatever the number of people."""
    here = StaffProfile.objects.filter(
        Q(locations=location) | Q(locations__isnull=True, department__locations=location)
    ).values("pk")
    return list(
        StaffProfile.objects.filter(pk__in=here, user__is_active=True)
        .select_related("user", "department")
        .prefetch_related("locations", "products", "desks")
    )


def regime_of(profile: StaffProfile) -> reg.Regime:
    return reg.Regime(profile.percent, profile.pattern_a, profile.pattern_b, profile.evenings)


def planned_shifts(
    location: Location,
    first: dt.date,
    last: dt.date,
    profiles: Sequence[StaffProfile] | None = None,
) -> tuple[list[cov.Shift], dict[int, set[dt.date]], dict[tuple[dt.date, int], Roster]]:
    """Who is at a front place for which department: by the published rosters in their weeks
    (rosters are per department); on the days without a published roster of a person's
    department, by their regime (available, not yet placed). Returns the shifts, the days of
    each department that a published roster plans, and the published rosters by (Monday,
    department). ``profiles``: ``profiles_at(location)`` when the caller has them already."""
    monday = first - dt.timedelta(days=first.weekday())
    rosters = {
        (r.week, r.department_id): r
        for r in Roster.objects.filter(
            location=location, status=Roster.Status.PUBLISHED, week__gte=monday, week__lte=last
        )
    }
    rostered: dict[int, set[dt.date]] = {}
    for day in _days(first, last):
        for week, department_id in rosters:
            if day - dt.timedelta(days=day.weekday()) == week:
                rostered.setdefault(department_id, set()).add(day)
    local = clock.BRUSSELS
    shifts: list[cov.Shift] = []
    if rosters:
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
    days = _days(first, last)
    instants = {
        (day, name): (
            compute.to_instant(day, start, local),
            compute.to_instant(day, end, local),
        )
        for day in days
        for name, (start, end) in reg.SHIFTS.items()
    }
    for profile in profiles_at(location) if profiles is None else profiles:
        regime = regime_of(profile)
        planned_days = rostered.get(profile.department_id, set())
        for day in days:
            if day in planned_days:
                continue
            for name in reg.SHIFTS:
                if regime.works(day, name):
                    begin, finish = instants[(day, name)]
                    shifts.append(cov.Shift(profile.user_id, profile.department_id, begin, finish))
    return shifts, rostered, rosters


@dataclass
class Base:
    """The coverage of a location's period, computed once: the people planned (shifts and
    absences), and what is needed per department, read on demand. A board is read from it;
    a request or an absence that is not registered yet is applied as a delta (``lost``),
    without computing the coverage again."""

    location: Location
    first: dt.date
    last: dt.date
    departments: list[Department]  # every department of the location, by name
    profiles: list[StaffProfile]
    shifts: list[cov.Shift]
    absent: dict[int, list[Span]]
    hours: list[tuple[dt.date, int, dt.datetime]]
    rostered: dict[int, set[dt.date]]  # per department: the days its published roster plans
    rosters: dict[tuple[dt.date, int], Roster]
    _needs: _Needs
    _need: dict[int, dict[cov.Key, int]] = field(default_factory=dict)
    _advised: set[int] = field(default_factory=set)
    _planned: dict[cov.Key, int] | None = None

    def need(self, department_ids: Iterable[int]) -> dict[cov.Key, int]:
        wanted = set(department_ids)
        for department in self.departments:
            if department.pk in wanted and department.pk not in self._need:
                found, advised = self._needs.of(department)
                self._need[department.pk] = found
                if advised:
                    self._advised.add(department.pk)
        out: dict[cov.Key, int] = {}
        for pk in wanted:
            out.update(self._need.get(pk, {}))
        return out

    def source(self, department_ids: Iterable[int]) -> str:
        return "advice" if self._advised & set(department_ids) else "hours"

    def planned(self, department_ids: Iterable[int]) -> dict[cov.Key, int]:
        if self._planned is None:
            self._planned = cov.planned(self.shifts, self.absent, self.hours)
        wanted = set(department_ids)
        return {k: v for k, v in self._planned.items() if k[2] in wanted}

    def board(
        self, department_ids: Sequence[int] | None = None, last: dt.date | None = None
    ) -> Board:
        departments = [
            d for d in self.departments if department_ids is None or d.pk in department_ids
        ]
        pks = [d.pk for d in departments]
        last = self.last if last is None else last
        cells = [c for c in cov.cells(self.need(pks), self.planned(pks)) if c.day <= last]
        return Board(
            location=self.location,
            first=self.first,
            last=last,
            departments=departments,
            cells=cells,
            rostered={d for pk in pks for d in self.rostered.get(pk, ()) if d <= last},
            source=self.source(pks),
            rosters=self.rosters,
        )

    def need_with(
        self, data: compute.HoursData, department_ids: Iterable[int]
    ) -> dict[cov.Key, int]:
        """What would be needed with the opening hours ``data`` instead of the stored ones
        (the reporting advice read once for both)."""
        self.need(department_ids)  # the advice, read once
        other = _Needs(self.location, self.first, self.last, data=data, advice=self._needs.advice)
        wanted = set(department_ids)
        out: dict[cov.Key, int] = {}
        for department in self.departments:
            if department.pk in wanted:
                out.update(other.of(department)[0])
        return out

    def opened(self, user_id: int, away: Sequence[Span]) -> list[cov.Cell]:
        """The gaps that ``user_id`` being away in ``away`` would open (cells of this
        period only)."""
        lost = cov.lost(self.shifts, self.absent, self.hours, user_id, away)
        if not lost:
            return []
        departments = {k[2] for k in lost}
        return cov.opened(self.need(departments), self.planned(departments), lost)


def base(location: Location, first: dt.date, last: dt.date) -> Base:
    """The coverage of ``location`` from ``first`` to ``last``, to read boards and deltas from
    (a fixed number of queries, plus the reporting advice's per department read)."""
    profiles = profiles_at(location)
    shifts, rostered, rosters = planned_shifts(location, first, last, profiles)
    start = compute.to_instant(first, dt.time(0), clock.BRUSSELS)
    end = compute.to_instant(last + dt.timedelta(days=1), dt.time(0), clock.BRUSSELS)
    return Base(
        location=location,
        first=first,
        last=last,
        departments=list(location.departments.order_by("name")),
        profiles=profiles,
        shifts=shifts,
        absent=absences_of({s.person for s in shifts}, start, end),
        hours=[(day, hour, _middle(day, hour)) for day in _days(first, last) for hour in HOURS],
        rostered=rostered,
        rosters=rosters,
        _needs=_Needs(location, first, last),
    )


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
    found = base(location, first, last)
    for user_id, spans in (extra_absences or {}).items():
        found.absent.setdefault(user_id, []).extend(spans)
    return found.board(department_ids)


def week_range(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def impact(
    user: Any,
    start: dt.datetime,
    end: dt.datetime,
    bases: dict[tuple[int, dt.date], Base] | None = None,
    locations: Sequence[Location] | None = None,
) -> list[cov.Cell]:
    """The coverage gaps that ``user`` being away from ``start`` to ``end`` would open, at
    every location they work at: per location and week, the coverage computed once (kept in
    ``bases`` by location and Monday, for the next request) and the absence applied to it
    as a delta. ``locations``: ``user_locations(user)`` when the caller has them."""
    bases = {} if bases is None else bases
    local = clock.BRUSSELS
    first = start.astimezone(local).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(local).date()
    found: list[cov.Cell] = []
    for location in user_locations(user) if locations is None else locations:
        monday, _sunday = week_range(first)
        while monday <= last:
            key = (location.pk, monday)
            if key not in bases:
                bases[key] = base(location, *week_range(monday))
            found += bases[key].opened(user.pk, [(start, end)])
            monday += dt.timedelta(days=7)
    return found


def own_departments(user: Any, location: Location, object_type: str) -> list[int]:
    """The departments of ``location`` whose planning ``user`` leads (administrators: every
    department they may see). None of them: the refusal is audited and ``AccessDenied``
    raised (403); so is a user without the planning capability."""
    from onthaal.accounts import access

    access.require(user, "staffing.plan", object_type=object_type, object_id=location.slug)
    allowed = set(access.departments_with(user, "staffing.plan").values_list("pk", flat=True))
    here = list(location.departments.order_by("name"))
    own = [d.pk for d in here if d.pk in allowed]
    if not own:
        # The lead covers none of them (a location without departments is nobody's to plan).
        record_refusal(
            actor=user,
            capability="staffing.plan",
            department=here[0] if here else None,
            object_type=object_type,
            object_id=location.slug,
        )
        raise AccessDenied(_("You do not have access to this."))
    return own


def require_department(
    user: Any, location: Location, asked: str, own: Sequence[int], object_type: str
) -> Department:
    """The department ``asked`` (id or slug) of ``location``, when it is one of ``own`` (the
    departments ``user`` plans there); another one, or an unknown one, is refused: the
    refusal is audited and ``AccessDenied`` raised (403)."""
    condition = Q(slug=asked)
    if asked.isdigit() and len(asked) < 10:
        condition |= Q(pk=int(asked))
    found = location.departments.filter(condition).first()
    if found is None or found.pk not in own:
        record_refusal(
            actor=user,
            capability="staffing.plan",
            department=found,
            object_type=object_type,
            object_id=f"{location.slug}:{asked[:50]}",
        )
        raise AccessDenied(_("You do not have access to this."))
    return found


def require_person(user: Any, person: Any, object_type: str, object_id: str) -> None:
    """Refuse (audited, ``AccessDenied``) acting on ``person`` outside ``user``'s departments."""
    from onthaal.accounts import access

    profile = StaffProfile.objects.filter(user=person).select_related("department").first()
    access.require(
        user,
        "staffing.plan",
        profile.department if profile else None,
        object_type=object_type,
        object_id=object_id,
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


def locations_of(user_ids: Iterable[int]) -> dict[int, list[Location]]:
    """``user_locations`` of many people at once (three queries)."""
    out: dict[int, list[Location]] = {}
    for profile in StaffProfile.objects.filter(user_id__in=list(user_ids)).prefetch_related(
        "locations", "department__locations"
    ):
        out[profile.user_id] = list(profile.locations.all()) or list(
            profile.department.locations.all()
        )
    return out


def staff_name(user_id: int) -> str:
    user = get_user_model().objects.filter(pk=user_id).first()
    return (user.get_full_name() or user.get_username()) if user else str(user_id)
