"""The staff planning's balance figures per department, from the dashboard: within the
dashboard's scope, department figures only (no names), each view audited."""

from __future__ import annotations

import pytest

from onthaal.audit.models import AuditEvent
from onthaal.staffing.models import StaffProfile

pytestmark = pytest.mark.django_db

URL = "/staff/reports/balance/"


def test_the_manager_sees_the_balance_per_department_without_names(client, zonnedoorn):
    manager = zonnedoorn["users"]["manager"]
    client.force_login(manager)

    dashboard = client.get("/staff/reports/", HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert 'href="/staff/reports/balance/?' in dashboard.content.decode()
    assert response.status_code == 200
    rows = response.context["rows"]
    scope = response.context["scope"]
    staffed = set(
        StaffProfile.objects.filter(department_id__in=scope.department_ids).values_list(
            "department__name", flat=True
        )
    )
    assert staffed, "the demo has a team"
    assert {row.department for row in rows} <= staffed
    assert {row.department for row in rows} & staffed
    page = response.content.decode()
    for profile in StaffProfile.objects.select_related("user"):
        assert profile.user.get_full_name() not in page
    event = AuditEvent.objects.filter(object_type="reporting.balance").latest("pk")
    assert (event.action, event.actor_label) == ("view", "manager")


def test_a_team_lead_sees_only_the_balance_of_their_department(client, zonnedoorn):
    client.force_login(zonnedoorn["users"]["teamlead"])

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert {row.department for row in response.context["rows"]} <= {zonnedoorn["bz"].name}


def test_staff_without_the_reporting_capability_are_refused_and_it_is_audited(client, zonnedoorn):
    client.force_login(zonnedoorn["users"]["balie"])

    response = client.get(URL)

    assert response.status_code == 403
    refusal = AuditEvent.objects.filter(action="permission_denied").latest("pk")
    assert refusal.actor_label == "balie"
