"""GET /api/v1/reports/erlang-c/: the what-if calculator, for staff with reporting.view."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from onthaal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/erlang-c/"


def _client(zonnedoorn, username: str | None) -> APIClient:
    client = APIClient()
    if username:
        client.force_login(zonnedoorn["users"][username])
    return client


def test_a_manager_gets_the_desks_needed(zonnedoorn):
    response = _client(zonnedoorn, "manager").get(
        URL,
        {
            "arrivals_per_hour": 200,
            "service_minutes": 3,
            "target_wait_seconds": 20,
            "target_share": 0.8,
        },
    )

    assert response.status_code == 200
    assert response.json() == {
        "desks": 14,
        "service_level": 0.8884,
        "average_wait_seconds": 7.8,
        "wait_probability": 0.1741,
        "occupancy": 0.7143,
        "load": 10.0,
    }


def test_a_team_lead_may_and_a_desk_agent_may_not(zonnedoorn):
    params = {"arrivals_per_hour": 10, "service_minutes": 12}
    assert _client(zonnedoorn, "teamlead").get(URL, params).status_code == 200

    refused = _client(zonnedoorn, "balie").get(URL, params)

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    event = AuditEvent.objects.filter(action="permission_denied").latest("pk")
    assert (event.actor_label, event.object_type, event.details["capability"]) == (
        "balie",
        "reporting.erlang",
        "reporting.view",
    )
    assert _client(zonnedoorn, None).get(URL, params).status_code in (401, 403)


def test_bad_input_gets_field_errors(zonnedoorn):
    client = _client(zonnedoorn, "manager")

    response = client.get(URL, {"arrivals_per_hour": "-3", "target_share": "1.5"})

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"arrivals_per_hour", "service_minutes", "target_share"}
    too_many = client.get(URL, {"arrivals_per_hour": 10_000, "service_minutes": 480})
    assert too_many.status_code == 400
    assert too_many.json()["code"] == "too_many"
