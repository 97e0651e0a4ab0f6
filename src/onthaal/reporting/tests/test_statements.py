"""The bulk insert (``statements.insert_rows``) writes the rows ``bulk_create`` writes."""

from __future__ import annotations

import datetime as dt

import pytest

from onthaal.organisation.models import Department, Location, Organisation
from onthaal.reporting import statements
from onthaal.reporting.models import HourlyRollup, Visit

pytestmark = pytest.mark.django_db

COLUMNS = [f.attname for f in Visit._meta.concrete_fields if not f.primary_key]


def test_insert_rows_equals_bulk_create(db):
    org = Organisation.objects.create(name="T", kind="municipality")
    location = Location.objects.create(name="L", slug="l")
    department = Department.objects.create(organisation=org, name="D", slug="d")
    arrived = dt.datetime(2027, 10, 31, 0, 30, 15, 123456, tzinfo=dt.UTC)
    rows = [
        {
            "origin": "demo",
            "origin_id": n,
            "location_id": location.pk,
            "department_id": department.pk,
            "queue_id": None,
            "product_id": 3,
            "channel": "walk_in",
            "source": "kiosk",
            "service_day": dt.date(2027, 10, 31),
            "weekday": 6,
            "hour": 2,
            "outcome": "served",
            "arrived_at": arrived,
            "called_at": arrived + dt.timedelta(minutes=5),
            "started_at": None,
            "ended_at": arrived + dt.timedelta(minutes=15),
            "wait_seconds": 300,
            "service_seconds": None,
            "persons": 2,
            "booked_minutes": None,
        }
        for n in (1, 2)
    ]
    statements.insert_rows(Visit, [rows[0]])
    Visit.objects.bulk_create([Visit(**rows[1])])

    first, second = (Visit.objects.filter(origin_id=n).values(*COLUMNS).get() for n in (1, 2))
    assert {k: v for k, v in first.items() if k != "origin_id"} == {
        k: v for k, v in second.items() if k != "origin_id"
    }
    assert first["arrived_at"] == arrived
    assert first["transfers"] == 0 and first["items"] == 0  # the model's defaults


def test_insert_rows_of_rollups_and_nothing(db):
    assert statements.insert_rows(HourlyRollup, []) == 0
    statements.insert_rows(
        HourlyRollup,
        [
            {
                "service_day": dt.date(2027, 3, 1),
                "weekday": 0,
                "hour": 9,
                "location_id": 1,
                "department_id": 2,
                "channel": "walk_in",
                "visits": 4,
            }
        ],
    )
    row = HourlyRollup.objects.get()
    assert (row.visits, row.product_id, row.wait_sum) == (4, 0, 0)
