import pytest
from django.urls import reverse

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, staff
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import record_event

pytestmark = pytest.mark.django_db


def test_auditor_searches_by_object_and_the_search_is_itself_an_event(client):
    auditor = staff(Role.AUDITOR, username="anna")
    record_event(action="view", object_type="mailitem", object_id="42")
    record_event(action="view", object_type="mailitem", object_id="43")
    client.force_login(auditor)
    response = client.get(reverse("audit:search"), {"object_type": "mailitem", "object_id": "42"})
    assert response.status_code == 200
    assert [e.object_id for e in response.context["page"]] == ["42"]
    search = AuditEvent.objects.filter(action=Action.SEARCH).get()
    assert search.actor_label == "anna"
    assert search.details == {"filters": {"object_type": "mailitem", "object_id": "42"}}


def test_auditor_filters_by_actor_and_period(client):
    auditor = staff(Role.AUDITOR)
    clerk = staff(Role.MAIL_CLERK, DepartmentFactory(), username="paula")
    record_event(action="view", actor=clerk, object_type="mailitem", object_id="1")
    record_event(action="view", object_type="mailitem", object_id="2")
    client.force_login(auditor)
    response = client.get(
        reverse("audit:search"), {"actor_name": "paula", "start": "2000-01-01", "end": "2999-12-31"}
    )
    assert [e.object_id for e in response.context["page"]] == ["1"]
    empty = client.get(reverse("audit:search"), {"actor_name": "paula", "end": "2000-01-01"})
    assert list(empty.context["page"]) == []


def test_reversed_or_malformed_period_is_a_field_error_not_a_crash(client):
    client.force_login(staff(Role.AUDITOR))
    reversed_ = client.get(reverse("audit:search"), {"start": "2027-03-10", "end": "2027-03-01"})
    malformed = client.get(reverse("audit:search"), {"start": "10/03/2027x"})
    assert reversed_.status_code == 200 and "end" in reversed_.context["form"].errors
    assert malformed.status_code == 200 and "start" in malformed.context["form"].errors
    assert reversed_.context["page"] is None


def test_others_are_refused_and_the_refusal_is_recorded(client):
    dept = DepartmentFactory()
    lead = staff(Role.TEAM_LEAD, dept, username="tom")
    client.force_login(lead)
    response = client.get(reverse("audit:search"))
    assert response.status_code == 403
    refusal = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert (refusal.actor_label, refusal.object_type) == ("tom", "audit_event")
    assert not AuditEvent.objects.filter(action=Action.SEARCH).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("audit:search"))
    assert response.status_code == 302
