"""Capacity follows people: in a week with a published roster, a desk offers appointments
only while a person trained for the products is planned at it and not absent."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onthaal.appointments import services
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.organisation.models import Desk
from onthaal.staffing.models import Absence, Roster, RosterAssignment
from onthaal.staffing.tests.data import WEDNESDAY, at, person, plan, roster

pytestmark = pytest.mark.django_db
THURSDAY = WEDNESDAY + dt.timedelta(days=1)
NEXT_WEDNESDAY = WEDNESDAY + dt.timedelta(days=7)


def eid(zonnedoorn) -> services.Request:
    return services.build_request(
        location=zonnedoorn["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )


def desk_ids(*names: str) -> set[int]:
    return set(Desk.objects.filter(name__in=names).values_list("pk", flat=True))


def test_a_published_roster_decides_which_desks_offer_slots(zonnedoorn):
    bart = person("bart2", "burgerzaken", "eid-aanvragen")
    r = roster()
    plan(r, bart, "Balie 1", WEDNESDAY, "09:00", "11:00")

    found = services.availability(eid(zonnedoorn), WEDNESDAY, THURSDAY)

    assert found, "Bart's two hours at Balie 1 are bookable"
    assert {i for s in found for i in s.resource_ids} == desk_ids("Balie 1")
    assert min(s.start for s in found) == at(WEDNESDAY, "09:00")
    assert max(s.end for s in found) <= at(WEDNESDAY, "11:00")
    # Thursday is in the roster's week and nobody is planned: no slot at all.
    assert not [s for s in found if s.start.astimezone(BRUSSELS).date() == THURSDAY]


def test_a_week_without_a_published_roster_keeps_the_desk_schedules(zonnedoorn):
    bart = person("bart2", "burgerzaken", "eid-aanvragen")
    draft = roster(status=Roster.Status.DRAFT)
    plan(draft, bart, "Balie 1", WEDNESDAY, "09:00", "11:00")

    found = services.availability(eid(zonnedoorn), WEDNESDAY, WEDNESDAY)

    assert desk_ids("Balie 1", "Balie 2", "Balie 3", "Balie 4") <= {
        i for s in found for i in s.resource_ids
    }
    roster(week=WEDNESDAY + dt.timedelta(days=5))  # next week's roster changes nothing now
    assert services.availability(eid(zonnedoorn), WEDNESDAY, WEDNESDAY) == found


def test_an_untrained_or_absent_person_opens_no_slots(zonnedoorn):
    trained = person("trained", "burgerzaken", "eid-aanvragen")
    untrained = person("untrained", "burgerzaken", "rijbewijs")
    r = roster()
    plan(r, untrained, "Balie 2", WEDNESDAY, "09:00", "12:00")
    plan(r, trained, "Balie 1", WEDNESDAY, "09:00", "12:00")
    Absence.objects.create(
        user=trained,
        kind="training",
        start=at(WEDNESDAY, "10:00"),
        end=at(WEDNESDAY, "11:00"),
        created_at=at(WEDNESDAY, "08:00"),
    )

    found = services.availability(eid(zonnedoorn), WEDNESDAY, WEDNESDAY)

    assert {i for s in found for i in s.resource_ids} == desk_ids("Balie 1")
    # Slots of 10 minutes that overlap the training are not offered.
    assert not [
        s for s in found if s.start < at(WEDNESDAY, "11:00") and s.end > at(WEDNESDAY, "10:00")
    ]
    assert at(WEDNESDAY, "09:00") in {s.start for s in found}
    assert at(WEDNESDAY, "11:00") in {s.start for s in found}


def test_an_absence_that_starts_mid_appointment_takes_that_slot(zonnedoorn):
    trained = person("trained", "burgerzaken", "eid-aanvragen")
    plan(roster(), trained, "Balie 1", WEDNESDAY, "09:00", "12:00")
    Absence.objects.create(
        user=trained,
        kind="other",
        start=at(WEDNESDAY, "09:05"),
        end=at(WEDNESDAY, "12:00"),
        created_at=at(WEDNESDAY, "08:00"),
    )

    assert services.availability(eid(zonnedoorn), WEDNESDAY, WEDNESDAY) == []


SPANS = st.tuples(st.integers(8, 15), st.sampled_from([0, 30]), st.integers(1, 4))


@settings(
    max_examples=12,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    plans=st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 4), SPANS, st.booleans()),
        min_size=1,
        max_size=6,
    ),
    drop=st.integers(0, 5),
)
def test_no_slot_without_a_trained_person_and_removing_one_never_adds(zonnedoorn, plans, drop):
    Roster.objects.all().delete()
    from django.contrib.auth import get_user_model

    people = [get_user_model().objects.filter(username=f"p{n}").first() for n in range(4)]
    people = [
        p or person(f"p{n}", "burgerzaken", *(["eid-aanvragen"] if n % 2 == 0 else ["rijbewijs"]))
        for n, p in enumerate(people)
    ]
    r = roster()
    for who, desk, (hour, minute, length), wed in plans:
        day = WEDNESDAY if wed else THURSDAY
        start = f"{hour:02d}:{minute:02d}"
        end = f"{min(hour + length, 20):02d}:{minute:02d}"
        plan(r, people[who], f"Balie {desk}", day, start, end)
    booking = eid(zonnedoorn)

    before = services.availability(booking, WEDNESDAY, THURSDAY)

    covered = [
        (a.desk_id, at(a.day, a.start.isoformat()), at(a.day, a.end.isoformat()))
        for a in RosterAssignment.objects.filter(roster=r, user__username__in=["p0", "p2"])
    ]
    for slot in before:
        for desk_id in slot.resource_ids:
            assert any(d == desk_id and s <= slot.start and slot.end <= e for d, s, e in covered)
    # Remove one person's assignments: the slots can only shrink.
    victim = people[drop % 4]
    RosterAssignment.objects.filter(roster=r, user=victim).delete()
    after = services.availability(booking, WEDNESDAY, THURSDAY)
    offered = {(s.start, i) for s in before for i in s.resource_ids}
    assert {(s.start, i) for s in after for i in s.resource_ids} <= offered
