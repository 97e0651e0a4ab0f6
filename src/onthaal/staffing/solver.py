"""The proposed roster: a CP-SAT model (OR-Tools) on plain data. No Django.

Decision per person, day and shift: at a front place for one department, or not (back office
or telework). Per person and day: a telework day or not.

Hard: a person works only the shifts their regime and absences leave (``Person.shifts``); at
the front only for departments they are trained for; at most one department per shift; no
front shift on a telework day; at most ``telework_max`` telework days a week; no telework on
team days; fixed telework days are telework days; never more people at the front of a
department than it has desks.
Soft, in order of weight: cover what is needed (each missing person-shift is an unmet
constraint, reported), honour telework wishes, spread evening and Saturday shifts fairly (the
largest count, history included, as small as possible), and plan no more people at the front
than needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from onthaal.staffing.regime import EVENING

W_GAP = 1000
W_WISH = 20
W_FAIR = 10
W_SURPLUS = 1


@dataclass(frozen=True)
class Person:
    id: int
    departments: frozenset[int]  # front departments they may serve (trained, allowed)
    shifts: frozenset[tuple[dt.date, str]]  # (day, shift) they work by regime, not absent
    telework_max: int = 0
    telework_fixed: frozenset[dt.date] = frozenset()
    telework_wishes: frozenset[dt.date] = frozenset()
    team_days: frozenset[dt.date] = frozenset()
    unsocial_before: int = 0  # evening and Saturday shifts already worked this quarter


@dataclass(frozen=True)
class Need:
    day: dt.date
    shift: str
    department: int
    needed: int
    desks: int  # at most this many at the front


@dataclass
class Proposal:
    front: dict[tuple[int, dt.date, str], int] = field(default_factory=dict)  # -> department
    telework: set[tuple[int, dt.date]] = field(default_factory=set)
    unmet: list[tuple[dt.date, str, int, int]] = field(default_factory=list)  # missing count
    wishes: int = 0
    wishes_honoured: int = 0
    status: str = ""
    seconds: float = 0.0


def _unsocial(day: dt.date, shift: str) -> bool:
    return shift == EVENING or day.weekday() == 5


def propose(
    people: Sequence[Person], needs: Sequence[Need], *, time_limit: float = 8.0, workers: int = 2
) -> Proposal:
    model = cp_model.CpModel()
    x: dict[tuple[int, dt.date, str, int], cp_model.IntVar] = {}
    by_need: dict[tuple[dt.date, str, int], list[cp_model.IntVar]] = {}
    for person in people:
        for need in needs:
            key = (need.day, need.shift)
            if key in person.shifts and need.department in person.departments:
                var = model.new_bool_var(f"x{person.id}_{need.day}_{need.shift}_{need.department}")
                x[(person.id, need.day, need.shift, need.department)] = var
                by_need.setdefault((need.day, need.shift, need.department), []).append(var)
    days = sorted({n.day for n in needs} | {d for p in people for d, _s in p.shifts})
    tw: dict[tuple[int, dt.date], cp_model.IntVar] = {}
    objective: list[cp_model.LinearExprT] = []
    wish_vars: list[cp_model.IntVar] = []
    unsocial_counts: list[cp_model.LinearExprT] = []
    horizon_unsocial = model.new_int_var(0, 10_000, "max_unsocial")
    for person in people:
        mine = [(k, v) for k, v in x.items() if k[0] == person.id]
        for day in days:
            for shift_key in {(k[1], k[2]) for k, _v in mine if k[1] == day}:
                model.add_at_most_one(v for k, v in mine if (k[1], k[2]) == shift_key)
            works_today = any(d == day for d, _s in person.shifts)
            # Nothing to choose on a day off, a team day or without telework allowance (a fixed
            # telework day without allowance included).
            if not works_today or person.telework_max == 0 or day in person.team_days:
                continue
            t = model.new_bool_var(f"t{person.id}_{day}")
            tw[(person.id, day)] = t
            for k, v in mine:
                if k[1] == day:
                    model.add_implication(t, v.Not())
            if day in person.telework_fixed:
                model.add(t == 1)
            elif day in person.telework_wishes:
                wish_vars.append(t)
        mine_tw = [v for k, v in tw.items() if k[0] == person.id]
        if mine_tw:
            model.add(sum(mine_tw) <= person.telework_max)
        unsocial = [v for k, v in mine if _unsocial(k[1], k[2])]
        if unsocial:
            count = sum(unsocial) + person.unsocial_before
            unsocial_counts.append(count)
            model.add(horizon_unsocial >= count)
    slacks: list[tuple[Need, cp_model.IntVar]] = []
    for need in needs:
        vars_ = by_need.get((need.day, need.shift, need.department), [])
        if vars_:
            model.add(sum(vars_) <= need.desks)
        target = min(need.needed, need.desks)
        if target <= 0:
            continue
        slack = model.new_int_var(0, target, f"gap_{need.day}_{need.shift}_{need.department}")
        model.add(sum(vars_) + slack >= target)
        slacks.append((need, slack))
        objective.append(W_GAP * slack)
    objective.append(-W_WISH * sum(wish_vars) if wish_vars else 0)
    if unsocial_counts:
        objective.append(W_FAIR * horizon_unsocial)
    objective.append(W_SURPLUS * sum(x.values()) if x else 0)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 7
    status = solver.solve(model)
    proposal = Proposal(status=solver.status_name(status), seconds=solver.wall_time)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        proposal.unmet = [
            (n.day, n.shift, n.department, min(n.needed, n.desks)) for n in needs if n.needed
        ]
        return proposal
    for (pid, day, shift, dep), var in x.items():
        if solver.value(var):
            proposal.front[(pid, day, shift)] = dep
    proposal.telework = {k for k, v in tw.items() if solver.value(v)}
    for need, slack in slacks:
        missing = solver.value(slack)
        if missing:
            proposal.unmet.append((need.day, need.shift, need.department, missing))
    # Wishes on days the person works and may telework: honoured when teleworking then.
    wished = [
        (p.id, d)
        for p in people
        for d in p.telework_wishes
        if (p.id, d) in tw and d not in p.telework_fixed
    ]
    proposal.wishes = len(wished)
    proposal.wishes_honoured = sum(1 for k in wished if k in proposal.telework)
    return proposal


def assign_desks(
    front: dict[tuple[int, dt.date, str], int],
    desks: dict[int, list[int]],
    allowed: dict[int, frozenset[int]],
) -> tuple[dict[tuple[int, dt.date, str], int], list[tuple[int, dt.date, str]]]:
    """A desk for each front shift: distinct desks of the department per day and shift,
    people with the fewest allowed desks first (empty ``allowed``: any). Returns the desks
    and the front shifts left without one."""
    out: dict[tuple[int, dt.date, str], int] = {}
    missing: list[tuple[int, dt.date, str]] = []
    groups: dict[tuple[dt.date, str, int], list[int]] = {}
    for (pid, day, shift), dep in front.items():
        groups.setdefault((day, shift, dep), []).append(pid)
    for (day, shift, dep), pids in sorted(groups.items()):
        taken: set[int] = set()

        def options(pid: int, dep: int = dep) -> list[int]:
            mine = allowed.get(pid) or frozenset()
            return [d for d in desks.get(dep, []) if not mine or d in mine]

        for pid in sorted(pids, key=lambda p: (len(options(p)), p)):
            free = [d for d in options(pid) if d not in taken]
            if not free:
                missing.append((pid, day, shift))
                continue
            taken.add(free[0])
            out[(pid, day, shift)] = free[0]
    return out, missing
