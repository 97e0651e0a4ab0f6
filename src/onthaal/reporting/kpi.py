"""KPI maths on plain numbers: percentiles, service level, local time buckets. No Django here.

Percentiles are *nearest-rank* (PostgreSQL's ``percentile_disc``): the p-th percentile of n
values is the value at rank ceil(p * n) in ascending order (rank 1 for p = 0). The hand-written
SQL in ``reporting.statements`` computes exactly this, on PostgreSQL and on SQLite; a test holds
the two equal.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def rank(p: float, n: int) -> int:
    """The 1-based rank of the p-th percentile among n values (nearest rank)."""
    if not 0 <= p <= 1:
        raise ValueError("p must lie between 0 and 1")
    if n <= 0:
        raise ValueError("no values")
    # Round away the float noise of p * n (0.9 * 10 is 9.000000000000002) before ceil.
    return max(1, math.ceil(round(p * n, 9)))


def percentile(values: Iterable[int], p: float) -> int | None:
    """The nearest-rank p-th percentile of ``values``; None when there are none."""
    ordered: Sequence[int] = sorted(values)
    if not ordered:
        return None
    return ordered[rank(p, len(ordered)) - 1]


def service_level(waits: Iterable[int], target_seconds: int) -> float | None:
    """The share of visitors called within ``target_seconds``; None without visitors."""
    values = list(waits)
    if not values:
        return None
    return sum(1 for w in values if w <= target_seconds) / len(values)


def share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def local_slot(instant: dt.datetime, tz: ZoneInfo = BRUSSELS) -> tuple[dt.date, int, int]:
    """(local date, weekday 0 = Monday, local hour) of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    local = instant.astimezone(tz)
    return local.date(), local.weekday(), local.hour


def hours_in_day(day: dt.date, tz: ZoneInfo = BRUSSELS) -> int:
    """How many hours the local day has: 23 on the spring-forward Sunday, 25 on the fall-back
    Sunday, else 24."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    return round((end - start).total_seconds() / 3600)


def same_period_last_year(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same calendar period one year earlier (29 February becomes 28 February)."""

    def back(day: dt.date) -> dt.date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:
            return day.replace(year=day.year - 1, day=28)

    return back(start), back(end)


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def weekday_count(start: dt.date, end: dt.date) -> list[int]:
    """How many Mondays, Tuesdays, ... lie from ``start`` to ``end`` (both included)."""
    counts = [0] * 7
    days = (end - start).days + 1
    if days <= 0:
        return counts
    full, rest = divmod(days, 7)
    counts = [full] * 7
    for offset in range(rest):
        counts[(start.weekday() + offset) % 7] += 1
    return counts
