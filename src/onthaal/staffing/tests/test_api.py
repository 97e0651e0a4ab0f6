"""The staffing API: coverage per day, hour and department; an absence (201, availability
follows at once); a proposed roster with its unmet constraints — for the planning capability
only, with field errors for bad input."""

from __future__ import annotations

import pytest

from onthaal.accounts.tests.factories import api_token
from onthaal.organisation.models import Department
from onthaal.staffing.models import Absence, Roster
from onthaal.staffing.tests.data import WEDNESDAY, WEEK

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {api_token(user)}"}


def test_coverage_absence_and_proposal(zonnedoorn, client):
    lead = auth(zonnedoorn["users"]["teamlead"])
    coverage = client.get(
        "/api/v1/staffing/coverage/",
        {"location": "administratief-centrum", "from": WEDNESDAY, "to": WEDNESDAY},
        **lead,
    )
    assert coverage.status_code == 200, coverage.content
    cells = coverage.json()["cells"]
    assert cells and all(c["gap"] == c["needed"] - c["planned"] for c in cells)

    absence = client.post(
        "/api/v1/staffing/absences/",
        {
            "user": "sofie",
            "kind": "sickness",
            "start": "2027-03-24T08:00:00+01:00",
            "end": "2027-03-24T17:00:00+01:00",
        },
        content_type="application/json",
        **lead,
    )
    assert absence.status_code == 201, absence.content
    assert Absence.objects.filter(user__username="sofie", kind="sickness").count() == 1

    proposed = client.post(
        "/api/v1/staffing/rosters/propose/",
        {"location": "administratief-centrum", "week": WEDNESDAY},
        content_type="application/json",
        **lead,
    )
    assert proposed.status_code == 200, proposed.content
    body = proposed.json()
    assert body["week"] == WEEK.isoformat()
    # Tom leads Burgerzaken: its roster is proposed, no other department's.
    burgerzaken = Department.objects.get(slug="burgerzaken").pk
    assert [(r["department"], r["status"]) for r in body["rosters"]] == [(burgerzaken, "draft")]
    assert body["assignments"] and isinstance(body["unmet"], list)
    # Sofie is sick on Wednesday: the proposal does not plan her then.
    assert not [
        a for a in body["assignments"] if a["user"] == "sofie" and a["day"] == str(WEDNESDAY)
    ]


def test_bad_input_gives_field_errors_and_others_are_refused(zonnedoorn, client):
    lead = auth(zonnedoorn["users"]["teamlead"])
    bad = client.post(
        "/api/v1/staffing/absences/",
        {"user": "nobody", "kind": "holiday", "start": "2027-03-24T08:00:00", "end": "x"},
        content_type="application/json",
        **lead,
    )
    assert bad.status_code == 400
    assert {"user", "kind", "start", "end"} <= set(bad.json()["fields"])
    desk_agent = auth(zonnedoorn["users"]["balie"])
    assert (
        client.post(
            "/api/v1/staffing/rosters/propose/",
            {"location": "administratief-centrum", "week": WEDNESDAY},
            content_type="application/json",
            **desk_agent,
        ).status_code
        == 403
    )
    assert not Roster.objects.exists()
    assert (
        client.get(
            "/api/v1/staffing/coverage/",
            {"location": "x", "from": "2027-03-24", "to": "2027-03-01"},
            **lead,
        ).status_code
        == 400
    )


def test_a_lead_reads_and_changes_only_their_own_departments_through_the_api(zonnedoorn, client):
    """Tom leads Burgerzaken: the coverage lists its cells only; the Sociaal Huis (no
    Burgerzaken there), an absence of an Omgeving colleague and a proposal there are refused
    (403), each with an audit event, and nothing is written."""
    from onthaal.audit.models import AuditEvent
    from onthaal.staffing.tests.data import person

    omer = person("omer", "omgeving")
    lead = auth(zonnedoorn["users"]["teamlead"])
    own = Department.objects.get(slug="burgerzaken").pk
    coverage = client.get(
        "/api/v1/staffing/coverage/",
        {"location": "administratief-centrum", "from": WEDNESDAY, "to": WEDNESDAY},
        **lead,
    )
    assert coverage.status_code == 200, coverage.content
    assert {c["department"] for c in coverage.json()["cells"]} == {own}
    refused = AuditEvent.objects.filter(action="permission_denied").count()

    elsewhere = client.get(
        "/api/v1/staffing/coverage/",
        {"location": "sociaal-huis", "from": WEDNESDAY, "to": WEDNESDAY},
        **lead,
    )
    absence = client.post(
        "/api/v1/staffing/absences/",
        {
            "user": omer.username,
            "kind": "sickness",
            "start": "2027-03-24T08:00:00+01:00",
            "end": "2027-03-24T17:00:00+01:00",
        },
        content_type="application/json",
        **lead,
    )
    proposed = client.post(
        "/api/v1/staffing/rosters/propose/",
        {"location": "sociaal-huis", "week": WEDNESDAY},
        content_type="application/json",
        **lead,
    )

    assert [elsewhere.status_code, absence.status_code, proposed.status_code] == [403] * 3
    events = AuditEvent.objects.filter(action="permission_denied").order_by("pk")[refused:]
    assert [e.object_type for e in events] == [
        "staffing.coverage",
        "staffing.absence",
        "staffing.roster",
    ]
    assert not Absence.objects.filter(user=omer).exists()
    assert not Roster.objects.exists()
