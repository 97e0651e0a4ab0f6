"""The coverage is computed once and a change (a request, an absence) is applied to it as a
delta: the delta must give the same gaps as computing the coverage twice, and the board page
must not read more the more people or requests there are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from onthaal.accounts.services import twofactor
from onthaal.staffing import coverage as cov
from onthaal.staffing import selectors, services
from onthaal.staffing.tests.data import WEDNESDAY, WEEK, at, person

DAY = dt.date(2027, 3, 24)
HOURS = [(DAY, h, dt.datetime(2027, 3, 24, h, 30, tzinfo=dt.UTC)) for h in range(7, 20)]


def _instant(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, 3, 24, hour, minute, tzinfo=dt.UTC)


spans = st.tuples(st.integers(7, 19), st.integers(1, 6)).map(
    lambda t: (_instant(t[0]), _instant(min(t[0] + t[1], 20)))
)
shifts = st.lists(
    st.tuples(st.integers(1, 5), st.integers(1, 3), spans).map(
        lambda t: cov.Shift(t[0], t[1], t[2][0], t[2][1])
    ),
    max_size=20,
)


@pytest.mark.django_db  # the suite's autouse fixtures use the database
@settings(max_examples=200, deadline=None)
@given(
    shifts=shifts,
    known=st.dictionaries(st.integers(1, 5), st.lists(spans, max_size=2), max_size=3),
    person_=st.integers(1, 5),
    away=st.lists(spans, min_size=1, max_size=2),
    needed=st.dictionaries(
        st.tuples(st.just(DAY), st.integers(7, 19), st.integers(1, 3)), st.integers(0, 3)
    ),
)
def test_the_delta_opens_the_same_gaps_as_computing_the_coverage_twice(
    shifts, known, person_, away, needed
):
    before = cov.planned(shifts, known, HOURS)
    with_away = {k: list(v) for k, v in known.items()}
    with_away.setdefault(person_, []).extend(away)
    after = cov.planned(shifts, with_away, HOURS)
    expected = cov.new_gaps(cov.cells(needed, before), cov.cells(needed, after))

    lost = cov.lost(shifts, known, HOURS, person_, away)

    assert cov.opened(needed, before, lost) == expected
    assert {k: before.get(k, 0) - n for k, n in lost.items()} == {k: after.get(k, 0) for k in lost}


@pytest.mark.django_db
def test_the_impact_of_a_request_equals_the_two_boards_it_replaced(zonnedoorn):
    jan = person("jan2", "burgerzaken", "eid-aanvragen")
    location = zonnedoorn["ac"]
    start, end = at(WEDNESDAY, "08:00"), at(WEDNESDAY + dt.timedelta(days=1), "12:00")
    first, last = WEDNESDAY, WEDNESDAY + dt.timedelta(days=1)
    before = selectors.board(location, first, last)
    after = selectors.board(location, first, last, extra_absences={jan.pk: [(start, end)]})

    found = services.impact(jan, start, end)

    assert found == cov.new_gaps(before.cells, after.cells)


def _board_queries(client, location) -> int:
    """The queries of the board's page once what every page keeps in the cache (the
    organisation's theme) is there: the first request of a test also reads that."""
    url, week = f"/staff/planning/{location.slug}/", {"week": WEEK.isoformat()}
    assert client.get(url, week).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, week)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_board_reads_as_much_for_three_pending_requests_as_for_one(
    zonnedoorn, client, monkeypatch
):
    monkeypatch.setattr(twofactor, "due", lambda request: None)
    client.force_login(zonnedoorn["users"]["teamlead"])
    location = zonnedoorn["ac"]
    people = [person(f"p{n}", "burgerzaken") for n in range(3)]
    day = (at(WEDNESDAY, "08:00"), at(WEDNESDAY, "17:00"))
    services.request_create(actor=people[0], kind="telework", start=day[0], end=day[1])
    one = _board_queries(client, location)
    for someone in people[1:]:
        services.request_create(actor=someone, kind="telework", start=day[0], end=day[1])
        person(f"extra-{someone.username}", "burgerzaken")

    three = _board_queries(client, location)

    # The people's locations are read for all requests at once, the week's coverage once.
    assert three == one
