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


def test_rebuilding_the_rollups_in_sql_gives_the_orm_rows(db):
    """``statements.rebuild_rollups`` (one INSERT ... SELECT per table, hand-written) writes
    the rows ``services.rebuild_rollups`` (the ORM) writes, histograms included."""
    from onthaal.reporting import services
    from onthaal.reporting.models import COUNTED, DailyRollup

    org = Organisation.objects.create(name="T", kind="municipality")
    location = Location.objects.create(name="L", slug="l")
    department = Department.objects.create(organisation=org, name="D", slug="d")
    day = dt.date(2027, 10, 31)
    outcomes = ["served", "no_show", "cancelled", "transferred"]
    statements.insert_rows(
        Visit,
        [
            {
                "origin": "demo",
                "origin_id": n,
                "location_id": location.pk,
                "department_id": department.pk,
                "queue_id": None if n % 5 == 0 else n % 3,
                "product_id": n % 4,
                "channel": "walk_in" if n % 2 else "appointment",
                "service_day": day + dt.timedelta(days=n % 3),
                "weekday": (day + dt.timedelta(days=n % 3)).weekday(),
                "hour": 8 + n % 4,
                "outcome": outcomes[n % 4],
                "wait_seconds": None if n % 7 == 0 else (n * 97) % 20_000,
                "service_seconds": None if n % 4 else (n * 61) % 4000,
                "persons": 1 + n % 2,
                "items": n % 3,
                "booked_minutes": 15 if n % 2 == 0 else None,
            }
            for n in range(200)
        ],
    )
    models = (HourlyRollup, DailyRollup)

    def rows(model):
        return sorted(model.objects.values_list(*model.KEY, "weekday", *COUNTED))

    services.rebuild_rollups()
    by_orm = {model: rows(model) for model in models}
    for model in models:
        statements.rebuild_rollups(model)

    for model in models:
        assert rows(model) == by_orm[model]
        assert sum(r.visits for r in model.objects.all()) == 200
