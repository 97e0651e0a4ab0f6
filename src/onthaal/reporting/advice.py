"""Advice on opening hours and staffing, on plain data. No Django here.

For each location x department x weekday x hour: the measured arrivals per hour, the mean
service time, the desks Erlang C needs for the service level, the desks planned and whether the
channel is open. ``advise`` turns the cells into suggestions of a few kinds; the Django side
(``advisor``) words them in the user's language.
"""

from __future__ import annotations

from dataclasses import dataclass

from onthaal.reporting import erlang

QUIET_PER_HOUR = 2.0  # fewer arrivals than this in an open hour: a candidate to close
QUICK_MAX_MINUTES = 5.0  # products served this fast ...
QUICK_MIN_SHARE = 0.15  # ... and this common are candidates for the quick counter


@dataclass(frozen=True)
class Cell:
    weekday: int
    hour: int
    arrivals_per_hour: float
    service_minutes: float | None
    planned_desks: int
    open: bool


@dataclass(frozen=True)
class Need:
    cell: Cell
    desks_needed: int
    service_level: float
    average_wait_seconds: float


@dataclass(frozen=True)
class Suggestion:
    """``kind``: "quiet" (close or by appointment only), "short" (more desks needed than
    planned), "spare" (fewer needed than planned), "closed_demand" (arrivals while the channel
    is closed), "quick" (a product for the quick counter). Hours run from ``start_hour`` to
    ``end_hour`` (excluded)."""

    kind: str
    weekday: int = 0
    start_hour: int = 0
    end_hour: int = 0
    arrivals_per_hour: float = 0.0
    desks_needed: int = 0
    planned_desks: int = 0
    product_id: int = 0
    share: float = 0.0
    service_minutes: float = 0.0


def needs(cells: list[Cell], target: erlang.Target) -> list[Need]:
    out = []
    for cell in cells:
        if cell.arrivals_per_hour <= 0 or not cell.service_minutes:
            out.append(Need(cell, 0, 1.0, 0.0))
            continue
        result = erlang.desks_needed(
            erlang.Demand(cell.arrivals_per_hour, cell.service_minutes), target
        )
        out.append(Need(cell, result.desks, result.service_level, result.average_wait_seconds))
    return out


def _runs(needs_: list[Need], kind_of: dict[tuple[int, int], str]) -> list[list[Need]]:
    """Consecutive hours of one weekday with the same kind, as runs."""
    runs: list[list[Need]] = []
    for need in sorted(needs_, key=lambda n: (n.cell.weekday, n.cell.hour)):
        kind = kind_of.get((need.cell.weekday, need.cell.hour))
        if kind is None:
            continue
        last = runs[-1] if runs else None
        if (
            last is not None
            and last[-1].cell.weekday == need.cell.weekday
            and last[-1].cell.hour + 1 == need.cell.hour
            and kind_of[(last[-1].cell.weekday, last[-1].cell.hour)] == kind
        ):
            last.append(need)
        else:
            runs.append([need])
    return runs


def advise(
    needs_: list[Need], product_mix: list[tuple[int, float, float]] | None = None
) -> list[Suggestion]:
    """Suggestions from the needs per hour, and from ``product_mix`` — (product id, share of
    visits, mean service minutes) — quick-counter candidates. Ordered: shortages first."""
    kind_of: dict[tuple[int, int], str] = {}
    for need in needs_:
        cell = need.cell
        key = (cell.weekday, cell.hour)
        if not cell.open and cell.arrivals_per_hour >= QUIET_PER_HOUR:
            kind_of[key] = "closed_demand"
        elif cell.open and cell.arrivals_per_hour < QUIET_PER_HOUR:
            kind_of[key] = "quiet"
        elif cell.open and need.desks_needed > cell.planned_desks:
            kind_of[key] = "short"
        elif cell.open and cell.planned_desks and need.desks_needed < cell.planned_desks - 1:
            kind_of[key] = "spare"
    out = []
    for run in _runs(needs_, kind_of):
        first = run[0]
        out.append(
            Suggestion(
                kind=kind_of[(first.cell.weekday, first.cell.hour)],
                weekday=first.cell.weekday,
                start_hour=first.cell.hour,
                end_hour=run[-1].cell.hour + 1,
                arrivals_per_hour=sum(n.cell.arrivals_per_hour for n in run) / len(run),
                desks_needed=max(n.desks_needed for n in run),
                planned_desks=min(n.cell.planned_desks for n in run),
            )
        )
    for product_id, share, minutes in product_mix or []:
        if product_id and share >= QUICK_MIN_SHARE and 0 < minutes <= QUICK_MAX_MINUTES:
            out.append(
                Suggestion(
                    kind="quick", product_id=product_id, share=share, service_minutes=minutes
                )
            )
    order = {"short": 0, "closed_demand": 1, "quick": 2, "quiet": 3, "spare": 4}
    return sorted(out, key=lambda s: (order[s.kind], s.weekday, s.start_hour))
