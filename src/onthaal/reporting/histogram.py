"""Fixed histograms of seconds (waiting, service): the buckets the rollups count, and the
percentiles and service levels read from them. Pure Python, no Django.

A rollup row counts, per measure, how many of its visits fall in each bucket. Bucket ``i``
holds the values ``x`` with ``UPPER[i - 1] < x <= UPPER[i]`` (the first from 0, the last open:
everything above four hours). The widths follow what a manager reads: whole minutes up to
20 minutes, then 5, 10, 30 and 60 minutes.

Error bound. The nearest-rank p-th percentile is the value at rank ``r = ceil(p * n)``; the
cumulative counts tell exactly which bucket holds that value, and the estimate is interpolated
inside that bucket (the ``r``-th of its ``c`` values taken at ``lower + width * (r - before -
0.5) / c``). So the estimate lies in the same bucket as the exact percentile: it is off by less
than that bucket's width — under 60 s for anything up to 20 minutes, under 5 minutes up to half
an hour, 10 up to an hour, 30 up to two hours, 60 up to four. Above four hours the estimate is
four hours (the open bucket's lower bound; the exact value is higher).
A service level ("called within T") is exact when T is a bucket bound (any whole minute up to
20 minutes, 25, 30, 40, 50, 60 minutes...; the default target is 15 minutes); otherwise the
bucket holding T is split in proportion, off by at most that bucket's count.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from onthaal.reporting import kpi

UPPER: tuple[int, ...] = (
    *range(60, 1201, 60),  # whole minutes up to 20 minutes
    1500,
    1800,
    2400,
    3000,
    3600,
    5400,
    7200,
    10800,
    14400,
)
BUCKETS = len(UPPER) + 1  # the last: above four hours
LOWER: tuple[int, ...] = (0, *UPPER)

MEASURES = ("wait", "service")


def field_names(measure: str) -> list[str]:
    """The rollup's columns of ``measure``'s histogram: ``wait_h00`` ... ``wait_h29``."""
    return [f"{measure}_h{i:02d}" for i in range(BUCKETS)]


ALL_FIELDS: tuple[str, ...] = tuple(name for m in MEASURES for name in field_names(m))


def bucket(seconds: int) -> int:
    """The bucket that counts ``seconds`` (0 and 60 in bucket 0, 61 in bucket 1)."""
    if seconds < 0:
        raise ValueError("seconds are never negative")
    return bisect.bisect_left(UPPER, seconds)


def counts(values: Sequence[int]) -> list[int]:
    out = [0] * BUCKETS
    for v in values:
        out[bucket(v)] += 1
    return out


def percentile(histogram: Sequence[int], p: float) -> int | None:
    """The p-th percentile (0 < p <= 1) of the counted values, interpolated in its bucket (see
    the module's error bound); None when nothing was counted."""
    n = sum(histogram)
    if n == 0:
        return None
    r = kpi.rank(p, n)
    before = 0
    for i, c in enumerate(histogram):
        if before + c >= r:
            if i == BUCKETS - 1:
                return LOWER[i]
            width = UPPER[i] - LOWER[i]
            value = LOWER[i] + width * (r - before - 0.5) / c
            # Inside the bucket (lower, upper]; the first bucket starts at 0 itself.
            low = LOWER[i] + (1 if i else 0)
            return min(UPPER[i], max(low, math.floor(value + 0.5)))
        before += c
    raise AssertionError("the rank lies within the counts")  # pragma: no cover


def within(histogram: Sequence[int], seconds: int) -> float:
    """How many counted values are at most ``seconds``: exact at a bucket bound, else the
    bucket holding ``seconds`` split in proportion."""
    i = bucket(seconds)
    full = sum(histogram[:i])
    if i == BUCKETS - 1:
        return float(full)  # above four hours: only what is surely within
    if seconds == UPPER[i]:
        return float(full + histogram[i])
    width = UPPER[i] - LOWER[i]
    return full + histogram[i] * (seconds - LOWER[i]) / width


def add(into: list[int], other: Sequence[int]) -> list[int]:
    for i, c in enumerate(other):
        into[i] += c
    return into
