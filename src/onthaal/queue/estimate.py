"""Expected wait for a ticket in the queue. No Django here.

expected wait = (position / open_desks) * median service time, rounded up to the whole minute.
The median of the recent positive service times is used (robust against outliers); without
any, ``default_service_seconds``. Computed with exact fractions so the rounding is stable.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction

MINUTE = timedelta(minutes=1)


def median_service_seconds(
    recent_service_seconds: Sequence[float], default_service_seconds: float = 300.0
) -> float:
    """Median of the positive, finite values; ``default_service_seconds`` when there are none."""
    valid = [s for s in recent_service_seconds if math.isfinite(s) and s > 0]
    if not valid:
        return default_service_seconds
    return float(statistics.median(valid))


def estimate_wait(
    position: int,
    recent_service_seconds: Sequence[float],
    open_desks: int,
    default_service_seconds: float = 300.0,
) -> timedelta | None:
    """Expected wait for the ticket with ``position`` tickets ahead; None when no desk is open."""
    if position < 0:
        raise ValueError("position must be >= 0")
    if not (math.isfinite(default_service_seconds) and default_service_seconds >= 0):
        raise ValueError("default_service_seconds must be finite and >= 0")
    if open_desks <= 0:
        return None
    median = Fraction(median_service_seconds(recent_service_seconds, default_service_seconds))
    minutes = math.ceil(position * median / (open_desks * 60))
    return timedelta(minutes=minutes)


def round_minutes(delta: timedelta) -> int:
    """``delta`` in whole minutes, rounded up; never below 0."""
    return max(0, -(-delta // MINUTE))
