"""The pure opening-hours computation: properties (Hypothesis) and the DST Sundays."""

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from onthaal.hours import compute
from onthaal.hours.compute import (
    APPOINTMENT,
    BRUSSELS,
    PHONE,
    WALK_IN,
    DayException,
    HoursData,
    WeeklyRule,
)

UTC = dt.UTC
START = dt.date(2026, 1, 1)


def rule(weekday, opens, closes, channel=WALK_IN, **kw):
    return WeeklyRule(
        weekday,
        dt.time.fromisoformat(opens),
        dt.time.fromisoformat(closes),
        channel,
        kw.pop("valid_from", START),
        **kw,
    )


# --- strategies ------------------------------------------------------------------------------

quarter_hours = st.integers(min_value=0, max_value=95).map(lambda q: dt.time(q // 4, (q % 4) * 15))


@st.composite
def weekly_rules(draw):
    opens = draw(quarter_hours)
    closes = draw(quarter_hours.filter(lambda t: t > opens))
    valid_from = draw(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
    valid_until = draw(st.none() | st.dates(valid_from, dt.date(2028, 12, 31)))
    return WeeklyRule(
        weekday=draw(st.integers(0, 6)),
        opens=opens,
        closes=closes,
        channel=draw(st.sampled_from(compute.CHANNELS)),
        valid_from=valid_from,
        valid_until=valid_until,
        department_id=draw(st.sampled_from([None, None, 7])),
    )


@st.composite
def hours_data(draw):
    rules = tuple(draw(st.lists(weekly_rules(), max_size=8)))
    days = draw(st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), max_size=5))
    exceptions = tuple(
        DayException(
            day=d, reason=f"closed {d}", channel=draw(st.sampled_from([None, *compute.CHANNELS]))
        )
        for d in days
    )
    holidays = {
        d: f"holiday {d}"
        for d in draw(st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), max_size=3))
    }
    return HoursData(rules=rules, exceptions=exceptions, holidays=holidays)


ranges = st.tuples(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 20)), st.integers(0, 14))
instants = st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31), timezones=st.just(UTC))


# --- properties ------------------------------------------------------------------------------


@given(hours_data(), ranges, st.sampled_from(compute.CHANNELS), st.sampled_from([None, 7]))
@settings(max_examples=200)
def test_every_interval_comes_from_a_valid_rule_of_its_day(data, span, channel, department):
    start, length = span
    found = compute.intervals(
        data, start, start + dt.timedelta(days=length), channel=channel, department_id=department
    )
    for interval in found:
        local_start = interval.start.astimezone(BRUSSELS)
        day = local_start.date()
        assert interval.channel == channel
        assert interval.end > interval.start
        candidates = [
            r
            for r in data.rules
            if r.channel == channel and r.weekday == day.weekday() and r.valid_on(day)
        ]
        assert any(
            r.opens <= local_start.time() < r.closes or local_start.time() == r.opens
            for r in candidates
        )
        assert day not in data.holidays


@given(hours_data(), ranges, st.sampled_from(compute.CHANNELS))
@settings(max_examples=200)
def test_intervals_are_sorted_and_never_overlap(data, span, channel):
    start, length = span
    found = compute.intervals(data, start, start + dt.timedelta(days=length), channel=channel)
    for earlier, later in itertools.pairwise(found):
        assert earlier.end < later.start


@given(hours_data(), instants, st.sampled_from(compute.CHANNELS))
@settings(max_examples=200)
def test_is_open_agrees_with_the_intervals(data, at, channel):
    day = at.astimezone(BRUSSELS).date()
    found = compute.intervals(
        data, day - dt.timedelta(days=1), day + dt.timedelta(days=1), channel=channel
    )
    assert compute.is_open(data, at, channel=channel) == any(i.start <= at < i.end for i in found)


@given(hours_data(), instants, st.sampled_from(compute.CHANNELS))
@settings(max_examples=150)
def test_next_opening_is_the_earliest_interval_start_after(data, at, channel):
    day = at.astimezone(BRUSSELS).date()
    found = compute.intervals(data, day, day + dt.timedelta(days=40), channel=channel)
    expected = min((i.start for i in found if i.start > at), default=None)
    got = compute.next_opening(data, at, channel=channel, horizon_days=40)
    assert got == expected


@given(hours_data(), ranges)
@settings(max_examples=100)
def test_closed_on_every_public_holiday_with_its_name(data, span):
    start, length = span
    for day in compute.schedule(data, start, start + dt.timedelta(days=length)):
        if day.day in data.holidays:
            assert day.closed
            assert day.reason == data.holidays[day.day]


# --- examples --------------------------------------------------------------------------------


def test_spring_forward_sunday_keeps_local_times():
    # 2027-03-28: clocks go from 02:00 CET to 03:00 CEST.
    data = HoursData(rules=(rule(6, "09:00", "12:00"), rule(6, "01:00", "04:00", channel=PHONE)))
    day = dt.date(2027, 3, 28)
    walk_in = compute.intervals(data, day, day, channel=WALK_IN)
    assert [(i.start, i.end) for i in walk_in] == [
        (dt.datetime(2027, 3, 28, 7, 0, tzinfo=UTC), dt.datetime(2027, 3, 28, 10, 0, tzinfo=UTC))
    ]
    night = compute.intervals(data, day, day, channel=PHONE)[0]
    assert night.end - night.start == dt.timedelta(hours=2)  # one wall-clock hour does not exist
    assert night.start.astimezone(BRUSSELS).strftime("%H:%M %Z") == "01:00 CET"
    assert night.end.astimezone(BRUSSELS).strftime("%H:%M %Z") == "04:00 CEST"


def test_fall_back_sunday_keeps_local_times():
    # 2027-10-31: clocks go from 03:00 CEST back to 02:00 CET.
    data = HoursData(rules=(rule(6, "09:00", "12:00"), rule(6, "01:00", "04:00", channel=PHONE)))
    day = dt.date(2027, 10, 31)
    walk_in = compute.intervals(data, day, day, channel=WALK_IN)[0]
    assert (walk_in.start, walk_in.end) == (
        dt.datetime(2027, 10, 31, 8, 0, tzinfo=UTC),
        dt.datetime(2027, 10, 31, 11, 0, tzinfo=UTC),
    )
    night = compute.intervals(data, day, day, channel=PHONE)[0]
    assert night.end - night.start == dt.timedelta(hours=4)  # one wall-clock hour happens twice


def test_a_time_in_the_missing_hour_lands_an_hour_later():
    data = HoursData(rules=(rule(6, "02:30", "05:00"),))
    day = dt.date(2027, 3, 28)
    interval = compute.intervals(data, day, day, channel=WALK_IN)[0]
    assert interval.start.astimezone(BRUSSELS).strftime("%H:%M") == "03:30"


def test_is_open_and_next_opening_across_the_dst_change():
    # Saturday 27 March 2027 09:00-12:00 CET, Monday 29 March (Easter Monday, a holiday),
    # Tuesday 30 March 09:00-12:00 CEST.
    data = HoursData(
        rules=tuple(rule(d, "09:00", "12:00") for d in range(7)),
        holidays={dt.date(2027, 3, 29): "Paasmaandag"},
    )
    saturday_noon = dt.datetime(2027, 3, 27, 11, 0, tzinfo=UTC)
    assert not compute.is_open(data, saturday_noon, channel=WALK_IN)
    assert compute.next_opening(data, saturday_noon, channel=WALK_IN) == dt.datetime(
        2027, 3, 28, 7, 0, tzinfo=UTC
    )
    sunday_evening = dt.datetime(2027, 3, 28, 18, 0, tzinfo=UTC)
    assert compute.next_opening(data, sunday_evening, channel=WALK_IN) == dt.datetime(
        2027, 3, 30, 7, 0, tzinfo=UTC
    )
    assert compute.is_open(data, dt.datetime(2027, 3, 30, 7, 0, tzinfo=UTC), channel=WALK_IN)
    assert not compute.is_open(data, dt.datetime(2027, 3, 30, 10, 0, tzinfo=UTC), channel=WALK_IN)


def test_department_rules_replace_location_rules_for_that_channel():
    data = HoursData(
        rules=(
            rule(0, "08:30", "12:00", channel=APPOINTMENT),
            rule(0, "13:00", "16:30", channel=APPOINTMENT, department_id=4),
        )
    )
    monday = dt.date(2027, 2, 1)
    own = compute.intervals(data, monday, monday, channel=APPOINTMENT, department_id=4)
    other = compute.intervals(data, monday, monday, channel=APPOINTMENT, department_id=5)
    assert [i.start.astimezone(BRUSSELS).hour for i in own] == [13]
    assert [i.start.astimezone(BRUSSELS).hour for i in other] == [8]


def test_exception_closes_one_channel_with_its_reason():
    monday = dt.date(2027, 2, 1)
    data = HoursData(
        rules=(rule(0, "08:30", "12:00"), rule(0, "08:30", "12:00", channel=PHONE)),
        exceptions=(DayException(day=monday, reason="Opleiding", channel=WALK_IN),),
    )
    day = compute.day_schedule(data, monday)
    walk_in, _, phone = day.channels
    assert walk_in.intervals == () and walk_in.closed_reason == "Opleiding"
    assert len(phone.intervals) == 1
    assert not day.closed
    assert day.reason == "Opleiding"


def test_a_department_exception_closes_that_department_only():
    monday = dt.date(2027, 2, 1)
    data = HoursData(
        rules=(
            rule(0, "08:30", "12:00", channel=APPOINTMENT),
            rule(0, "13:00", "16:30", channel=APPOINTMENT, department_id=4),
        ),
        exceptions=(DayException(day=monday, reason="Teamdag", department_id=4),),
    )
    own = compute.channel_day(data, monday, APPOINTMENT, department_id=4)
    assert own.intervals == () and own.closed_reason == "Teamdag"
    for other in (5, None):  # another department and the location itself stay open
        day = compute.channel_day(data, monday, APPOINTMENT, department_id=other)
        assert [i.start.astimezone(BRUSSELS).hour for i in day.intervals] == [8]
        assert day.closed_reason == ""
    assert compute.day_schedule(data, monday, department_id=4).reason == "Teamdag"
    assert compute.day_schedule(data, monday, department_id=5).reason == ""


def test_a_department_special_hours_replace_that_department_day_only():
    monday = dt.date(2027, 2, 1)
    data = HoursData(
        rules=(rule(0, "08:30", "12:00", channel=APPOINTMENT),),
        exceptions=(
            DayException(
                day=monday,
                reason="Avondzitting",
                closed=False,
                opens=dt.time(17),
                closes=dt.time(20),
                channel=APPOINTMENT,
                department_id=4,
            ),
        ),
    )
    own = compute.intervals(data, monday, monday, channel=APPOINTMENT, department_id=4)
    other = compute.intervals(data, monday, monday, channel=APPOINTMENT, department_id=5)
    assert [i.start.astimezone(BRUSSELS).hour for i in own] == [17]
    assert [i.start.astimezone(BRUSSELS).hour for i in other] == [8]


def test_special_hours_replace_the_day_even_on_a_holiday():
    day = dt.date(2027, 7, 21)
    data = HoursData(
        rules=(rule(2, "08:30", "12:00"),),
        exceptions=(
            DayException(
                day=day, reason="Feestmarkt", closed=False, opens=dt.time(10), closes=dt.time(13)
            ),
        ),
        holidays={day: "Nationale feestdag"},
    )
    schedule = compute.day_schedule(data, day, channels=(WALK_IN,))
    assert [
        (i.start.astimezone(BRUSSELS).hour, i.end.astimezone(BRUSSELS).hour)
        for i in schedule.intervals
    ] == [(10, 13)]
    assert schedule.reason == "Feestmarkt"


def test_rules_outside_their_validity_do_not_count():
    data = HoursData(
        rules=(
            rule(
                0,
                "08:30",
                "12:00",
                valid_from=dt.date(2027, 1, 1),
                valid_until=dt.date(2027, 1, 31),
            ),
        )
    )
    assert (
        compute.intervals(data, dt.date(2026, 12, 28), dt.date(2026, 12, 28), channel=WALK_IN) == []
    )
    assert (
        len(compute.intervals(data, dt.date(2027, 1, 4), dt.date(2027, 1, 4), channel=WALK_IN)) == 1
    )
    assert compute.intervals(data, dt.date(2027, 2, 1), dt.date(2027, 2, 1), channel=WALK_IN) == []


def test_overlap_needs_same_scope_time_and_period():
    a = rule(0, "08:30", "12:00")
    assert compute.overlaps(a, rule(0, "11:00", "13:00"))
    assert not compute.overlaps(a, rule(0, "12:00", "13:00"))  # touching is fine
    assert not compute.overlaps(a, rule(1, "08:30", "12:00"))
    assert not compute.overlaps(a, rule(0, "08:30", "12:00", channel=PHONE))
    assert not compute.overlaps(
        rule(0, "08:00", "12:00", valid_until=dt.date(2026, 6, 30)),
        rule(0, "08:00", "12:00", valid_from=dt.date(2026, 7, 1)),
    )
