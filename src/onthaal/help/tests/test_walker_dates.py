"""A walk's date values (``{next-week D HH:MM}``) fill a date field ahead of the build's day."""

from __future__ import annotations

import datetime as dt

import pytest

from onthaal.help.walker import WalkFailed, next_week


@pytest.mark.parametrize(
    ("today", "value", "expected"),
    [
        (dt.date(2026, 11, 29), "{next-week 4 08:00}", "2026-12-04T08:00"),  # a Sunday
        (dt.date(2026, 11, 30), "{next-week 0 17:30}", "2026-12-07T17:30"),  # a Monday
        (dt.date(2026, 12, 31), "{next-week 6 23:59}", "2027-01-10T23:59"),  # over the year
    ],
)
def test_next_week_is_that_weekday_of_the_following_week(
    today: dt.date, value: str, expected: str
) -> None:
    assert next_week(value, today) == expected


@pytest.mark.parametrize("value", ["{next-week 7 08:00}", "{next-week 1 8:00}", "{next-week}"])
def test_a_date_value_the_walker_cannot_read_stops_the_walk(value: str) -> None:
    with pytest.raises(WalkFailed, match="cannot read the date"):
        next_week(value, dt.date(2026, 11, 29))
