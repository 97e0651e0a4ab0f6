"""Free appointment slots. Pure Python on dataclasses — no Django.

free time = the opening hours of the appointment channel (location, department)
            ∩ each resource's availability minus its busy periods (appointments, holds, absences,
            each widened by the buffer)

A slot starts on the grid (every ``grid`` minutes from the start of an opening interval, so
on the local wall clock), lasts ``duration`` and is offered when at least one resource is free
for the whole slot plus the buffer after it. Lead time and horizon bound the starts. All
instants are timezone-aware; opening intervals come from ``onthaal.hours.compute``, which is
correct on the DST Sundays, and stepping within an interval is in absolute time.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True, slots=True)
class Resource:
    """A desk (or staff member) that can deliver the products."""

    id: int
    # When the resource works; None = whenever the channel is open.
    available: tuple[Span, ...] | None = None
    # Appointments, live holds and absences.
    busy: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class Rules:
    grid: dt.timedelta = dt.timedelta(minutes=10)
    buffer: dt.timedelta = dt.timedelta(0)
    lead_time: dt.timedelta = dt.timedelta(hours=2)
    horizon: dt.timedelta = dt.timedelta(weeks=8)


@dataclass(frozen=True, slots=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    resource_ids: tuple[int, ...] = field(default=())


class _Index:
    """A resource's busy time (widened by the buffer) and working time as sorted, disjoint
    spans, so that "is it free from a to b?" is two binary searches, not a scan."""

    def __init__(self, resource: Resource, buffer: dt.timedelta) -> None:
        self.id = resource.id
        # The buffer follows each busy period, as it follows the slot (``guard_end``).
        busy = merge((s, e + buffer) for s, e in resource.busy)
        self.busy_starts = [s for s, _ in busy]
        self.busy_ends = [e for _, e in busy]
        available = merge(resource.available) if resource.available is not None else None
        self.available_starts = [s for s, _ in available] if available is not None else None
        self.available_ends = [e for _, e in available] if available is not None else None

    def free(self, start: dt.datetime, end: dt.datetime, guard_end: dt.datetime) -> bool:
        if self.available_starts is not None and self.available_ends is not None:
            i = bisect.bisect_right(self.available_starts, start) - 1
            if i < 0 or self.available_ends[i] < end:
                return False
        # The first busy span that ends after ``start`` is the only one that can overlap.
        j = bisect.bisect_right(self.busy_ends, start)
        return j >= len(self.busy_starts) or self.busy_starts[j] >= guard_end


def free_resources(
    start: dt.datetime,
    end: dt.datetime,
    resources: Sequence[Resource],
    rules: Rules,
) -> tuple[int, ...]:
    """The resources free from ``start`` to ``end`` (+ buffer), in the given order."""
    guard_end = end + rules.buffer
    return tuple(
        index.id
        for index in (_Index(r, rules.buffer) for r in resources)
        if index.free(start, end, guard_end)
    )


def merge(spans: Iterable[Span]) -> list[Span]:
    """The union of ``spans`` as sorted, disjoint spans (touching ones joined)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def slots(
    opening: Sequence[Span],
    resources: Sequence[Resource],
    duration: dt.timedelta,
    now: dt.datetime,
    rules: Rules = Rules(),
) -> list[Slot]:
    """Every bookable slot of ``duration`` in ``opening``, earliest first."""
    if duration <= dt.timedelta(0) or rules.grid <= dt.timedelta(0):
        raise ValueError("duration and grid must be positive")
    earliest = now + rules.lead_time
    latest = now + rules.horizon
    indexes = [_Index(r, rules.buffer) for r in resources]
    out: list[Slot] = []
    for open_start, open_end in merge(opening):
        start = open_start
        while start + duration <= open_end and start <= latest:
            end = start + duration
            if start >= earliest:
                guard_end = end + rules.buffer
                free = tuple(i.id for i in indexes if i.free(start, end, guard_end))
                if free:
                    out.append(Slot(start, end, free))
            start += rules.grid
    return out


def choose_resource(free: Sequence[int], load: dict[int, int]) -> int:
    """The fill policy: the free resource with the fewest appointments that day; ties go to
    the lowest id. Spreads the work over the desks and keeps the choice predictable."""
    if not free:
        raise ValueError("no free resource")
    return min(free, key=lambda r: (load.get(r, 0), r))
