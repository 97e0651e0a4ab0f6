"""A person who works at two locations is never planned twice at the same time: the proposal
of one location keeps out the hours the other location's roster of the week has them."""

from __future__ import annotations

import datetime as dt

import pytest

from onthaal.organisation.models import Location
from onthaal.staffing import proposal
from onthaal.staffing.models import Place, Roster, RosterAssignment, StaffProfile
from onthaal.staffing.tests.data import WEDNESDAY, WEEK, person, roster

pytestmark = pytest.mark.django_db


def test_the_proposal_does_not_plan_a_person_where_another_location_has_them(zonnedoorn):
    duo = person("duo", "burgerzaken", "eid-aanvragen")
    ac, sh = zonnedoorn["ac"], Location.objects.get(slug="sociaal-huis")
    StaffProfile.objects.get(user=duo).locations.set([ac, sh])
    elsewhere = roster(location="sociaal-huis", status=Roster.Status.DRAFT)
    RosterAssignment.objects.create(
        roster=elsewhere,
        user=duo,
        day=WEDNESDAY,
        start=dt.time(8),
        end=dt.time(12, 30),
        place=Place.BACK_OFFICE,
    )

    proposal.propose(actor=zonnedoorn["users"]["teamlead"], location=ac, week=WEEK)

    here = RosterAssignment.objects.filter(roster__location=ac, roster__week=WEEK, user=duo)
    assert here.exists(), "duo is planned at the Administratief Centrum on other half days"
    assert not here.filter(day=WEDNESDAY, start__lt=dt.time(12, 30), end__gt=dt.time(8))
    assert here.filter(day=WEDNESDAY, start__gte=dt.time(12, 30)).exists()
