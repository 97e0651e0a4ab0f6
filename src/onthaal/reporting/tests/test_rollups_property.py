"""Property: however visits arrive (in whatever batches), every rollup row equals a count over
the facts of its key, and no fact is missing from the rollups."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onthaal.organisation.models import Department, Location, Organisation
from onthaal.reporting import facts, services
from onthaal.reporting.models import HourlyRollup, Visit, VisitProduct

pytestmark = pytest.mark.django_db

KEY = ("service_day", "hour", "location_id", "department_id", "product_id", "channel")


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
        lambda origin_id, d, hour, loc, dep, channel, out, wait, service, persons, products: (
            facts.VisitFact(
                origin=facts.TICKET,
                origin_id=origin_id,
                location_id=loc,
                department_id=dep,
                queue_id=None,
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
            )
        ),
        st.integers(1, 10**9),
        day,
        st.integers(7, 9),
        st.sampled_from(locations),
        st.sampled_from(departments),
        st.sampled_from([facts.WALK_IN, facts.APPOINTMENT, facts.QUICK_COUNTER]),
        outcome,
        st.none() | st.integers(0, 3600),
        st.integers(1, 1800),
        st.integers(1, 4),
        st.dictionaries(st.integers(1, 3), st.integers(1, 3), max_size=2),
    )


def _counted_from_facts() -> dict[tuple[Any, ...], dict[str, int]]:
    rows = Visit.objects.values(*KEY).annotate(
        n=Count("pk"),
        n_served=Count("pk", filter=Q(outcome=facts.SERVED)),
        n_no_shows=Count("pk", filter=Q(outcome=facts.NO_SHOW)),
        n_cancelled=Count("pk", filter=Q(outcome=facts.CANCELLED)),
        n_transferred=Count("pk", filter=Q(outcome=facts.TRANSFERRED)),
        n_persons=Sum("persons"),
        n_items=Sum("items"),
        n_wait=Count("wait_seconds"),
        s_wait=Sum("wait_seconds"),
        s_service=Sum("service_seconds"),
    )
    return {
        tuple(r[k] for k in KEY): {
            "visits": r["n"],
            "served": r["n_served"],
            "no_shows": r["n_no_shows"],
            "cancelled": r["n_cancelled"],
            "transferred": r["n_transferred"],
            "persons": r["n_persons"],
            "items": r["n_items"],
            "wait_count": r["n_wait"],
            "wait_sum": r["s_wait"] or 0,
            "service_sum": r["s_service"] or 0,
        }
        for r in rows
    }


def _rollups() -> dict[tuple[Any, ...], dict[str, int]]:
    measures = (
        "visits",
        "served",
        "no_shows",
        "cancelled",
        "transferred",
        "persons",
        "items",
        "wait_count",
        "wait_sum",
        "service_sum",
    )
    return {
        tuple(r[k] for k in KEY): {m: r[m] for m in measures}
        for r in HourlyRollup.objects.values(*KEY, *measures)
    }


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

    assert _rollups() == _counted_from_facts()
    assert sum(r["visits"] for r in _rollups().values()) == len(visits) == Visit.objects.count()
