"""Wait estimate: examples and Hypothesis properties."""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onthaal.queue.estimate import estimate_wait, median_service_seconds, round_minutes

service_times = st.lists(
    st.floats(min_value=-100, max_value=3600, allow_nan=False, allow_infinity=False),
    max_size=30,
)
positions = st.integers(min_value=0, max_value=500)
desk_counts = st.integers(min_value=1, max_value=20)


def minutes_of(position: int, recent: list[float], open_desks: int) -> int:
    estimate = estimate_wait(position, recent, open_desks)
    assert estimate is not None
    return round_minutes(estimate)


# --- examples ---------------------------------------------------------------------------


def test_next_in_line_waits_zero() -> None:
    assert estimate_wait(0, [600.0, 900.0], 2) == timedelta(0)


def test_uses_median_and_divides_by_desks() -> None:
    # median 300 s; 4 ahead over 2 desks -> 2 * 5 min
    assert estimate_wait(4, [200.0, 300.0, 400.0], 2) == timedelta(minutes=10)


def test_rounds_up_to_whole_minute() -> None:
    # 1 ahead, 1 desk, median 61 s -> 2 minutes
    assert estimate_wait(1, [61.0], 1) == timedelta(minutes=2)
    # 1 ahead over 3 desks at 300 s -> 100 s -> 2 minutes
    assert estimate_wait(1, [300.0], 3) == timedelta(minutes=2)


def test_no_rounding_artefacts_on_exact_minutes() -> None:
    assert estimate_wait(3, [300.0], 3) == timedelta(minutes=5)
    # naive floats give (11 / 5) * 900 / 60 == 33.00000000000001, which would round up to 34
    assert estimate_wait(11, [900.0], 5) == timedelta(minutes=33)


def test_ignores_non_positive_values_and_falls_back_to_default() -> None:
    assert estimate_wait(2, [0.0, -5.0], 1) == timedelta(minutes=10)  # default 300 s
    assert estimate_wait(2, [], 1, default_service_seconds=120.0) == timedelta(minutes=4)
    assert estimate_wait(2, [-1.0, 90.0, 0.0], 1) == timedelta(minutes=3)
    assert median_service_seconds([float("nan"), float("inf")], 42.0) == 42.0


def test_even_count_median_is_mean_of_middle_values() -> None:
    assert estimate_wait(1, [60.0, 180.0], 1) == timedelta(minutes=2)


def test_outlier_does_not_dominate() -> None:
    recent = [300.0] * 9 + [36000.0]  # one ten-hour outlier
    assert estimate_wait(10, recent, 1) == timedelta(minutes=50)
    assert statistics.mean(recent) * 10 / 60 > 600  # the mean would say 10+ hours


def test_no_open_desks_gives_none() -> None:
    assert estimate_wait(3, [300.0], 0) is None
    assert estimate_wait(0, [300.0], -1) is None


def test_negative_position_is_rejected() -> None:
    with pytest.raises(ValueError, match="position"):
        estimate_wait(-1, [300.0], 1)


def test_round_minutes() -> None:
    assert round_minutes(timedelta(0)) == 0
    assert round_minutes(timedelta(seconds=1)) == 1
    assert round_minutes(timedelta(minutes=2)) == 2
    assert round_minutes(timedelta(minutes=2, microseconds=1)) == 3
    assert round_minutes(timedelta(seconds=-90)) == 0


# --- properties -------------------------------------------------------------------------


@given(positions, positions, service_times, desk_counts)
def test_monotone_in_position(a: int, b: int, recent: list[float], desks: int) -> None:
    low, high = sorted((a, b))
    assert minutes_of(low, recent, desks) <= minutes_of(high, recent, desks)


@given(positions, service_times, desk_counts, desk_counts)
def test_non_increasing_in_open_desks(position: int, recent: list[float], a: int, b: int) -> None:
    few, many = sorted((a, b))
    assert minutes_of(position, recent, many) <= minutes_of(position, recent, few)


@given(positions, service_times, desk_counts)
def test_never_negative_and_whole_minutes(position: int, recent: list[float], desks: int) -> None:
    estimate = estimate_wait(position, recent, desks)
    assert estimate is not None
    assert estimate >= timedelta(0)
    assert estimate % timedelta(minutes=1) == timedelta(0)
    assert round_minutes(estimate) * 60 == estimate.total_seconds()


@given(positions, service_times, st.integers(min_value=-5, max_value=0))
def test_none_without_open_desks(position: int, recent: list[float], desks: int) -> None:
    assert estimate_wait(position, recent, desks) is None


@given(positions, desk_counts, st.floats(min_value=1, max_value=3600))
def test_matches_formula_for_constant_service(position: int, desks: int, service: float) -> None:
    minutes = minutes_of(position, [service] * 5, desks)
    exact = position * service / desks / 60
    assert exact - 1e-6 <= minutes < exact + 1 + 1e-6


@settings(max_examples=200)
@given(
    positions,
    desk_counts,
    st.lists(st.floats(min_value=30, max_value=1800), min_size=5, max_size=60),
    st.floats(min_value=1e5, max_value=1e7),
)
def test_outlier_changes_estimate_little(
    position: int, desks: int, recent: list[float], outlier: float
) -> None:
    """One huge value moves the median by at most one rank: to the next larger sample."""
    ordered = sorted(recent)
    next_up = ordered[min(len(ordered) // 2 + 1, len(ordered) - 1)]
    before = minutes_of(position, recent, desks)
    after = minutes_of(position, [*recent, outlier], desks)
    assert before <= after <= minutes_of(position, [next_up], desks)
    assert after <= position * 1800 / desks / 60 + 1  # bounded by the largest normal value


@given(st.timedeltas(min_value=timedelta(days=-10), max_value=timedelta(days=10)))
def test_round_minutes_is_ceiling_clamped_at_zero(delta: timedelta) -> None:
    result = round_minutes(delta)
    assert result >= 0
    if delta > timedelta(0):
        assert timedelta(minutes=result - 1) < delta <= timedelta(minutes=result)
    else:
        assert result == 0
