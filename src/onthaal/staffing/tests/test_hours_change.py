"""A change of opening hours that would open a gap in the staff coverage is shown with its
gaps (department, day, hour, needed and planned) and saved only when confirmed; one that
opens none is saved as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from onthaal.audit.models import AuditEvent
from onthaal.hours.models import OpeningRule
from onthaal.organisation.models import Department
from onthaal.staffing import hours_impact
from onthaal.staffing.models import StaffProfile
from onthaal.staffing.tests.data import person

pytestmark = pytest.mark.django_db
# The fixture's clock stands on Tuesday 2027-03-23; the four weeks read run to 2027-04-19.
FRIDAYS = [dt.date(2027, 3, 26), dt.date(2027, 4, 2), dt.date(2027, 4, 9), dt.date(2027, 4, 16)]


def _only_olga():
    # Omgeving has one desk (Balie 5) at the Administratief Centrum: one person is needed
    # while it is open. Olga works every weekday, mornings and afternoons, but no evenings.
    StaffProfile.objects.filter(department__slug="omgeving").delete()
    return person("olga", "omgeving", evenings=False)


def _form(ac, rule=None, **fields):
    data = {
        "location": ac.pk,
        "department": "",
        "channel": "appointment",
        "weekday": "4",
        "opens": "16:00",
        "closes": "19:00",
        "valid_from": "2027-03-22",
        "valid_until": "",
    }
    if rule is not None:
        data.update(
            channel=rule.channel,
            weekday=str(rule.weekday),
            opens=f"{rule.opens:%H:%M}",
            closes=f"{rule.closes:%H:%M}",
            valid_from=rule.valid_from.isoformat(),
        )
    return {**data, **fields}


def _friday_evening(ac):
    """Appointments on Friday until 19:00, like the late Thursday (not saved)."""
    return OpeningRule(
        location=ac,
        channel="appointment",
        weekday=4,
        opens=dt.time(16),
        closes=dt.time(19),
        valid_from=dt.date(2027, 3, 22),
    )


def test_widening_the_hours_into_an_unstaffed_evening_shows_the_gap(zonnedoorn):
    _only_olga()
    omgeving = Department.objects.get(slug="omgeving")
    friday_evening = _friday_evening(zonnedoorn["ac"])

    gaps = hours_impact.hours_change_gaps(zonnedoorn["ac"], rule=friday_evening)

    mine = [c for c in gaps if c.department == omgeving.pk]
    assert [(c.day, c.hour, c.needed, c.planned) for c in mine] == [
        (friday, hour, 1, 0) for friday in FRIDAYS for hour in (17, 18)
    ]
    # The Thursday evening, already without Olga, is not a gap this change opens.
    assert not [c for c in gaps if c.day.weekday() == 3]
    words = hours_impact.describe(mine[:1])
    assert words == ["vr 26/03 17:00-18:00, Omgeving: 1 nodig, 0 gepland"]


def test_a_change_that_opens_no_gap_shows_none(zonnedoorn):
    _only_olga()
    friday_morning = OpeningRule.objects.get(
        location=zonnedoorn["ac"], department=None, channel="walk_in", weekday=4
    )
    friday_morning.opens = dt.time(9)  # shorter: 09:00 instead of 08:30

    assert hours_impact.hours_change_gaps(zonnedoorn["ac"], rule=friday_morning) == []


def test_the_admin_asks_to_confirm_a_change_that_opens_a_gap_and_audits_it(zonnedoorn, client):
    _only_olga()
    ac = zonnedoorn["ac"]
    client.force_login(zonnedoorn["users"]["admin"])
    before = OpeningRule.objects.count()
    expected = len(hours_impact.hours_change_gaps(ac, rule=_friday_evening(ac)))

    refused = client.post(reverse("admin:hours_openingrule_add"), _form(ac))

    assert refused.status_code == 200
    errors = refused.context["adminform"].form.non_field_errors()
    assert len(errors) == 1
    assert "vr 26/03 17:00-18:00, Omgeving: 1 nodig, 0 gepland" in errors[0]
    assert OpeningRule.objects.count() == before

    saved = client.post(reverse("admin:hours_openingrule_add"), _form(ac, accept_gap="on"))

    assert saved.status_code == 302
    assert OpeningRule.objects.count() == before + 1
    warnings = [str(m) for m in get_messages(saved.wsgi_request)]
    assert any("Omgeving: 1 nodig, 0 gepland" in m for m in warnings)
    rule = OpeningRule.objects.get(location=ac, weekday=4, opens=dt.time(16))
    event = AuditEvent.objects.get(object_type="hours.openingrule", object_id=str(rule.pk))
    assert event.details["coverage_gaps"] == expected >= 8


def test_the_admin_saves_a_change_without_a_gap_at_once(zonnedoorn, client):
    _only_olga()
    ac = zonnedoorn["ac"]
    rule = OpeningRule.objects.get(location=ac, department=None, channel="walk_in", weekday=4)
    client.force_login(zonnedoorn["users"]["admin"])

    response = client.post(
        reverse("admin:hours_openingrule_change", args=[rule.pk]), _form(ac, rule, opens="09:00")
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.opens == dt.time(9)
    assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    event = AuditEvent.objects.filter(object_type="hours.openingrule").latest("pk")
    assert "coverage_gaps" not in event.details
