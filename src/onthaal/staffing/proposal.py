"""The proposed rosters of a location's departments for a week: load the people, their
regimes, absences and policies and the needs per shift, let the CP-SAT model (``solver``)
decide, and save the answer as the departments' draft rosters with the unmet constraints. The
team lead edits and publishes them.

A team lead plans their own departments: the people of those departments, for the needs of
those departments (at their desks). Another department's roster is neither read as a plan
nor written: its people's shifts in any other roster of the week (draft or published, at this
location or another) are taken, so nobody is planned twice."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.hours.compute import to_instant
from onthaal.organisation.models import Department, Desk, Location
from onthaal.staffing import regime as reg
from onthaal.staffing import selectors, solver
from onthaal.staffing.models import Place, Roster, RosterAssignment, StaffProfile

PLACE_OF_DESK: dict[str, str] = {
    Desk.Kind.RECEPTION: Place.RECEPTION,
    Desk.Kind.QUICK: Place.QUICK,
    Desk.Kind.DESK: Place.DESK,
    Desk.Kind.PRIVATE_OFFICE: Place.DESK,
}


@dataclass
class Result:
    rosters: list[Roster]  # the draft rosters written, by department name
    proposal: solver.Proposal
    seconds: float
    skipped: list[Department] = field(default_factory=list)  # published already: left alone

    @property
    def unmet(self) -> list[dict[str, Any]]:
        return [item for r in self.rosters for item in r.unmet or []]


def _shift_hours(name: str) -> range:
    start, end = reg.SHIFTS[name]
    return range(start.hour, end.hour + (1 if end.minute else 0))


def problem(
    location: Location,
    week: dt.date,
    departments: Sequence[Department] | None = None,
    replaced: Sequence[int] = (),
) -> tuple[list[solver.Person], list[solver.Need], dict[int, list[int]], dict[int, frozenset[int]]]:
    """The solver's input for ``departments`` (default: every department of the location):
    their people, their needs and their desks. ``replaced``: the rosters being proposed
    again, whose shifts do not count as taken."""
    days = [week + dt.timedelta(days=n) for n in range(6)]
    if departments is None:
        departments = list(location.departments.all())
    here = {d.pk for d in departments}
    needed, _source = selectors.needed(location, departments, days[0], days[-1])
    desks = selectors.primary_desks(location)
    desk_ids = {dep: [d.pk for d in found] for dep, found in desks.items() if dep in here}
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
    profiles = [p for p in selectors.profiles_at(location) if p.department_id in here]
    local = clock.BRUSSELS
    absent = selectors.absences_of(
        [p.user_id for p in profiles],
        to_instant(days[0], dt.time(0), local),
        to_instant(days[-1] + dt.timedelta(days=1), dt.time(0), local),
    )
    # A person who works at two locations, or at another department's desk: their
    # assignments in the other rosters of the week (draft or published) are taken, so this
    # proposal never plans them twice.
    for user_id, day, start, end in (
        RosterAssignment.objects.filter(
            user_id__in=[p.user_id for p in profiles], day__gte=days[0], day__lte=days[-1]
        )
        .exclude(roster__in=list(replaced))
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


def propose(
    *,
    actor: Any,
    location: Location,
    week: dt.date,
    departments: Sequence[int] | None = None,
    time_limit: float = 8.0,
) -> Result:
    """Solve and save the draft rosters of ``departments`` (ids; default: every department of
    the location) at ``location`` for the week of ``week`` (its Monday). The caller checks
    that the actor plans them. A department whose roster is published is left out
    (``Result.skipped``): a published roster is never overwritten; all of them published is
    a Conflict. The rosters are locked in department order."""
    if not isinstance(week, dt.date):
        raise DomainError(_("The week is not valid."), fields={"week": [_("Give a date.")]})
    week = week - dt.timedelta(days=week.weekday())
    started = time.perf_counter()
    chosen = list(location.departments.order_by("pk"))
    if departments is not None:
        chosen = [d for d in chosen if d.pk in set(departments)]
    if not chosen:
        raise DomainError(
            _("There is no department to plan here."),
            fields={"department": [_("There is no department to plan here.")]},
        )
    existing = {
        r.department_id: r
        for r in Roster.objects.filter(location=location, week=week, department__in=chosen)
    }
    skipped = [
        d for d in chosen if d.pk in existing and existing[d.pk].status == Roster.Status.PUBLISHED
    ]
    planned = [d for d in chosen if d not in skipped]
    if not planned:
        raise Conflict(
            _("This week's roster is published already."),
            code="published",
            fields={"week": [_("This week's roster is published already.")]},
        )
    people, needs, desk_ids, allowed = problem(
        location, week, planned, [existing[d.pk].pk for d in planned if d.pk in existing]
    )
    answer = solver.propose(people, needs, time_limit=time_limit)
    desk_of, without = solver.assign_desks(answer.front, desk_ids, allowed)
    kinds = dict(Desk.objects.filter(location=location).values_list("pk", "kind"))
    desk_department = {d: dep for dep, ids in desk_ids.items() for d in ids}
    own = dict(
        StaffProfile.objects.filter(user_id__in=[p.id for p in people]).values_list(
            "user_id", "department_id"
        )
    )
    with transaction.atomic():
        rosters: dict[int, Roster] = {}
        for department in planned:  # in department order: the lock order
            roster, _created = Roster.objects.select_for_update().get_or_create(
                location=location,
                week=week,
                department=department,
                defaults={"created_at": clock.now()},
            )
            if roster.status == Roster.Status.PUBLISHED:
                raise Conflict(
                    _("This week's roster is published already."),
                    code="published",
                    fields={"week": [_("This week's roster is published already.")]},
                )
            roster.assignments.all().delete()
            rosters[department.pk] = roster
        rows = []
        for person in people:
            for day, name in sorted(person.shifts):
                start, end = reg.SHIFTS[name]
                key = (person.id, day, name)
                desk_id = desk_of.get(key)
                if desk_id is not None:
                    place = PLACE_OF_DESK[kinds[desk_id]]
                    served: int | None = desk_department.get(desk_id, answer.front[key])
                elif (person.id, day) in answer.telework:
                    place, served = Place.TELEWORK, None
                elif name == reg.EVENING:
                    continue  # the evening is worked at the front or not at all
                else:
                    place, served = Place.BACK_OFFICE, None
                # A front shift belongs to the roster of the department it serves, any other
                # shift to the roster of the person's own department.
                owner = served if served is not None else own[person.id]
                rows.append(
                    RosterAssignment(
                        roster=rosters[owner],
                        user_id=person.id,
                        day=day,
                        start=start,
                        end=end,
                        place=place,
                        desk_id=desk_id,
                        department_id=served,
                    )
                )
        RosterAssignment.objects.bulk_create(rows)
        unmet: dict[int, list[dict[str, Any]]] = {pk: [] for pk in rosters}
        for day, shift, dep, n in answer.unmet:
            unmet[dep].append(
                {"day": day.isoformat(), "shift": shift, "department": dep, "missing": n}
            )
        for who, day, shift in without:
            unmet[own[who]].append(
                {
                    "day": day.isoformat(),
                    "shift": shift,
                    "person": who,
                    "missing": 1,
                    "reason": "no_desk",
                }
            )
        now = clock.now()
        for pk, roster in rosters.items():
            roster.unmet = unmet[pk]
            roster.created_at = now
            roster.save()
            record_event(
                action=Action.CREATE,
                actor=actor,
                object_type="staffing.roster",
                object_id=roster.pk,
                department=roster.department,
                details={
                    "department": pk,
                    "proposal": answer.status,
                    "unmet": len(roster.unmet),
                    "wishes": answer.wishes,
                    "wishes_honoured": answer.wishes_honoured,
                },
            )
    return Result(
        sorted(rosters.values(), key=lambda r: r.department.name),
        answer,
        time.perf_counter() - started,
        skipped,
    )
