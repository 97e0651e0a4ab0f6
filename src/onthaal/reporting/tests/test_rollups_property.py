"""Property: however visits arrive (in whatever batches), every row of both rollups (hourly,
daily) equals a count over the facts of its key — sums and histogram buckets —, no fact is
missing from the rollups, and a histogram's percentile is within one bucket of the exact
percentile over the facts it counts."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onthaal.organisation.models import Department, Location, Organisation
from onthaal.reporting import facts, histogram, kpi, services
from onthaal.reporting.models import COUNTED, DailyRollup, HourlyRollup, Visit, VisitProduct

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(db: None) -> tuple[list[int], list[int]]:
    org = Organisation.objects.create(name="Testgemeente", kind="municipality")
    locations = [Location.objects.create(name=f"L{i}", slug=f"l{i}").pk for i in range(2)]
    departments = [
        Department.objects.create(organisation=org, name=f"D{i}", slug=f"d{i}").pk for i in range(2)
    ]
    return locations, departments


def fact_strategy(locations: list[int], departments: list[int]) -> st.SearchStrategy[Any]:
    day = st.dates(dt.date(2027, 3, 27), dt.date(2027, 3, 29))  # around a DST Sunday
    outcome = st.sampled_from([facts.SERVED, facts.NO_SHOW, facts.CANCELLED, facts.TRANSFERRED])
    return st.builds(
        lambda origin_id, d, hour, loc, dep, channel, out, wait, service, persons, products, queue, booked: (
            facts.VisitFact(
                origin=facts.TICKET,
                origin_id=origin_id,
                location_id=loc,
                department_id=dep,
                queue_id=queue,
                channel=channel,
                source="kiosk",
                service_day=d,
                weekday=d.weekday(),
                hour=hour,
                outcome=out,
                wait_seconds=wait,
                service_seconds=service if out == facts.SERVED else None,
                persons=persons,
                products=tuple(sorted(products.items())),
                booked_minutes=booked,
            )
        ),
        st.integers(1, 10**9),
        day,
        st.integers(7, 9),
        st.sampled_from(locations),
        st.sampled_from(departments),
        st.sampled_from(
            [
                facts.WALK_IN,
                facts.APPOINTMENT,
                facts.QUICK_COUNTER,
                facts.ELOKET,
                facts.PHONE,
                facts.EMAIL,
            ]
        ),
        outcome,
        st.none() | st.integers(0, 3600) | st.integers(0, 20_000),
        st.integers(1, 1800) | st.integers(0, 20_000),
        st.integers(1, 4),
        st.dictionaries(st.integers(1, 3), st.integers(1, 3), max_size=2),
        st.none() | st.integers(1, 3),
        st.none() | st.integers(5, 60),
    )


MODELS = (HourlyRollup, DailyRollup)


def _bucket(seconds: int) -> int:
    """The bucket by a plain walk over the bounds (not ``histogram.bucket``'s bisection)."""
    for i, upper in enumerate(histogram.UPPER):
        if seconds <= upper:
            return i
    return histogram.BUCKETS - 1


def _counted_from_facts(model: type[Any]) -> dict[tuple[Any, ...], dict[str, int]]:
    """Every counted measure of ``model``'s rows, counted in Python over the stored facts."""
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for v in Visit.objects.all():
        values = {
            "service_day": v.service_day,
            "hour": v.hour,
            "location_id": v.location_id,
            "department_id": v.department_id,
            "queue_id": v.queue_id or 0,
            "product_id": v.product_id,
            "channel": v.channel,
        }
        row = out.setdefault(tuple(values[k] for k in model.KEY), dict.fromkeys(COUNTED, 0))
        row["visits"] += 1
        row["served"] += v.outcome == facts.SERVED
        row["no_shows"] += v.outcome == facts.NO_SHOW
        row["cancelled"] += v.outcome == facts.CANCELLED
        row["transferred"] += v.outcome == facts.TRANSFERRED
        row["persons"] += v.persons
        row["items"] += v.items
        if v.outcome != facts.CANCELLED:
            row["booked_minutes"] += v.booked_minutes or 0
        for measure, seconds in (("wait", v.wait_seconds), ("service", v.service_seconds)):
            if seconds is not None:
                row[f"{measure}_count"] += 1
                row[f"{measure}_sum"] += seconds
                row[f"{measure}_h{_bucket(seconds):02d}"] += 1
    return out


def _rollups(model: type[Any]) -> dict[tuple[Any, ...], dict[str, int]]:
    return {
        tuple(r[k] for k in model.KEY): {m: r[m] for m in COUNTED}
        for r in model.objects.values(*model.KEY, *COUNTED)
    }


def _assert_within_a_bucket(estimate: int | None, exact: int | None) -> None:
    """The histogram's percentile lies in the bucket of the exact one (or, above the last
    bound, is that bound)."""
    assert (estimate is None) == (exact is None)
    if exact is None or estimate is None:
        return
    i = _bucket(exact)
    if i == histogram.BUCKETS - 1:
        assert estimate == histogram.LOWER[i] <= exact
    else:
        assert histogram.LOWER[i] <= estimate <= histogram.UPPER[i]
        assert abs(estimate - exact) < histogram.UPPER[i] - histogram.LOWER[i]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_rollups_always_equal_a_count_over_the_facts(places, data) -> None:
    locations, departments = places
    VisitProduct.objects.all().delete()
    Visit.objects.all().delete()
    HourlyRollup.objects.all().delete()
    DailyRollup.objects.all().delete()
    visits = data.draw(
        st.lists(
            fact_strategy(locations, departments),
            max_size=40,
            unique_by=lambda f: f.origin_id,
        )
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(visits)), max_size=4)))
    bounds = [0, *cuts, len(visits)]

    for start, end in itertools.pairwise(bounds):
        with transaction.atomic():
            services.record_facts(visits[start:end])

    for model in MODELS:
        assert _rollups(model) == _counted_from_facts(model), model.__name__
        assert sum(r["visits"] for r in _rollups(model).values()) == len(visits)
    assert Visit.objects.count() == len(visits)

    # The percentiles the figures read from the histograms: within one bucket of the exact
    # nearest-rank percentile over the facts, per row of either rollup and over all of them.
    pct = data.draw(st.integers(1, 100))
    for measure in ("wait", "service"):
        values = [
            s for s in Visit.objects.values_list(f"{measure}_seconds", flat=True) if s is not None
        ]
        whole = [0] * histogram.BUCKETS
        for row in _rollups(DailyRollup).values():
            histogram.add(whole, [row[name] for name in histogram.field_names(measure)])
        _assert_within_a_bucket(
            histogram.percentile(whole, pct / 100),
            kpi.percentile(values, pct / 100),
        )
        for model in MODELS:
            for key, row in _rollups(model).items():
                mine = [
                    getattr(v, f"{measure}_seconds")
                    for v in Visit.objects.all()
                    if rollup_key_of(model, v) == key
                    and getattr(v, f"{measure}_seconds") is not None
                ]
                _assert_within_a_bucket(
                    histogram.percentile(
                        [row[name] for name in histogram.field_names(measure)], pct / 100
                    ),
                    kpi.percentile(mine, pct / 100),
                )


def rollup_key_of(model: type[Any], v: Visit) -> tuple[Any, ...]:
    values = {
        "service_day": v.service_day,
        "hour": v.hour,
        "location_id": v.location_id,
        "department_id": v.department_id,
        "queue_id": v.queue_id or 0,
        "product_id": v.product_id,
        "channel": v.channel,
    }
    return tuple(values[k] for k in model.KEY)
