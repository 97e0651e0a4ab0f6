"""Percentiles (nearest rank), service level and calendar helpers."""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import given
from hypothesis import strategies as st

from onthaal.reporting import kpi


def test_nearest_rank_percentiles_of_a_small_list() -> None:
    values = [15, 20, 35, 40, 50]

    assert kpi.percentile(values, 0.05) == 15
    assert kpi.percentile(values, 0.3) == 20
    assert kpi.percentile(values, 0.4) == 20
    assert kpi.percentile(values, 0.5) == 35
    assert kpi.percentile(values, 1.0) == 50
    assert kpi.percentile([], 0.5) is None
    # 0.9 * 10 is 9.000000000000002 in floating point: still rank 9.
    assert kpi.percentile(range(1, 11), 0.9) == 9


@given(st.lists(st.integers(0, 10_000), min_size=1), st.integers(1, 100))
def test_the_percentile_has_at_least_p_of_the_values_at_or_below_it(
    values: list[int], pct: int
) -> None:
    p = pct / 100
    result = kpi.percentile(values, p)

    assert result in values
    at_or_below = sum(1 for v in values if v <= result)
    below = sum(1 for v in values if v < result)
    assert at_or_below >= math.ceil(p * len(values) - 1e-9)
    assert below < math.ceil(p * len(values) - 1e-9) or below == 0


def test_service_level_is_the_share_called_within_the_target() -> None:
    assert kpi.service_level([60, 300, 900, 901], 900) == 0.75
    assert kpi.service_level([], 900) is None


def test_calendar_helpers() -> None:
    assert kpi.same_period_last_year(dt.date(2028, 2, 1), dt.date(2028, 2, 29)) == (
        dt.date(2027, 2, 1),
        dt.date(2027, 2, 28),
    )
    # 1 to 14 March 2027 starts on a Monday: two of each weekday.
    assert kpi.weekday_count(dt.date(2027, 3, 1), dt.date(2027, 3, 14)) == [2] * 7
    assert kpi.weekday_count(dt.date(2027, 3, 1), dt.date(2027, 3, 3)) == [1, 1, 1, 0, 0, 0, 0]
    assert kpi.week_start(dt.date(2027, 3, 4)) == dt.date(2027, 3, 1)
