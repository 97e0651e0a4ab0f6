"""Two telework requests that each leave the coverage whole but together open a gap, approved
at the same instant by two leads: at most one is approved without a warning (the department's
row lock orders the two checks)."""

from __future__ import annotations

import pytest

from onthaal.staffing import services
from onthaal.staffing.models import Absence, RequestStatus, StaffProfile, StaffRequest
from onthaal.staffing.tests.data import WEDNESDAY, at, person
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


def test_concurrent_approvals_never_open_a_gap_unwarned(demo):
    from django.contrib.auth import get_user_model

    lead = get_user_model().objects.get(username="teamlead")
    # Omgeving has one desk at the Administratief Centrum: one of the two must stay.
    StaffProfile.objects.filter(department__slug="omgeving").delete()  # the demo's Omgeving staff
    olga, omer = person("olga", "omgeving"), person("omer", "omgeving")
    start, end = at(WEDNESDAY, "00:00"), at(WEDNESDAY, "23:59")
    requests = [
        services.request_create(actor=who, kind="telework", start=start, end=end)
        for who in (olga, omer)
    ]
    warned: list[int] = []

    def approve(n: int) -> None:
        try:
            services.request_decide(actor=lead, request=requests[n], approve=True)
        except services.GapWarning:
            warned.append(n)

    errors = run_at_once(2, approve)

    assert errors == []
    mine = StaffRequest.objects.filter(user__in=[olga, omer])  # not the demo's own request
    statuses = sorted(mine.values_list("status", flat=True))
    assert statuses == [RequestStatus.APPROVED, RequestStatus.PENDING]
    assert len(warned) == 1
    assert Absence.objects.filter(user__in=[olga, omer]).count() == 1
