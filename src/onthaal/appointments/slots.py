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

    def windows(self, open_start: dt.datetime, open_end: dt.datetime) -> list[Span]:
        """The parts of an opening interval in which the resource works."""
        if self.available_starts is None or self.available_ends is None:
            return [(open_start, open_end)]
        out = []
        i = bisect.bisect_right(self.available_ends, open_start)
        while i < len(self.available_starts) and self.available_starts[i] < open_end:
            out.append(
                (max(open_start, self.available_starts[i]), min(open_end, self.available_ends[i]))
            )
            i += 1
        return out

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
    """Every bookable slot of ``duration`` in ``opening``, earliest first.

    Per resource, a sweep over its free gaps: within each opening interval (∩ the resource's
    working time), between two busy periods, the grid starts that fit are counted out by
    arithmetic instead of asking "is it free?" at every grid point. The same answer as
    ``free_resources`` at every grid start (a Hypothesis test holds the two together), in time
    proportional to the busy periods and the slots found.
    """
    if duration <= dt.timedelta(0) or rules.grid <= dt.timedelta(0):
        raise ValueError("duration and grid must be positive")
    earliest = now + rules.lead_time
    latest = now + rules.horizon
    grid, buffer = rules.grid, rules.buffer
    opening_spans = merge(opening)
    found: dict[dt.datetime, list[int]] = {}
    for resource in resources:
        index = _Index(resource, buffer)
        busy_starts, busy_ends = index.busy_starts, index.busy_ends
        for open_start, open_end in opening_spans:
            for window_start, window_end in index.windows(open_start, open_end):
                last_start = min(window_end - duration, latest)
                # The first busy period that ends after the window starts.
                j = bisect.bisect_right(busy_ends, window_start)
                low = max(window_start, earliest)
                while low <= last_start:
                    if j < len(busy_starts) and busy_starts[j] < window_end + buffer:
                        high = min(last_start, busy_starts[j] - duration - buffer)
                        next_low = max(low, busy_ends[j])
                        j += 1
                    else:
                        high, next_low = last_start, last_start + grid
                    if high >= low:
                        # The first grid point (counted from the opening) at or after ``low``.
                        start = open_start + -((open_start - low) // grid) * grid
                        while start <= high:
                            found.setdefault(start, []).append(resource.id)
                            start += grid
                    low = next_low
    return [Slot(start, start + duration, tuple(ids)) for start, ids in sorted(found.items())]


def choose_resource(free: Sequence[int], load: dict[int, int]) -> int:
    """The fill policy: the free resource with the fewest appointments that day; ties go to
    the lowest id. Spreads the work over the desks and keeps the choice predictable."""
    if not free:
        raise ValueError("no free resource")
    return min(free, key=lambda r: (load.get(r, 0), r))
