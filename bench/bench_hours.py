"""Opening hours: time to compute a year of opening hours (all channels) for a location."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.stats import line, timed
from onthaal.demo import zonnedoorn
from onthaal.hours import compute, selectors
from onthaal.organisation.models import Location

START = dt.date(2027, 1, 1)
END = dt.date(2027, 12, 31)


def main() -> None:
    zonnedoorn.load()
    location = Location.objects.get(slug="administratief-centrum")
    data = selectors.hours_data(location, START, END)
    pure = timed(lambda: compute.schedule(data, START, END), 7)
    print(line("hours_year_compute_ms (pure, 3 channels)", pure, "ms", scale=1000))
    with CaptureQueriesContext(connection) as queries:
        days = selectors.location_schedule(location, START, END)
    assert len(days) == 365
    full = timed(lambda: selectors.location_schedule(location, START, END), 7)
    print(line("hours_year_selector_ms (load + compute)", full, "ms", scale=1000))
    print(f"hours_year_selector_queries: {len(queries)}")
    instants = [
        dt.datetime(2027, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=7 * n) for n in range(1000)
    ]
    checks = timed(lambda: [compute.is_open(data, t, channel=compute.WALK_IN) for t in instants], 5)
    print(line("hours_is_open_us (per call)", checks, "µs", scale=1e6 / len(instants)))
