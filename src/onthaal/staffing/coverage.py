"""Coverage of the front desks, on plain data. No Django.

Per day, hour and department: the staff needed, the staff planned, and the difference (a gap
when fewer are planned than needed, a surplus when more). "Planned" counts a person in an
hour when, at the middle of the hour, they are assigned to a front place (desk, quick counter,
reception) for the department and not absent then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Key = tuple[dt.date, int, int]  # day, hour, department id
Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True, slots=True)
class Shift:
    """A person at a front place for a department from ``start`` to ``end`` (instants)."""

    person: int
    department: int
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True, slots=True)
class Cell:
    day: dt.date
    hour: int
    department: int
    needed: int
    planned: int

    @property
    def gap(self) -> int:
        """Positive: people missing; negative: a surplus."""
        return self.needed - self.planned

    @property
    def state(self) -> str:
        if self.gap > 0:
            return "gap"
        if self.gap < 0:
            return "surplus"
        return "ok" if self.needed else "closed"


def _absent(spans: Iterable[Span], at: dt.datetime) -> bool:
    return any(start <= at < end for start, end in spans)


def planned(
    shifts: Iterable[Shift],
    absences: Mapping[int, Iterable[Span]],
    hours: Iterable[tuple[dt.date, int, dt.datetime]],
) -> dict[Key, int]:
    """How many are planned per (day, hour, department); ``hours`` gives each hour's middle
    instant. A person counts once per hour and department."""
    shifts = list(shifts)
    out: dict[Key, int] = {}
    for day, hour, middle in hours:
        seen: set[tuple[int, int]] = set()
        for shift in shifts:
            if not shift.start <= middle < shift.end:
                continue
            if (shift.person, shift.department) in seen:
                continue
            if _absent(absences.get(shift.person, ()), middle):
                continue
            seen.add((shift.person, shift.department))
            key = (day, hour, shift.department)
            out[key] = out.get(key, 0) + 1
    return out


def lost(
    shifts: Iterable[Shift],
    absences: Mapping[int, Iterable[Span]],
    hours: Iterable[tuple[dt.date, int, dt.datetime]],
    person: int,
    away: Iterable[Span],
) -> dict[Key, int]:
    """What ``person`` being away in ``away`` takes from ``planned(shifts, absences, hours)``:
    per (day, hour, department), 1 where they count now and would not any more. Applied as a
    delta to a coverage computed once, instead of computing it again with the absence."""
    away = list(away)
    mine = [s for s in shifts if s.person == person]
    known = list(absences.get(person, ()))
    out: dict[Key, int] = {}
    if not mine or not away:
        return out
    for day, hour, middle in hours:
        if not _absent(away, middle) or _absent(known, middle):
            continue
        for shift in mine:
            if shift.start <= middle < shift.end:
                out[(day, hour, shift.department)] = 1
    return out


def opened(
    needed: Mapping[Key, int], planned_: Mapping[Key, int], lost_: Mapping[Key, int]
) -> list[Cell]:
    """The cells in which taking ``lost_`` from ``planned_`` leaves a gap that grew: what the
    change would open. The same answer as ``new_gaps`` on the coverage computed twice."""
    out = []
    for key in sorted(k for k, n in lost_.items() if n):
        day, hour, department = key
        cell = Cell(day, hour, department, needed.get(key, 0), planned_.get(key, 0) - lost_[key])
        if cell.gap > 0:
            out.append(cell)
    return out


def cells(needed: Mapping[Key, int], planned_: Mapping[Key, int]) -> list[Cell]:
    """Every (day, hour, department) that needs or has someone, in order."""
    keys = sorted(set(needed) | {k for k, v in planned_.items() if v})
    return [
        Cell(d, h, dep, needed.get((d, h, dep), 0), planned_.get((d, h, dep), 0))
        for d, h, dep in keys
    ]


def gaps(cells_: Iterable[Cell]) -> list[Cell]:
    return [c for c in cells_ if c.gap > 0]


def new_gaps(before: Iterable[Cell], after: Iterable[Cell]) -> list[Cell]:
    """The cells whose gap grew from ``before`` to ``after``: what a change would open."""
    old = {(c.day, c.hour, c.department): c.gap for c in before}
    return [c for c in after if c.gap > 0 and c.gap > old.get((c.day, c.hour, c.department), 0)]
