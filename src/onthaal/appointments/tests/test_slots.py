"""Slot computation: properties (Hypothesis) and the DST Sundays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onthaal.appointments import slots
from onthaal.hours import compute

BRUSSELS = ZoneInfo("Europe/Brussels")
MIN = dt.timedelta(minutes=1)
DAY0 = dt.datetime(2027, 3, 22, 0, 0, tzinfo=dt.UTC)


def _span(start_min: int, length_min: int) -> slots.Span:
    start = DAY0 + start_min * MIN
    return (start, start + length_min * MIN)


spans = st.builds(_span, st.integers(0, 3 * 24 * 60), st.integers(5, 240))
resources = st.lists(
    st.builds(
        slots.Resource,
        id=st.integers(1, 6),
        available=st.one_of(st.none(), st.lists(spans, max_size=3).map(tuple)),
        busy=st.lists(spans, max_size=6).map(tuple),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda r: r.id,
)
rules = st.builds(
    slots.Rules,
    grid=st.sampled_from([5, 10, 15]).map(lambda m: m * MIN),
    buffer=st.sampled_from([0, 5]).map(lambda m: m * MIN),
    lead_time=st.sampled_from([0, 60, 120]).map(lambda m: m * MIN),
    horizon=st.sampled_from([1, 2, 4]).map(lambda d: dt.timedelta(days=d)),
)

# Opening hours, desks with their working time and busy periods, a duration, a moment, rules.
any_booking_day = given(
    opening=st.lists(spans, max_size=4),
    resources=resources,
    duration=st.sampled_from([5, 10, 20, 45]).map(lambda m: m * MIN),
    now_min=st.integers(0, 2 * 24 * 60),
    rules=rules,
)


@settings(max_examples=300, deadline=None)
@any_booking_day
def test_slot_properties(opening, resources, duration, now_min, rules):
    now = DAY0 + now_min * MIN
    by_id = {r.id: r for r in resources}
    found = slots.slots(opening, resources, duration, now, rules)
    for slot in found:
        # Long enough, inside opening hours, within lead time and horizon.
        assert slot.end - slot.start == duration
        assert any(s <= slot.start and slot.end <= e for s, e in slots.merge(opening))
        assert now + rules.lead_time <= slot.start <= now + rules.horizon
        assert slot.resource_ids
        for rid in slot.resource_ids:
            resource = by_id[rid]
            # Never overlapping a booking or absence (buffer included)...
            for s, e in resource.busy:
                assert not (s < slot.end + rules.buffer and slot.start < e + rules.buffer)
            # ...and only when the resource works.
            if resource.available is not None:
                assert any(
                    s <= slot.start and slot.end <= e for s, e in slots.merge(resource.available)
                )
    # Starts are unique and in order.
    starts = [s.start for s in found]
    assert starts == sorted(set(starts))


@settings(max_examples=200, deadline=None)
@given(opening=st.lists(spans, min_size=1, max_size=3), duration=st.sampled_from([5, 10, 30]))
def test_a_free_resource_gets_every_grid_slot_that_fits(opening, duration):
    rules = slots.Rules(lead_time=dt.timedelta(0), horizon=dt.timedelta(days=10))
    found = slots.slots(opening, [slots.Resource(1)], duration * MIN, DAY0, rules)
    expected = set()
    for s, e in slots.merge(opening):
        start = s
        while start + duration * MIN <= e:
            expected.add(start)
            start += rules.grid
    assert {slot.start for slot in found} == expected


@pytest.mark.parametrize(("day", "offset"), [(dt.date(2027, 3, 28), 2), (dt.date(2027, 10, 31), 1)])
def test_nine_oclock_on_the_dst_sundays_is_nine_oclock_local(day, offset):
    """Opening hours from the hours module; a 09:00 slot is 09:00 in Brussels, at the right
    UTC instant (UTC+2 after the spring change, UTC+1 after the autumn one)."""
    data = compute.HoursData(
        rules=(
            compute.WeeklyRule(
                weekday=6,
                opens=dt.time(9),
                closes=dt.time(12),
                channel=compute.APPOINTMENT,
                valid_from=dt.date(2027, 1, 1),
            ),
        ),
    )
    opening = [
        (i.start, i.end) for i in compute.intervals(data, day, day, channel=compute.APPOINTMENT)
    ]
    now = dt.datetime.combine(day - dt.timedelta(days=2), dt.time(12), tzinfo=BRUSSELS)
    found = slots.slots(opening, [slots.Resource(1)], 10 * MIN, now)
    first = found[0].start
    assert first.astimezone(BRUSSELS).time() == dt.time(9)
    assert first.astimezone(dt.UTC).hour == 9 - offset
    assert found[-1].end.astimezone(BRUSSELS).time() == dt.time(12)
    assert len(found) == 18


def test_fill_policy_spreads_the_work_and_is_predictable():
    assert slots.choose_resource([3, 1, 2], {1: 4, 2: 1, 3: 1}) == 2
    assert slots.choose_resource([5], {}) == 5
    with pytest.raises(ValueError):
        slots.choose_resource([], {})


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        slots.slots([], [], dt.timedelta(0), DAY0)


def test_the_buffer_follows_every_appointment_once():
    """Buffer 5 min after each appointment: with one at 10:00-10:10, the 09:40 slot still fits
    (09:50 + 5 <= 10:00), 09:50 does not, 10:10 is in the buffer and 10:20 is free again."""
    t = dt.datetime(2027, 3, 22, 9, 0, tzinfo=dt.UTC)
    busy = slots.Resource(id=1, busy=((t + 60 * MIN, t + 70 * MIN),))
    rules = slots.Rules(grid=10 * MIN, buffer=5 * MIN, lead_time=dt.timedelta(0))
    found = slots.slots([(t, t + 120 * MIN)], [busy], 10 * MIN, t, rules)
    starts = {(s.start - t) // MIN for s in found}
    assert {40, 80} <= starts
    assert not {50, 60, 70} & starts


@settings(max_examples=500, deadline=None)
@any_booking_day
def test_the_sweep_finds_exactly_what_asking_at_every_grid_start_finds(
    opening, resources, duration, now_min, rules
):
    """``slots`` counts free starts out per gap; ``free_resources`` asks at one instant. Asked
    at every grid start of the opening, the second gives the first's answer, desk for desk."""
    now = DAY0 + now_min * MIN
    expected = []
    for open_start, open_end in slots.merge(opening):
        start = open_start
        while start + duration <= open_end and start <= now + rules.horizon:
            if start >= now + rules.lead_time:
                free = slots.free_resources(start, start + duration, resources, rules)
                if free:
                    expected.append(slots.Slot(start, start + duration, free))
            start += rules.grid
    assert slots.slots(opening, resources, duration, now, rules) == expected
