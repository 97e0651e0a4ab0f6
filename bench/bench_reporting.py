"""Reporting figures over BENCH_REPORTING_VISITS visits (default 2,000,000), on PostgreSQL:

* the dashboard's main request (``GET /staff/reports/``, the default 13 weeks) and the visits
  API (``GET /api/v1/reports/visits/``, one year per day) over HTTP against ``onthaal serve --workers 2``, this process being the client: p50
  and p95 of sequential requests as a manager (every department but the confidential one);
* the same figures computed without the rollups (read from the facts, each fact standing for a
  rollup row of one visit), in this process, as a ratio to the same computation with them;
* the time to record 10,000 new visits and add them to the rollups (``services.record_facts``
  under the refresh lock: the worker's refresh without its reading of tickets).

The data set: the demo's two years of Zonnedoorn history (its weekday, hour, season and
channel patterns), copied in SQL across ten buildings until it holds the requested number of
visits, waits and service times varied per copy; the rollups computed from the facts in one
``INSERT ... SELECT``. The API's rows are checked equal with and without rollups.

20,000,000 visits: ``BENCH_REPORTING_VISITS=20000000`` (off by default: loading takes about
ten times longer). The goals of the issue: p95 < 300 ms over 2,000,000, < 1 s over 20,000,000.

With ``BENCH_KEEP_DB=1`` (``bench/run.py``) a data set left by an earlier run of the same size
is used again (loading it takes minutes); the visits the refresh figure added last time are
taken out first, and their days' rollups rebuilt. One of another size keeps its set-up and
gets its copies made again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.db import connection, transaction

from bench.bench_queue import _pct, _server
from bench.stats import line, timed

VISITS = int(os.environ.get("BENCH_REPORTING_VISITS", "2000000"))
BUILDINGS = 8  # extra buildings, besides the Administratief Centrum and the Sociaal Huis
HTTP_RUNS = 10
HTTP_ROUNDS = 3
LOCAL_RUNS = 3
NEW_VISITS = 10_000
COPY_OFFSET = 10_000_000  # origin ids of copy c: c * COPY_OFFSET + the template's id

COPY_SQL = """
INSERT INTO reporting_visit (origin, origin_id, location_id, department_id, queue_id,
    product_id, channel, source, service_day, weekday, hour, outcome, arrived_at, called_at,
    started_at, ended_at, wait_seconds, service_seconds, persons, transfers, items,
    booked_minutes)
SELECT v.origin, c::bigint * %(offset)s + v.origin_id,
       CASE WHEN c %% %(buildings)s = 0 THEN v.location_id
            ELSE (%(locations)s::bigint[])[c %% %(buildings)s] END,
       v.department_id, v.queue_id, v.product_id, v.channel, v.source, v.service_day,
       v.weekday, v.hour, v.outcome, v.arrived_at, v.called_at, v.started_at, v.ended_at,
       v.wait_seconds * (70 + (c * 37 + v.origin_id) %% 61) / 100,
       v.service_seconds * (80 + (c * 53 + v.origin_id) %% 41) / 100,
       v.persons, v.transfers, v.items, v.booked_minutes
  FROM reporting_visit v CROSS JOIN generate_series(1, %(copies)s) AS c
 WHERE v.origin_id < %(offset)s AND v.service_day >= %(first)s AND v.service_day < %(last)s
"""


def _kept() -> str:
    """What the database holds of an earlier run (``BENCH_KEEP_DB``): "kept", its data set of
    this size (its extra buildings, and as many copies of the template as ``VISITS`` needs,
    with or without the refresh figure's visits); "other size", its
    set-up with another number of visits (the copies are taken out and made again); or ""
    (a fresh database)."""
    from onthaal.organisation.models import Location

    if not Location.objects.filter(slug=f"districtshuis-{BUILDINGS}").exists():
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reporting_visit")
        total = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT count(*) FROM reporting_visit WHERE origin = 'demo' AND origin_id < %s",
            [COPY_OFFSET],
        )
        template = int(cursor.fetchone()[0])
    # The template copied until VISITS are reached, and the refresh figure's visits of a run.
    expected = template * -(-VISITS // max(template, 1))
    if not expected <= total <= expected + 3 * NEW_VISITS:
        print(f"data: {total:,} visits kept from an earlier run; {VISITS:,} asked for", flush=True)
        return "other size"
    print(f"data: {total:,} visits kept from an earlier run", flush=True)
    return "kept"


def _drop_copies() -> None:
    """Take out what an earlier run of another size added: the copies of the template and
    the refresh figure's visits (with their products); the rollups are computed again."""
    from onthaal.reporting import facts
    from onthaal.reporting.models import Visit

    Visit.objects.filter(origin=facts.TICKET, origin_id__lte=3 * NEW_VISITS).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_visit WHERE origin_id >= %s", [COPY_OFFSET])


def _setup(kept: bool = False) -> tuple[Any, list[Any]]:
    """The demo organisation, the template history, and the extra buildings (on a kept
    database: the template history only, as it would be generated, not stored again)."""
    from django.contrib.auth import get_user_model

    from onthaal.core import clock
    from onthaal.demo import zonnedoorn
    from onthaal.organisation.models import Department, Location
    from onthaal.reporting import demo, services

    if kept:
        template = list(demo.generate(clock.today(), demo._ids()))
        return get_user_model().objects.get(username="manager"), template
    zonnedoorn.load()
    template = list(demo.generate(clock.today(), demo._ids()))
    with transaction.atomic():
        services.record_facts(template, with_products=False)
    assert template[-1].origin_id < COPY_OFFSET
    source = Location.objects.get(slug="administratief-centrum")
    buildings = []
    for n in range(1, BUILDINGS + 1):
        building = Location.objects.create(
            name=f"Districtshuis {n}", slug=f"districtshuis-{n}", city=source.city
        )
        buildings.append(building)
    for department in Department.objects.filter(locations=source):
        department.locations.add(*buildings)
    manager = get_user_model().objects.get(username="manager")
    return manager, template


def _generate(template_size: int, locations: list[int]) -> int:
    """Copy the template until the table holds VISITS facts, then compute the rollups. As a
    bulk load does: foreign-key triggers off (the copies point to rows that exist), the
    secondary indexes dropped and built again afterwards."""
    from onthaal.reporting import statements
    from onthaal.reporting.models import DailyRollup, HourlyRollup

    copies = max(0, -(-VISITS // template_size) - 1)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_hourlyrollup")
        cursor.execute("DELETE FROM reporting_dailyrollup")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reporting_visit'"
            " AND indexname NOT IN ('reporting_visit_pkey', 'visit_unique_origin')"
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")
        # A quarter at a time: the table ends up roughly in the order the worker appends to it.
        cursor.execute("SELECT min(service_day), max(service_day) FROM reporting_visit")
        first_day, last_day = cursor.fetchone()
        first = first_day
        while first <= last_day:
            last = first + dt.timedelta(days=91)
            cursor.execute(
                COPY_SQL,
                {
                    "offset": COPY_OFFSET,
                    "buildings": BUILDINGS + 1,
                    "locations": locations,
                    "copies": copies,
                    "first": first,
                    "last": last,
                },
            )
            first = last
        cursor.execute("SET session_replication_role = DEFAULT")
        for _name, definition in indexes:
            cursor.execute(definition)
        loaded = time.perf_counter() - start
        rollup_rows = statements.rebuild_rollups(HourlyRollup)
        daily_rows = statements.rebuild_rollups(DailyRollup)
        cursor.execute("ANALYZE reporting_visit")
        # As autovacuum does after a load: the visibility map lets the heat map and the
        # advice read the hourly rollup's covering index alone.
        cursor.execute("VACUUM ANALYZE reporting_hourlyrollup")
        cursor.execute("VACUUM ANALYZE reporting_dailyrollup")
        cursor.execute("SELECT count(*) FROM reporting_visit")
        total = int(cursor.fetchone()[0])
    print(
        f"data: {total:,} visits ({copies + 1} copies of the demo's {template_size:,}, "
        f"{BUILDINGS + 2} buildings) loaded in {loaded:.0f} s; {rollup_rows:,} hourly and "
        f"{daily_rows:,} daily rollup rows in {time.perf_counter() - start - loaded:.0f} s",
        flush=True,
    )
    return total


def _facts_as_rollups(scope: Any, *, hourly: bool = False) -> Any:
    """The facts, each standing for a rollup row of one visit: the figures without rollups
    (histogram buckets included: a fact counts 1 in the bucket of its seconds)."""
    from django.db.models import Case, IntegerField, Q, Value, When
    from django.db.models.functions import Coalesce

    from onthaal.reporting import facts, histogram, selectors

    def one_if(*conditions: Any, **condition: Any) -> Case:
        return Case(
            When(*conditions, then=Value(1), **condition),
            default=Value(0),
            output_field=IntegerField(),
        )

    buckets = {}
    for measure in histogram.MEASURES:
        column = f"{measure}_seconds"
        for i, name in enumerate(histogram.field_names(measure)):
            within = Q(**{f"{column}__isnull": False})
            if i > 0:
                within &= Q(**{f"{column}__gt": histogram.LOWER[i]})
            if i < histogram.BUCKETS - 1:
                within &= Q(**{f"{column}__lte": histogram.UPPER[i]})
            buckets[name] = one_if(within)
    return selectors.visits(scope).annotate(
        **buckets,
        visits=Value(1, output_field=IntegerField()),
        served=one_if(outcome=facts.SERVED),
        no_shows=one_if(outcome=facts.NO_SHOW),
        cancelled=one_if(outcome=facts.CANCELLED),
        transferred=one_if(outcome=facts.TRANSFERRED),
        wait_count=one_if(wait_seconds__isnull=False),
        wait_sum=Coalesce("wait_seconds", 0),
        service_count=one_if(service_seconds__isnull=False),
        service_sum=Coalesce("service_seconds", 0),
    )


@contextmanager
def _from_facts() -> Iterator[None]:
    with (
        mock.patch("onthaal.reporting.selectors.rollups", _facts_as_rollups),
        mock.patch("onthaal.reporting.advisor.rollups", _facts_as_rollups),
        # The hand-written sums read the rollups' table: the ORM's instead, over the facts.
        mock.patch("onthaal.reporting.selectors.SUMS_IN_SQL", False, create=True),
    ):
        yield


@contextmanager
def _uncached() -> Iterator[None]:
    """No advice kept between computations (``reporting.cached``): each one works it out."""
    import importlib.util

    from django.core.cache.backends.dummy import DummyCache

    if importlib.util.find_spec("onthaal.reporting.cached") is None:  # code before the cache
        yield
        return
    with mock.patch("onthaal.reporting.cached.cache", DummyCache("", {})):
        yield


def _rollups_changed() -> None:
    """As the worker does when it records new visits: the rollups get a new version, so the
    next dashboard works its advice out again (the cold path)."""
    from onthaal.reporting import services

    if hasattr(services, "rollups_changed"):  # code before the cache: nothing to change
        with transaction.atomic():
            services.rollups_changed()


def _http(port: int, path: str, cookie: str) -> Callable[[], None]:
    def get() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (path, response.status, body[:300])
        conn.close()

    return get


def _requests(manager: Any) -> list[tuple[str, str, Callable[[], Any]]]:
    """(name, URL, the same computation in this process) of the measured requests."""
    from onthaal.core import clock
    from onthaal.reporting import exports, report, selectors
    from onthaal.reporting.forms import default_period

    today = clock.today()
    start, end = default_period(today)
    year = (today - dt.timedelta(days=365), today - dt.timedelta(days=1))

    def scope(first: dt.date, last: dt.date) -> Any:
        return selectors.scope_for(manager, start=first, end=last)

    return [
        (
            "dashboard, 13 weeks",
            "/staff/reports/",
            lambda: report.build(scope(start, end)),
        ),
        (
            "visits API, one year by day",
            f"/api/v1/reports/visits/?from={year[0]}&to={year[1]}&by=day",
            lambda: exports.visit_rows(scope(*year), "day"),
        ),
    ]


def _refresh(template: list[Any]) -> None:
    """Record 10,000 new visits under the refresh lock, three times, as the worker does after
    a busy spell: tickets of the last two days (the history's last visits moved there), the
    facts with their products, the rollups updated."""
    from onthaal.core import clock
    from onthaal.reporting import facts, services

    today = clock.today()
    # A kept database still holds the visits of the last run's refresh figure: out with them.
    from onthaal.reporting.models import Visit

    old = Visit.objects.filter(origin=facts.TICKET, origin_id__lte=3 * NEW_VISITS)
    days = set(old.values_list("service_day", flat=True).distinct())
    if days:
        old.delete()
        services.rebuild_rollups(days)
    runs = []
    for run in range(3):
        batch = []
        for i, fact in enumerate(template[-NEW_VISITS:]):
            day = today - dt.timedelta(days=1 + i % 2)
            batch.append(
                dataclasses.replace(
                    fact,
                    origin=facts.TICKET,
                    origin_id=run * NEW_VISITS + i + 1,
                    service_day=day,
                    weekday=day.weekday(),
                )
            )
        start = time.perf_counter()
        with transaction.atomic():
            services._locked_state()
            services.record_facts(batch)
        runs.append(time.perf_counter() - start)
    print(
        line(
            f"record {NEW_VISITS:,} new visits of two days and update the rollups",
            runs,
            "s",
            digits=2,
        )
    )


def main() -> None:
    if connection.vendor != "postgresql":
        print(
            "reporting figures are measured on PostgreSQL: "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/onthaal_bench make bench"
        )
        return
    from django.test import Client

    from onthaal.organisation.models import Location

    kept = _kept()
    manager, template = _setup(bool(kept))
    locations = list(
        Location.objects.filter(slug__startswith="districtshuis-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if kept != "kept":
        if kept:
            _drop_copies()
        _generate(len(template), locations)
        _rollups_changed()  # the load wrote the rollups in SQL
    requests = _requests(manager)

    # With and without rollups, in this process: the same figures, the ratio.
    for name, _url, compute in requests:
        with _uncached():
            rolled = compute()  # and the database's cache is warm
            with_rollups = statistics.median(timed(compute, LOCAL_RUNS))
            with _from_facts():
                from_facts = compute()
                without = statistics.median(timed(compute, LOCAL_RUNS))
        if isinstance(rolled, list):
            assert rolled == from_facts, f"{name}: rollups and facts disagree"
        print(
            f"{name}, in process: {with_rollups * 1000:.0f} ms with rollups, "
            f"{without * 1000:.0f} ms from the facts: {without / with_rollups:.1f}x "
            f"(median of {LOCAL_RUNS})"
        )

    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(manager)
    # A manager must sign in with a second step: the session is one that gave its code.
    device = TOTPDevice.objects.create(user=manager, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    cookie = client.cookies["sessionid"].value
    connection.close()
    with _server(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")) as port:
        print(f"load before the HTTP rounds: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        # The dashboard twice: cold (the rollups changed just before each request, as when
        # the worker has recorded new visits: the advice is worked out again) and with its
        # advice kept from the request before.
        measured = [
            (f"{requests[0][0]}, cold", requests[0][1], True),
            (f"{requests[0][0]}, advice kept", requests[0][1], False),
            *((name, url, False) for name, url, _compute in requests[1:]),
        ]
        for name, url, cold in measured:
            get = _http(port, url, cookie)
            get()  # warm the app process
            p50s, p95s = [], []
            for _round in range(HTTP_ROUNDS):
                durations = []
                for _ in range(HTTP_RUNS):
                    if cold:
                        _rollups_changed()
                    t0 = time.perf_counter()
                    get()
                    durations.append(time.perf_counter() - t0)
                p50s.append(statistics.median(durations) * 1000)
                p95s.append(_pct(durations, 0.95) * 1000)
            print(
                f"{name}, HTTP, {VISITS:,} visits: p50 {statistics.median(p50s):.0f} ms, "
                f"p95 {statistics.median(p95s):.0f} ms (medians of {HTTP_ROUNDS} rounds of "
                f"{HTTP_RUNS}; p95 per round {', '.join(f'{p:.0f}' for p in p95s)}) "
                f"[goal p95 < {300 if VISITS <= 2_000_000 else 1000} ms]"
            )
    _refresh(template)
