"""The histogram of seconds (``histogram.py``): its percentile lies in the bucket of the exact
nearest-rank percentile (``kpi.percentile``), and a service level at a bucket bound is exact."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from onthaal.reporting import histogram, kpi

seconds = st.integers(0, 6 * 3600)


def test_the_buckets_hold_their_upper_bound_and_not_their_lower() -> None:
    assert [histogram.bucket(s) for s in (0, 60, 61, 120, 1200, 1201, 14400, 14401)] == [
        0,
        0,
        1,
        1,
        19,
        20,
        28,
        29,
    ]
    assert histogram.BUCKETS == 30
    assert histogram.field_names("wait")[:2] == ["wait_h00", "wait_h01"]


@given(values=st.lists(seconds, min_size=1, max_size=300), pct=st.integers(1, 100))
def test_the_percentile_lies_within_the_bucket_of_the_exact_one(values, pct) -> None:
    exact = kpi.percentile(values, pct / 100)
    estimate = histogram.percentile(histogram.counts(values), pct / 100)
    assert exact is not None and estimate is not None
    i = histogram.bucket(exact)
    if i == histogram.BUCKETS - 1:  # above four hours: the open bucket's bound
        assert estimate == histogram.LOWER[i] <= exact
    else:
        assert histogram.bucket(estimate) == i
        assert abs(estimate - exact) < histogram.UPPER[i] - histogram.LOWER[i]


@given(values=st.lists(seconds, max_size=300), target=st.sampled_from(histogram.UPPER))
def test_a_service_level_at_a_bucket_bound_is_exact(values, target) -> None:
    assert histogram.within(histogram.counts(values), target) == sum(
        1 for v in values if v <= target
    )


@given(values=st.lists(seconds, max_size=300), target=st.integers(0, 5 * 3600))
def test_a_service_level_between_bounds_is_off_by_less_than_its_bucket(values, target) -> None:
    counts = histogram.counts(values)
    exact = sum(1 for v in values if v <= target)
    assert abs(histogram.within(counts, target) - exact) <= counts[histogram.bucket(target)]


def test_nothing_counted_has_no_percentile() -> None:
    assert histogram.percentile([0] * histogram.BUCKETS, 0.5) is None


def test_one_value_a_minute_gives_the_minutes_to_the_second() -> None:
    # 1..20 minutes, one each: the median (rank 10) is in bucket 9 (541-600 s).
    values = [60 * m for m in range(1, 21)]
    assert histogram.percentile(histogram.counts(values), 0.5) == 570
    assert kpi.percentile(values, 0.5) == 600
