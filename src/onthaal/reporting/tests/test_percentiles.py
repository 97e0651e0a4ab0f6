"""Percentiles in SQL (``statements.percentiles``, on the database the suite runs on —
SQLite locally, both SQLite and PostgreSQL in CI) equal ``kpi.percentile`` in Python."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onthaal.organisation.models import Department, Location, Organisation
from onthaal.reporting import kpi, statements
from onthaal.reporting.models import Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(db: None) -> tuple[int, int]:
    org = Organisation.objects.create(name="Testgemeente", kind="municipality")
    location = Location.objects.create(name="L", slug="l")
    department = Department.objects.create(organisation=org, name="D", slug="d")
    return location.pk, department.pk


def _visits(place: tuple[int, int], waits: list[int | None], hours: list[int]) -> None:
    Visit.objects.all().delete()
    Visit.objects.bulk_create(
        Visit(
            origin="ticket",
            origin_id=i,
            location_id=place[0],
            department_id=place[1],
            channel="walk_in",
            service_day=dt.date(2027, 3, 23),
            weekday=1,
            hour=hour,
            outcome="served",
            wait_seconds=wait,
        )
        for i, (wait, hour) in enumerate(zip(waits, hours, strict=True))
    )


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    waits=st.lists(st.none() | st.integers(0, 5000), min_size=1, max_size=60),
    seed=st.integers(0, 1000),
    pcts=st.lists(st.integers(1, 100), min_size=1, max_size=3, unique=True),
)
def test_sql_percentiles_per_group_equal_python(place, waits, seed, pcts) -> None:
    hours = [random.Random(seed + i).choice([8, 9, 10]) for i in range(len(waits))]
    _visits(place, waits, hours)

    result = statements.percentiles(Visit.objects.all(), "wait_seconds", F("hour"), pcts)

    expected = {}
    for hour in sorted(set(hours)):
        values = [w for w, h in zip(waits, hours, strict=True) if h == hour and w is not None]
        if values:
            expected[hour] = tuple(kpi.percentile(values, p / 100) for p in pcts)
    assert result == expected


def test_one_group_without_key_and_nothing_without_values(place) -> None:
    _visits(place, [30, 10, None, 20, 40], [9] * 5)

    assert statements.percentiles(Visit.objects.all(), "wait_seconds") == {0: (20, 40)}
    assert statements.percentiles(Visit.objects.none(), "wait_seconds") == {}
    with pytest.raises(ValueError, match="whole numbers"):
        statements.percentiles(Visit.objects.all(), "wait_seconds", pcts=(0,))
