"""Telework and leave requests: the coverage impact is shown before deciding, and approving
one that opens a gap needs the lead's confirmation."""

from __future__ import annotations

import pytest

from onthaal.staffing import services
from onthaal.staffing.models import Absence, RequestStatus, StaffProfile
from onthaal.staffing.tests.data import WEDNESDAY, at, person

pytestmark = pytest.mark.django_db


def _omgeving_pair():
    # Omgeving has one desk (Balie 5) at the Administratief Centrum: one person is needed.
    StaffProfile.objects.filter(department__slug="omgeving").delete()  # the demo's Omgeving staff
    return person("olga", "omgeving"), person("omer", "omgeving")


def test_the_second_telework_day_that_opens_a_gap_needs_a_confirmation(zonnedoorn):
    lead = zonnedoorn["users"]["teamlead"]
    olga, omer = _omgeving_pair()
    day = (at(WEDNESDAY, "00:00"), at(WEDNESDAY, "23:59"))
    first = services.request_create(actor=olga, kind="telework", start=day[0], end=day[1])
    second = services.request_create(actor=omer, kind="telework", start=day[0], end=day[1])
    assert services.impact(olga, *day) == []

    services.request_decide(actor=lead, request=first, approve=True)
    gaps = services.impact(omer, *day)
    assert gaps and {c.day for c in gaps} == {WEDNESDAY}
    with pytest.raises(services.GapWarning) as warning:
        services.request_decide(actor=lead, request=second, approve=True)
    assert warning.value.fields["coverage"]
    second.refresh_from_db()
    assert second.status == RequestStatus.PENDING
    assert Absence.objects.filter(user=omer).count() == 0

    decided = services.request_decide(actor=lead, request=second, approve=True, accept_gap=True)
    assert decided.status == RequestStatus.APPROVED and decided.gap
    assert Absence.objects.get(user=omer).kind == "telework"
