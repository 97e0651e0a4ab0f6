"""The pure core: a closed ticket or appointment becomes one anonymous fact, in local time."""

from __future__ import annotations

import datetime as dt

from onthaal.reporting import facts, kpi

BXL = kpi.BRUSSELS
UTC = dt.UTC


def _ticket(**overrides: object) -> facts.TicketRecord:
    issued = dt.datetime(2027, 3, 23, 9, 0, tzinfo=BXL)
    values: dict[str, object] = {
        "pk": 7,
        "location_id": 1,
        "department_id": 2,
        "queue_id": 3,
        "service_day": dt.date(2027, 3, 23),
        "source": "kiosk",
        "status": "done",
        "issued_at": issued,
        "called_at": issued + dt.timedelta(minutes=12),
        "started_at": issued + dt.timedelta(minutes=13),
        "finished_at": issued + dt.timedelta(minutes=21, seconds=30),
        "delivered": ((11, 2), (12, 1)),
        "asked": (11,),
    }
    values.update(overrides)
    return facts.TicketRecord(**values)  # type: ignore[arg-type]


def test_a_served_ticket_becomes_a_fact_with_its_times_and_products() -> None:
    fact = facts.from_ticket(_ticket())

    assert (fact.origin, fact.origin_id, fact.channel, fact.outcome) == (
        "ticket",
        7,
        "walk_in",
        "served",
    )
    assert (fact.service_day, fact.weekday, fact.hour) == (dt.date(2027, 3, 23), 1, 9)
    assert (fact.wait_seconds, fact.service_seconds) == (720, 510)
    assert fact.products == ((11, 2), (12, 1))
    assert (fact.product_id, fact.items) == (11, 3)


def test_outcomes_and_channels() -> None:
    no_show = facts.from_ticket(_ticket(status="no_show", started_at=None, delivered=()))
    cancelled = facts.from_ticket(_ticket(status="cancelled", called_at=None, started_at=None))
    handed_over = facts.from_ticket(
        _ticket(status="cancelled", called_at=None, started_at=None, transfers=1)
    )
    quick = facts.from_ticket(_ticket(desk_kind="quick"))
    booked = facts.from_ticket(_ticket(source="appointment", persons=2, booked_minutes=15))

    assert (no_show.outcome, no_show.service_seconds, no_show.items) == ("no_show", None, 0)
    assert no_show.products == ((11, 1),)  # what was asked for, once
    assert (cancelled.outcome, cancelled.wait_seconds) == ("cancelled", None)
    assert handed_over.outcome == "transferred"
    assert quick.channel == "quick_counter"
    assert (booked.channel, booked.persons, booked.booked_minutes) == ("appointment", 2, 15)


def test_a_visit_past_midnight_counts_on_its_service_day() -> None:
    issued = dt.datetime(2027, 3, 23, 23, 50, tzinfo=BXL)
    fact = facts.from_ticket(
        _ticket(
            issued_at=issued,
            called_at=issued + dt.timedelta(minutes=5),
            started_at=issued + dt.timedelta(minutes=5),
            finished_at=issued + dt.timedelta(minutes=30),  # 00:20 the next day
        )
    )

    assert (fact.service_day, fact.weekday, fact.hour) == (dt.date(2027, 3, 23), 1, 23)
    assert fact.service_seconds == 25 * 60


def test_hours_are_local_across_both_dst_changes() -> None:
    # 31 October 2027 (fall back): 02:30 happens twice, at 00:30 and at 01:30 UTC.
    first = dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    second = dt.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    # 28 March 2027 (spring forward): 01:59 UTC+1 is followed by 03:00 UTC+2.
    before = dt.datetime(2027, 3, 28, 0, 59, tzinfo=UTC)
    after = dt.datetime(2027, 3, 28, 1, 0, tzinfo=UTC)

    assert kpi.local_slot(first) == (dt.date(2027, 10, 31), 6, 2)
    assert kpi.local_slot(second) == (dt.date(2027, 10, 31), 6, 2)
    assert kpi.local_slot(before)[2] == 1
    assert kpi.local_slot(after)[2] == 3
    assert kpi.hours_in_day(dt.date(2027, 3, 28)) == 23
    assert kpi.hours_in_day(dt.date(2027, 10, 31)) == 25
    assert kpi.hours_in_day(dt.date(2027, 10, 30)) == 24


def test_an_appointment_without_ticket_counts_on_its_booked_day_and_hour() -> None:
    start = dt.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30 winter time, local
    record = facts.AppointmentRecord(
        pk=5,
        location_id=1,
        department_id=2,
        status="no_show",
        channel="phone",
        start=start,
        end=start + dt.timedelta(minutes=20),
        persons=3,
        products=((9, 1),),
    )

    fact = facts.from_appointment(record)

    assert (fact.origin, fact.channel, fact.source, fact.outcome) == (
        "appointment",
        "appointment",
        "phone",
        "no_show",
    )
    assert (fact.service_day, fact.hour, fact.persons, fact.booked_minutes) == (
        dt.date(2027, 10, 31),
        2,
        3,
        20,
    )
    assert (fact.service_seconds, fact.items, fact.product_id) == (None, 0, 9)
