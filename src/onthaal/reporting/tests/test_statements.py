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


def _varied_facts(locations: list[int], departments: list[int], count: int = 300) -> None:
    """Facts over nine days (across a week's and a month's end and a DST Sunday), two
    locations and departments, several queues, products and channels, with and without waits
    and service times; the rollups built from them."""
    from onthaal.reporting import services

    day = dt.date(2027, 3, 26)  # the Friday before the spring-forward Sunday
    outcomes = ["served", "no_show", "cancelled", "transferred"]
    channels = ["walk_in", "appointment", "quick_counter", "phone"]
    rows = []
    for n in range(count):
        service_day = day + dt.timedelta(days=n % 9)
        rows.append(
            {
                "origin": "demo",
                "origin_id": n,
                "location_id": locations[n % 2],
                "department_id": departments[(n // 2) % 2],
                "queue_id": None if n % 5 == 0 else n % 3,
                "product_id": n % 4,
                "channel": channels[n % 4],
                "service_day": service_day,
                "weekday": service_day.weekday(),
                "hour": 8 + n % 5,
                "outcome": outcomes[(n // 3) % 4],
                "wait_seconds": None if n % 7 == 0 else (n * 97) % 20_000,
                "service_seconds": None if n % 4 == 1 else (n * 61) % 9000,
                "persons": 1 + n % 2,
                "items": n % 3,
                "booked_minutes": 15 if n % 2 == 0 else None,
            }
        )
    statements.insert_rows(Visit, rows)
    services.rebuild_rollups()


def test_the_hand_written_rollup_sums_equal_the_orm(db):
    """``statements.rollup_sums`` (the dashboard's wide sums, hand-written) gives the rows the
    ORM gives (``selectors.rollup_sums(..., in_sql=False)``), for every key the dashboard
    groups by, every filter of a scope, both rollups, and a scope that matches nothing."""
    from onthaal.reporting import selectors
    from onthaal.reporting.models import COUNTED

    org = Organisation.objects.create(name="T", kind="municipality")
    locations = [Location.objects.create(name=f"L{i}", slug=f"l{i}").pk for i in range(2)]
    departments = [
        Department.objects.create(organisation=org, name=f"D{i}", slug=f"d{i}").pk for i in range(2)
    ]
    _varied_facts(locations, departments)
    day = dt.date(2027, 3, 26)
    every = selectors.Scope(day, day + dt.timedelta(days=8), tuple(departments))
    scopes = [
        every,
        selectors.Scope(day + dt.timedelta(days=1), day + dt.timedelta(days=1), (departments[0],)),
        selectors.Scope(day, day + dt.timedelta(days=9), tuple(departments), locations[1]),
        selectors.Scope(day, day, tuple(departments), product_id=2),
        selectors.Scope(day, day + dt.timedelta(days=2), tuple(departments), channel="phone"),
        selectors.Scope(day, day + dt.timedelta(days=2), ()),  # no department allowed
        selectors.Scope(day - dt.timedelta(days=9), day - dt.timedelta(days=1), (departments[0],)),
    ]
    groupings: list[tuple[tuple[str, ...], bool]] = [
        ((), False),
        (("queue",), False),
        (("location", "department", "product", "channel"), False),
        (("day",), False),
        (("department", "weekday"), False),
        (("hour",), True),
        (("location", "department", "weekday", "hour"), True),
        (("week",), False),
        (("month", "channel"), False),
        (("week", "channel"), True),
    ]
    checked = 0
    for scope in scopes:
        for keys, hourly in groupings:
            for fields in (COUNTED, selectors.TOTALS, ("visits",)):
                by_sql = selectors.rollup_sums(scope, keys, fields, hourly=hourly, in_sql=True)
                by_orm = selectors.rollup_sums(scope, keys, fields, hourly=hourly, in_sql=False)
                assert by_sql == by_orm, (scope, keys, hourly)
                assert list(by_sql) == sorted(by_sql)
                checked += 1
    assert checked == len(scopes) * len(groupings) * 3
    # Not vacuous: the whole scope sums to every fact, and the empty one to nothing.
    assert selectors.rollup_sums(every, (), ("visits",))[()] == {"visits": 300}
    assert selectors.rollup_sums(scopes[-2], ("queue",), ("visits",)) == {}


def test_the_dashboard_figures_are_the_same_with_the_orm(db):
    """The figures that read the hand-written sums (``grouped``, ``grouped_by``, ``totals``)
    are the ones the ORM path gives."""
    from unittest import mock

    from onthaal.reporting import selectors
    from onthaal.reporting.report import PLACE

    org = Organisation.objects.create(name="T", kind="municipality")
    locations = [Location.objects.create(name=f"L{i}", slug=f"l{i}").pk for i in range(2)]
    departments = [
        Department.objects.create(organisation=org, name=f"D{i}", slug=f"d{i}").pk for i in range(2)
    ]
    _varied_facts(locations, departments)
    day = dt.date(2027, 3, 26)
    scope = selectors.Scope(day, day + dt.timedelta(days=8), tuple(departments))

    def figures() -> list[object]:
        return [
            selectors.totals(scope),
            selectors.grouped(scope, "queue", fields=selectors.TOTALS),
            selectors.grouped(scope, "hour", fields=("visits",)),
            selectors.grouped(scope, "day"),
            selectors.grouped(scope, "week", fields=("visits",)),
            selectors.grouped_twice(scope, "month", "channel"),
            selectors.grouped_twice(scope, "weekday", "hour"),
            selectors.grouped_by(
                scope, ("location", "department", "product", "channel"), fields=PLACE
            ),
        ]

    by_sql = figures()
    with mock.patch.object(selectors, "SUMS_IN_SQL", False):
        by_orm = figures()
    assert by_sql == by_orm
    assert by_sql[0]["visits"] == 300


def test_the_heat_map_and_advice_rows_in_sql_equal_the_orm(db):
    """``advisor.measured_hours`` from the hand-written sums per channel (the heat map's and
    the advice's rows) gives what the ORM's filtered sums give (``in_sql=False``): every visit
    per weekday and hour, the visits at the desks (no phone, e-mail or e-loket) and their
    service seconds per place, for every filter of a scope."""
    from onthaal.reporting import advisor, selectors

    org = Organisation.objects.create(name="T", kind="municipality")
    locations = [Location.objects.create(name=f"L{i}", slug=f"l{i}").pk for i in range(2)]
    departments = [
        Department.objects.create(organisation=org, name=f"D{i}", slug=f"d{i}").pk for i in range(2)
    ]
    _varied_facts(locations, departments)
    day = dt.date(2027, 3, 26)
    scopes = [
        selectors.Scope(day, day + dt.timedelta(days=8), tuple(departments)),
        selectors.Scope(day, day + dt.timedelta(days=3), (departments[1],), locations[0]),
        selectors.Scope(day, day + dt.timedelta(days=8), tuple(departments), product_id=1),
        selectors.Scope(day, day + dt.timedelta(days=8), tuple(departments), channel="phone"),
        selectors.Scope(day, day + dt.timedelta(days=8), ()),
    ]
    for scope in scopes:
        by_sql = advisor.measured_hours(scope, in_sql=True)
        by_orm = advisor.measured_hours(scope, in_sql=False)
        assert by_sql == by_orm, scope
    measured, heat = advisor.measured_hours(scopes[0])
    assert sum(heat.values()) == 300
    at_desks = sum(cell["n"] for place in measured.values() for cell in place.values())
    assert at_desks == 225  # a quarter of the facts are phone calls
    assert advisor.measured_hours(scopes[3])[0] == {}  # phone calls only: none at a desk
