"""The proposed roster of a location for a week: load the people, their regimes, absences and
policies and the needs per shift, let the CP-SAT model (``solver``) decide, and save the answer
as the draft roster with the unmet constraints. The team lead edits and publishes it."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.hours.compute import to_instant
from onthaal.organisation.models import Desk, Location
from onthaal.staffing import regime as reg
from onthaal.staffing import selectors, solver
from onthaal.staffing.models import Place, Roster, RosterAssignment

PLACE_OF_DESK: dict[str, str] = {
    Desk.Kind.RECEPTION: Place.RECEPTION,
    Desk.Kind.QUICK: Place.QUICK,
    Desk.Kind.DESK: Place.DESK,
    Desk.Kind.PRIVATE_OFFICE: Place.DESK,
}


@dataclass
class Result:
    roster: Roster
    proposal: solver.Proposal
    seconds: float


def _shift_hours(name: str) -> range:
    start, end = reg.SHIFTS[name]
    return range(start.hour, end.hour + (1 if end.minute else 0))


def problem(
    location: Location, week: dt.date
) -> tuple[list[solver.Person], list[solver.Need], dict[int, list[int]], dict[int, frozenset[int]]]:
    days = [week + dt.timedelta(days=n) for n in range(6)]
    departments = list(location.departments.all())
    needed, _source = selectors.needed(location, departments, days[0], days[-1])
    desks = selectors.primary_desks(location)
    desk_ids = {dep: [d.pk for d in found] for dep, found in desks.items()}
    needs = []
    for day in days:
        for name in reg.SHIFTS:
            for department in departments:
                count = max(
                    (needed.get((day, h, department.pk), 0) for h in _shift_hours(name)), default=0
                )
                if count:
                    needs.append(
                        solver.Need(
                            day, name, department.pk, count, len(desk_ids.get(department.pk, []))
                        )
                    )
    profiles = selectors.profiles_at(location)
    local = clock.BRUSSELS
    absent = selectors.absences_of(
        [p.user_id for p in profiles],
        to_instant(days[0], dt.time(0), local),
        to_instant(days[-1] + dt.timedelta(days=1), dt.time(0), local),
    )
    # A person who works at two locations: their assignments in the other locations' rosters
    # of the week (draft or published) are taken, so this one never plans them twice.
    for user_id, day, start, end in (
        RosterAssignment.objects.filter(
            user_id__in=[p.user_id for p in profiles], day__gte=days[0], day__lte=days[-1]
        )
        .exclude(roster__location=location)
        .values_list("user_id", "day", "start", "end")
    ):
        absent.setdefault(user_id, []).append(
            (to_instant(day, start, local), to_instant(day, end, local))
        )
    quarter = week - dt.timedelta(weeks=13)
    unsocial: dict[int, int] = {}
    for user_id, day, start in RosterAssignment.objects.filter(
        roster__status=Roster.Status.PUBLISHED,
        day__gte=quarter,
        day__lt=week,
        place__in=[Place.DESK, Place.QUICK, Place.RECEPTION],
    ).values_list("user_id", "day", "start"):
        if day.weekday() == 5 or start >= reg.SHIFTS[reg.EVENING][0]:
            unsocial[user_id] = unsocial.get(user_id, 0) + 1
    here = {d.pk for d in departments}
    people = []
    allowed: dict[int, frozenset[int]] = {}
    for profile in profiles:
        regime = selectors.regime_of(profile)
        trained = {p.department_id for p in profile.products.all()}
        serves = frozenset((trained | {profile.department_id}) & here)
        shifts = set()
        for day in days:
            for name, (start, end) in reg.SHIFTS.items():
                if not regime.works(day, name):
                    continue
                span = (to_instant(day, start, local), to_instant(day, end, local))
                if any(a < span[1] and span[0] < b for a, b in absent.get(profile.user_id, [])):
                    continue
                shifts.add((day, name))
        chosen = frozenset(days[int(c)] for c in profile.telework_days if int(c) < len(days))
        people.append(
            solver.Person(
                id=profile.user_id,
                departments=serves,
                shifts=frozenset(shifts),
                telework_max=profile.telework_max_days,
                telework_fixed=chosen if profile.telework_mode == "fixed" else frozenset(),
                telework_wishes=chosen if profile.telework_mode != "fixed" else frozenset(),
                team_days=frozenset(days[int(c)] for c in profile.team_days if int(c) < len(days)),
                unsocial_before=unsocial.get(profile.user_id, 0),
            )
        )
        allowed[profile.user_id] = frozenset(d.pk for d in profile.desks.all())
    return people, needs, desk_ids, allowed


def propose(*, actor: Any, location: Location, week: dt.date, time_limit: float = 8.0) -> Result:
    """Solve and save the draft roster of ``location`` for the week of ``week`` (its Monday).
    A published roster is not overwritten (Conflict)."""
    if not isinstance(week, dt.date):
        raise DomainError(_("The week is not valid."), fields={"week": [_("Give a date.")]})
    week = week - dt.timedelta(days=week.weekday())
    started = time.perf_counter()
    people, needs, desk_ids, allowed = problem(location, week)
    answer = solver.propose(people, needs, time_limit=time_limit)
    desk_of, without = solver.assign_desks(answer.front, desk_ids, allowed)
    kinds = dict(Desk.objects.filter(location=location).values_list("pk", "kind"))
    desk_department = {d: dep for dep, ids in desk_ids.items() for d in ids}
    with transaction.atomic():
        roster, _created = Roster.objects.select_for_update().get_or_create(
            location=location, week=week, defaults={"created_at": clock.now()}
        )
        if roster.status == Roster.Status.PUBLISHED:
            raise Conflict(
                _("This week's roster is published already."),
                code="published",
                fields={"week": [_("This week's roster is published already.")]},
            )
        roster.assignments.all().delete()
        rows = []
        for person in people:
            for day, name in sorted(person.shifts):
                start, end = reg.SHIFTS[name]
                key = (person.id, day, name)
                desk_id = desk_of.get(key)
                if desk_id is not None:
                    place = PLACE_OF_DESK[kinds[desk_id]]
                    department = answer.front[key]
                elif (person.id, day) in answer.telework:
                    place, department = Place.TELEWORK, None
                elif name == reg.EVENING:
                    continue  # the evening is worked at the front or not at all
                else:
                    place, department = Place.BACK_OFFICE, None
                rows.append(
                    RosterAssignment(
                        roster=roster,
                        user_id=person.id,
                        day=day,
                        start=start,
                        end=end,
                        place=place,
                        desk_id=desk_id,
                        department_id=department
                        if desk_id is None
                        else desk_department.get(desk_id, department),
                    )
                )
        RosterAssignment.objects.bulk_create(rows)
        roster.unmet = [
            {"day": d.isoformat(), "shift": s, "department": dep, "missing": n}
            for d, s, dep, n in answer.unmet
        ] + [
            {"day": d.isoformat(), "shift": s, "person": p, "missing": 1, "reason": "no_desk"}
            for p, d, s in without
        ]
        roster.created_at = clock.now()
        roster.save()
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="staffing.roster",
            object_id=roster.pk,
            details={
                "proposal": answer.status,
                "unmet": len(roster.unmet),
                "wishes": answer.wishes,
                "wishes_honoured": answer.wishes_honoured,
            },
        )
    return Result(roster, answer, time.perf_counter() - started)
