"""Capacity follows each desk: its weekly schedule (local wall-clock windows) and its absences,
on top of the opening hours, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onthaal.appointments import services
from onthaal.appointments.models import Appointment
from onthaal.audit.models import AuditEvent
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.core.errors import Conflict
from onthaal.hours.models import HoursChannel, OpeningException
from onthaal.organisation.models import Desk, DeskAbsence, DeskSchedule

pytestmark = pytest.mark.django_db

# The fixture's clock stands on Tuesday 2027-03-23 10:00. In the demo, Balie 4 works every
# morning and on Monday to Wednesday afternoons; Balie 3 is away all of Tuesday 2027-03-30.
WEDNESDAY_9 = dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS)
THURSDAY = dt.date(2027, 3, 25)
NEXT_TUESDAY = dt.date(2027, 3, 30)


def request(z: dict[str, Any]) -> services.Request:
    return services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )


def balie(z: dict[str, Any], n: int) -> Desk:
    return Desk.objects.get(location=z["ac"], name=f"Balie {n}")


def local(at: dt.datetime) -> str:
    return at.astimezone(BRUSSELS).strftime("%a %H:%M")


def absent(desk: Desk, start: dt.datetime, end: dt.datetime, reason: str = "") -> DeskAbsence:
    return DeskAbsence.objects.create(desk=desk, start=start, end=end, reason=reason)


def only_desk(z: dict[str, Any], n: int) -> Desk:
    """Leave one Burgerzaken desk taking appointments."""
    Desk.objects.filter(location=z["ac"], name__startswith="Balie").exclude(
        name=f"Balie {n}"
    ).update(active=False)
    return balie(z, n)


def test_slots_never_fall_outside_a_schedule_or_inside_an_absence(zonnedoorn):
    z = zonnedoorn
    b1, b3, b4 = balie(z, 1), balie(z, 3), balie(z, 4)
    lunch = (
        dt.datetime(2027, 3, 26, 10, 0, tzinfo=BRUSSELS),
        dt.datetime(2027, 3, 26, 14, 0, tzinfo=BRUSSELS),
    )
    absent(b1, *lunch, reason="dentist")
    windows = list(DeskSchedule.objects.filter(desk=b4))
    absences = list(DeskAbsence.objects.filter(desk__in=[b1, b3]))
    assert windows and absences  # the demo's own, and the one above

    found = services.availability(request(z), THURSDAY, NEXT_TUESDAY)

    assert found
    for slot in found:
        start, end = slot.start.astimezone(BRUSSELS), slot.end.astimezone(BRUSSELS)
        if b4.pk in slot.resource_ids:
            assert any(
                w.weekday == start.weekday() and w.start <= start.time() and end.time() <= w.end
                for w in windows
            ), local(slot.start)
        for absence in absences:
            if absence.desk_id in slot.resource_ids:
                assert slot.end <= absence.start or absence.end <= slot.start, local(slot.start)
    thursday_evening = [s for s in found if local(s.start) == "Thu 17:00"]
    assert thursday_evening[0].resource_ids == (b1.pk, balie(z, 2).pk, b3.pk)
    assert not any(b3.pk in s.resource_ids for s in found if s.start.date() == NEXT_TUESDAY)
    assert any(b1.pk in s.resource_ids for s in found if local(s.start) == "Fri 14:00")


def test_a_desk_without_schedule_takes_appointments_whenever_the_channel_is_open(zonnedoorn):
    z = zonnedoorn
    b1 = balie(z, 1)
    assert not b1.schedule.exists() and not b1.absences.exists()

    found = services.availability(request(z), THURSDAY, THURSDAY)

    # 08:30-11:40 and 13:30-18:40 on the 10-minute grid, all with Balie 1.
    assert len(found) == 20 + 32
    assert all(b1.pk in s.resource_ids for s in found)
    assert local(found[0].start) == "Thu 08:30" and local(found[-1].start) == "Thu 18:40"


def test_a_schedule_row_counts_only_within_its_validity(zonnedoorn):
    z = zonnedoorn
    b1 = only_desk(z, 1)
    DeskSchedule.objects.create(
        desk=b1,
        weekday=THURSDAY.weekday(),
        start=dt.time(9),
        end=dt.time(10),
        valid_from=dt.date(2027, 4, 1),
    )

    # A desk with a schedule works only in windows valid on the day: not before April.
    assert services.availability(request(z), THURSDAY, THURSDAY) == []
    april = services.availability(request(z), dt.date(2027, 4, 1), dt.date(2027, 4, 1))
    assert [local(s.start) for s in april] == [f"Thu 09:{m}0" for m in range(5)]


def test_a_booking_into_an_absence_is_refused_as_taken_and_writes_nothing(zonnedoorn):
    z = zonnedoorn
    morning = (WEDNESDAY_9.replace(hour=8), WEDNESDAY_9.replace(hour=9, minute=30))
    for n in (1, 2, 3, 4):
        absent(balie(z, n), *morning, reason="staff meeting")
    events = AuditEvent.objects.count()

    with pytest.raises(Conflict) as taken:
        services.book(request=request(z), start=WEDNESDAY_9, name="Jan", email="jan@example.org")

    assert taken.value.code == "slot_taken"
    assert not Appointment.objects.exists()
    assert AuditEvent.objects.count() == events
    following = services.next_free(request(z), WEDNESDAY_9)
    assert [local(s.start) for s in following] == ["Wed 09:30", "Wed 09:40", "Wed 09:50"]


def test_the_api_answers_409_with_a_link_to_the_next_free_slots_in_an_absence(client, zonnedoorn):
    z = zonnedoorn
    for n in (1, 2, 3, 4):
        absent(balie(z, n), WEDNESDAY_9, WEDNESDAY_9 + dt.timedelta(minutes=20))
    client.force_login(z["users"]["onthaal"])  # booking for a caller: no proof of work

    response = client.post(
        "/api/v1/appointments/",
        {
            "product": ["eid-aanvragen"],
            "location": "administratief-centrum",
            "start": "2027-03-24T09:00:00+01:00",
            "name": "Jan Peeters",
            "email": "jan@example.org",
        },
        content_type="application/json",
    )

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "slot_taken"
    following = client.get(response.json()["next_slots_url"]).json()["slots"]
    later = [s["start"] for s in following if s["start"] >= "2027-03-24T09:00"]
    assert later[0] == "2027-03-24T09:20:00+01:00"
    assert not Appointment.objects.exists()


def test_a_booking_outside_the_schedule_of_the_only_desk_is_refused(zonnedoorn):
    z = zonnedoorn
    only_desk(z, 4)  # the demo: no Thursday afternoon
    thursday_2pm = dt.datetime(2027, 3, 25, 14, 0, tzinfo=BRUSSELS)

    with pytest.raises(Conflict):
        services.book(request=request(z), start=thursday_2pm, name="Jan", email="jan@example.org")
    booked, _ = services.book(
        request=request(z), start=thursday_2pm.replace(hour=9), name="Jan", email="j@example.org"
    )

    assert Appointment.objects.get() == booked and booked.desk == balie(z, 4)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (dt.date(2027, 3, 28), 7),  # the spring-forward Sunday
        (dt.date(2027, 3, 29), 7),  # the Monday after it (Easter Monday: special hours below)
        (dt.date(2027, 10, 31), 8),  # the fall-back Sunday
        (dt.date(2027, 11, 1), 8),  # the Monday after it (All Saints' Day: special hours below)
    ],
)
def test_nine_oclock_in_a_schedule_is_nine_local_around_dst(zonnedoorn, day, utc_hour):
    z = zonnedoorn
    z["traveller"].move_to(dt.datetime.combine(day, dt.time(10), BRUSSELS) - dt.timedelta(days=7))
    OpeningException.objects.create(
        location=z["ac"],
        date=day,
        channel=HoursChannel.APPOINTMENT,
        closed=False,
        opens=dt.time(8),
        closes=dt.time(16),
        reason="DST test",
    )
    b1 = only_desk(z, 1)
    DeskSchedule.objects.create(desk=b1, weekday=day.weekday(), start=dt.time(9), end=dt.time(12))

    found = services.availability(request(z), day, day)

    assert found[0].start == dt.datetime.combine(day, dt.time(utc_hour), dt.UTC)
    # 09:00-11:40 on the 10-minute grid, 15 minutes each.
    assert found[-1].start == dt.datetime.combine(day, dt.time(utc_hour + 2, 40), dt.UTC)
    assert len(found) == 17
    with pytest.raises(Conflict):
        services.book(
            request=request(z),
            start=dt.datetime.combine(day, dt.time(8, 30), BRUSSELS),
            name="Jan",
            email="jan@example.org",
        )
    booked, _ = services.book(
        request=request(z),
        start=dt.datetime.combine(day, dt.time(9), BRUSSELS),
        name="Jan",
        email="jan@example.org",
    )
    assert booked.start == found[0].start


def _queries(z: dict[str, Any]) -> int:
    booking = request(z)
    with CaptureQueriesContext(connection) as queries:
        found = services.availability(booking, THURSDAY, NEXT_TUESDAY)
    assert found
    return len(queries.captured_queries)


def test_availability_takes_the_same_queries_for_one_desk_and_five(zonnedoorn):
    z = zonnedoorn
    burgerzaken = z["burgerzaken"].department
    desks = [balie(z, n) for n in (1, 2, 3, 4)]
    desks.append(Desk.objects.create(location=z["ac"], name="Balie 6"))
    desks[-1].departments.add(burgerzaken)
    for desk in desks:
        DeskSchedule.objects.create(desk=desk, weekday=0, start=dt.time(8), end=dt.time(12))
        DeskSchedule.objects.create(desk=desk, weekday=3, start=dt.time(8), end=dt.time(19))
        for hour in (9, 11):
            thursday = dt.datetime.combine(THURSDAY, dt.time(hour), BRUSSELS)
            absent(desk, thursday, thursday + dt.timedelta(minutes=30))
    thursday_10 = dt.datetime.combine(THURSDAY, dt.time(10), BRUSSELS)
    services.book(request=request(z), start=thursday_10, name="Jan", email="jan@example.org")

    five = _queries(z)
    Desk.objects.filter(pk__in=[d.pk for d in desks[1:]]).update(active=False)
    one = _queries(z)

    # The policy, the opening rules and exceptions, the desks; then per call one query each
    # for the appointments, the absences and the schedules of all the desks.
    # One more: the published rosters of the weeks (none here: the desks keep their schedules).
    assert five == one == 8


def test_the_next_free_slots_come_from_the_next_days_when_the_day_is_over(zonnedoorn):
    """next_free looks at the same day first, then at the fortnight after it."""
    late = WEDNESDAY_9.replace(hour=17, minute=55)
    following = services.next_free(request(zonnedoorn), late)
    assert len(following) == 3
    assert all(
        s.start > late and s.start.astimezone(BRUSSELS).date() > late.date() for s in following
    )
    assert following == sorted(following, key=lambda s: s.start)


TUESDAY = dt.date(2027, 3, 23)  # the fixture's today; its clock stands at 10:00
MINUTE = dt.timedelta(minutes=1)


def pick_up(z: dict[str, Any]) -> services.Request:
    return services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-afhalen")]
    )


def test_a_short_pick_up_can_be_booked_the_same_day_on_its_own_grid(zonnedoorn):
    """Burgerzaken in the demo: up to 5 minutes is short, 30 minutes ahead on a 5-minute grid;
    a 15-minute application keeps the 2-hour lead time and the 10-minute grid."""
    z = zonnedoorn
    short = [local(s.start) for s in services.availability(pick_up(z), TUESDAY, TUESDAY)]
    assert short[:3] == ["Tue 10:30", "Tue 10:35", "Tue 10:40"]
    longer = [local(s.start) for s in services.availability(request(z), TUESDAY, TUESDAY)]
    assert longer[0] >= "Tue 12:00" and not any(t.endswith("5") for t in longer)
    at_10_35 = dt.datetime(2027, 3, 23, 10, 35, tzinfo=BRUSSELS)
    appointment, _ = services.book(
        request=pick_up(z), start=at_10_35, name="Jan", email="jan@example.org"
    )
    assert appointment.start == at_10_35 and appointment.end - appointment.start == 5 * MINUTE
    with pytest.raises(Conflict):  # within the 30 minutes: not on offer
        services.book(
            request=pick_up(z),
            start=dt.datetime(2027, 3, 23, 10, 15, tzinfo=BRUSSELS),
            name="Piet",
            email="piet@example.org",
        )


def test_without_short_appointments_a_pick_up_follows_the_normal_rules(zonnedoorn):
    from onthaal.appointments.models import BookingPolicy

    BookingPolicy.objects.filter(department__slug="burgerzaken").update(short_max_minutes=0)
    found = services.availability(pick_up(zonnedoorn), TUESDAY, TUESDAY)
    assert all(local(s.start) >= "Tue 12:00" for s in found)
    assert all(s.start.minute % 10 == 0 for s in found)


def _book_every_desk_at(z: dict[str, Any], start: dt.datetime) -> int:
    """Book ``start`` until no desk is left; the number of bookings made."""
    made = 0
    while True:
        try:
            services.book(request=request(z), start=start, name="Jan", email=f"j{made}@x.org")
        except Conflict:
            return made
        made += 1


def test_a_full_time_is_refused_before_any_lock_or_slot_computation(zonnedoorn, monkeypatch):
    """A booking rush: once every desk has the time, the next citizen is answered by one
    query, before the day's lock and without computing the day's slots."""
    z = zonnedoorn
    made = _book_every_desk_at(z, WEDNESDAY_9)
    assert made == len(services._desks(request(z))) > 1

    def not_computed(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a full time was computed")

    monkeypatch.setattr(services.slotting, "slots", not_computed)
    monkeypatch.setattr(services, "_lock_day", not_computed)
    late = request(z)
    with CaptureQueriesContext(connection) as queries, pytest.raises(Conflict) as taken:
        services.book(request=late, start=WEDNESDAY_9, name="Late", email="l@x.org")
    assert taken.value.code == "slot_taken"
    assert len(queries.captured_queries) <= 3  # the desks and who is busy at that time
    assert Appointment.objects.count() == made


def test_the_quick_refusal_never_refuses_a_time_the_agenda_offers(zonnedoorn):
    """The quick check only says "taken" when every desk is busy: for every slot of a day
    that is partly booked, held and with an expired hold, it lets the booking through."""
    z = zonnedoorn
    req = request(z)
    desks = [d.pk for d in services._desks(req)]
    _book_every_desk_at(z, WEDNESDAY_9)
    services.book(request=req, start=WEDNESDAY_9.replace(hour=10), name="A", email="a@x.org")
    services.hold(request=req, start=WEDNESDAY_9.replace(hour=11), client=services.client_key("x"))
    Appointment.objects.filter(status="held").update(
        hold_expires_at=dt.datetime(2027, 3, 23, 9, 0, tzinfo=BRUSSELS)  # expired an hour ago
    )
    now = dt.datetime(2027, 3, 23, 10, 0, tzinfo=BRUSSELS)
    offered = services.availability(req, WEDNESDAY_9.date(), WEDNESDAY_9.date())
    assert offered
    assert not any(services._surely_taken(desks, s.start, s.end, now)[0] for s in offered)
    assert services._surely_taken(desks, WEDNESDAY_9, WEDNESDAY_9 + req.duration, now)[0]
    assert WEDNESDAY_9 not in {s.start for s in offered}
