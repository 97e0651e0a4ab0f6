"""Balance in figures: per person the telework share against the policy, front-desk hours
and evening shifts over the last quarter; per department the share of open hours covered,
the hours with one person alone and the requests refused because of coverage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from onthaal.organisation.models import Location
from onthaal.staffing import selectors
from onthaal.staffing.models import (
    FRONT_PLACES,
    Place,
    RequestStatus,
    Roster,
    RosterAssignment,
    StaffRequest,
)
from onthaal.staffing.regime import EVENING, SHIFTS

QUARTER = dt.timedelta(weeks=13)


@dataclass
class PersonFigures:
    name: str
    telework_days: int
    telework_max: int
    front_hours: float
    evenings: int


@dataclass
class DepartmentFigures:
    name: str
    covered_share: float | None
    alone_hours: int
    refused_for_coverage: int


def _hours(start: dt.time, end: dt.time) -> float:
    return (
        dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)
    ).seconds / 3600


def figures(
    location: Location,
    monday: dt.date,
    department_ids: list[int] | None = None,
    *,
    base: selectors.Base | None = None,
) -> dict[str, Any]:
    """The figures of ``location``'s week; ``department_ids``: only these departments and
    their people (a team lead's own). ``base``: the week's coverage when the caller has it
    (the board page), else it is computed here. Four queries besides the coverage."""
    since = monday - QUARTER
    last = monday + dt.timedelta(days=5)
    if base is None or base.first != monday or base.last < last:
        base = selectors.base(location, monday, last)
    people = [
        p for p in base.profiles if department_ids is None or p.department_id in department_ids
    ]
    rows = list(
        RosterAssignment.objects.filter(
            roster__status=Roster.Status.PUBLISHED,
            roster__location=location,
            day__gte=since,
            day__lte=monday + dt.timedelta(days=6),
        ).values_list("user_id", "day", "start", "end", "place")
    )
    by_user: dict[int, list[Any]] = {}
    for row in rows:
        by_user.setdefault(row[0], []).append(row)
    persons = []
    for profile in people:
        mine = by_user.get(profile.user_id, [])
        week = [r for r in mine if r[1] >= monday]
        persons.append(
            PersonFigures(
                name=str(profile),
                telework_days=len({r[1] for r in week if r[4] == Place.TELEWORK}),
                telework_max=profile.telework_max_days,
                front_hours=round(sum(_hours(r[2], r[3]) for r in mine if r[4] in FRONT_PLACES), 1),
                evenings=sum(
                    1 for r in mine if r[4] in FRONT_PLACES and r[2] >= SHIFTS[EVENING][0]
                ),
            )
        )
    coverage = base.board(department_ids, last=last)
    refused = dict(
        StaffRequest.objects.filter(
            status=RequestStatus.REFUSED,
            gap=True,
            user__staff_profile__department__in=[d.pk for d in coverage.departments],
            decided_at__date__gte=since,
        )
        .values("user__staff_profile__department")
        .annotate(n=Count("pk"))
        .values_list("user__staff_profile__department", "n")
    )
    departments = []
    for department in coverage.departments:
        cells = [c for c in coverage.cells if c.department == department.pk and c.needed]
        departments.append(
            DepartmentFigures(
                name=department.name,
                covered_share=(sum(1 for c in cells if c.planned >= c.needed) / len(cells))
                if cells
                else None,
                alone_hours=sum(1 for c in cells if c.planned == 1),
                refused_for_coverage=refused.get(department.pk, 0),
            )
        )
    return {"people": persons, "departments": departments}
