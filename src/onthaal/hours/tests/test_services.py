import datetime as dt

import pytest
from django.urls import reverse

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, LocationFactory, staff
from onthaal.audit.models import Action, AuditEvent
from onthaal.core.errors import DomainError
from onthaal.hours import services
from onthaal.hours.models import OpeningException, OpeningRule

pytestmark = pytest.mark.django_db
T = dt.time.fromisoformat


def _rule(location, opens="08:30", closes="12:00", **kw):
    fields = {
        "location": location,
        "channel": "walk_in",
        "weekday": 0,
        "opens": T(opens),
        "closes": T(closes),
        "valid_from": dt.date(2027, 1, 1),
    }
    return services.rule_create(actor=None, **{**fields, **kw})


def test_rule_is_created_and_audited():
    rule = _rule(LocationFactory())
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="hours.openingrule")
    assert event.object_id == str(rule.pk)


def test_overlapping_rule_is_refused_with_a_field_message_and_nothing_saved():
    location = LocationFactory()
    _rule(location)
    with pytest.raises(DomainError) as refused:
        _rule(location, "11:00", "13:00")
    assert "overlapt met een andere regel" in refused.value.fields["opens"][0]
    assert OpeningRule.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="hours.openingrule").count() == 1


def test_touching_rules_and_other_channels_are_fine():
    location = LocationFactory()
    _rule(location)
    _rule(location, "12:00", "13:00")
    _rule(location, channel="phone")
    _rule(location, department=DepartmentFactory())
    assert OpeningRule.objects.count() == 4


def test_reversed_times_and_periods_are_refused():
    location = LocationFactory()
    with pytest.raises(DomainError) as times:
        _rule(location, "12:00", "08:00")
    with pytest.raises(DomainError) as period:
        _rule(location, valid_until=dt.date(2026, 1, 1))
    assert list(times.value.fields) == ["closes"]
    assert list(period.value.fields) == ["valid_until"]
    assert OpeningRule.objects.count() == 0


def test_exception_needs_a_reason_and_consistent_hours():
    location = LocationFactory()
    with pytest.raises(DomainError) as refused:
        services.exception_create(
            actor=None,
            location=location,
            date=dt.date(2027, 5, 7),
            reason=" ",
            closed=False,
            opens=T("12:00"),
            closes=T("10:00"),
        )
    assert set(refused.value.fields) == {"reason", "closes"}
    services.exception_create(
        actor=None, location=location, date=dt.date(2027, 5, 7), reason="Brugdag"
    )
    assert OpeningException.objects.get().closed


def _admin_form(location, department, opens, closes):
    return {
        "location": location.pk,
        "department": department.pk if department else "",
        "channel": "walk_in",
        "weekday": "0",
        "opens": opens,
        "closes": closes,
        "valid_from": "2027-01-01",
        "valid_until": "",
    }


def test_admin_refuses_an_overlapping_rule_with_a_clear_message(client):
    location = LocationFactory()
    _rule(location)
    client.force_login(staff(Role.ADMIN))
    response = client.post(
        reverse("admin:hours_openingrule_add"), _admin_form(location, None, "10:00", "11:00")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "overlapt met een andere regel" in errors["opens"][0]
    assert OpeningRule.objects.count() == 1


def test_admin_refuses_a_rule_ending_before_it_starts(client):
    location = LocationFactory()
    client.force_login(staff(Role.ADMIN))
    response = client.post(
        reverse("admin:hours_openingrule_add"), _admin_form(location, None, "12:00", "08:00")
    )
    assert response.status_code == 200
    assert "closes" in response.context["adminform"].form.errors
    assert OpeningRule.objects.count() == 0


def test_team_lead_edits_own_department_hours_only(client):
    location = LocationFactory()
    own, other = DepartmentFactory(), DepartmentFactory()
    lead = staff(Role.TEAM_LEAD, own)
    location_wide = _rule(location)
    theirs = _rule(location, department=other)
    client.force_login(lead)
    response = client.post(
        reverse("admin:hours_openingrule_add"), _admin_form(location, own, "13:00", "16:00")
    )
    assert response.status_code == 302
    listing = client.get(reverse("admin:hours_openingrule_changelist"))
    assert [r.department_id for r in listing.context["cl"].queryset] == [own.pk]
    assert client.get(reverse("admin:hours_openingrule_change", args=[theirs.pk])).status_code in (
        302,
        403,
    )
    assert client.get(
        reverse("admin:hours_openingrule_change", args=[location_wide.pk])
    ).status_code in (302, 403)
    refused = client.post(
        reverse("admin:hours_openingrule_add"), _admin_form(location, None, "17:00", "18:00")
    )
    assert "department" in refused.context["adminform"].form.errors
