"""The planning pages: the lead's board (coverage in colour and words, requests with their
impact, the proposed roster to edit and publish), one's own week with the private iCal feed,
and the CSV import; refused for staff without the planning capability."""

from __future__ import annotations

import icalendar
import pytest

from onthaal.accounts.models import Membership, Role
from onthaal.audit.models import AuditEvent
from onthaal.organisation.models import Department
from onthaal.staffing.models import FeedToken, Roster, RosterAssignment, StaffRequest
from onthaal.staffing.tests.data import WEEK

pytestmark = pytest.mark.django_db
BOARD = "/staff/planning/administratief-centrum/"


def test_the_lead_proposes_edits_and_publishes_and_staff_see_their_week(zonnedoorn, client):
    users = zonnedoorn["users"]
    client.force_login(users["teamlead"])

    page = client.get(BOARD, {"week": WEEK.isoformat()})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Burgerzaken" in html and 'class="coverage"' in html

    response = client.post(BOARD + "propose/", {"week": WEEK.isoformat()})
    assert response.status_code == 302
    roster = Roster.objects.get(location=zonnedoorn["ac"], week=WEEK)
    assert roster.status == Roster.Status.DRAFT and roster.assignments.exists()
    # Tom leads every department of the location here (a lead edits their own rows only).
    for department in zonnedoorn["ac"].departments.exclude(slug="burgerzaken"):
        Membership.objects.create(
            user=users["teamlead"], department=department, role=Role.TEAM_LEAD
        )
    row = roster.assignments.filter(place="back_office").first()
    desk = zonnedoorn["balie5"]
    response = client.post(
        BOARD + f"assignments/{row.pk}/", {"place": "desk", "desk": desk.pk, "week": WEEK}
    )
    row.refresh_from_db()
    assert (row.place, row.desk_id) == ("desk", desk.pk)

    client.post(BOARD + "publish/", {"week": WEEK.isoformat()})
    roster.refresh_from_db()
    assert roster.status == Roster.Status.PUBLISHED
    assert AuditEvent.objects.filter(object_type="staffing.roster").count() >= 3

    someone = RosterAssignment.objects.filter(roster=roster).first().user
    client.force_login(someone)
    mine = client.get("/staff/planning/mine/", {"week": WEEK.isoformat()})
    assert mine.status_code == 200
    assert roster.location.name in mine.content.decode()
    client.post("/staff/planning/mine/?week=" + WEEK.isoformat(), {"action": "feed"})
    url = client.get("/staff/planning/mine/").context["feed_url"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in FeedToken.objects.get(user=someone).token_hash
    client.logout()
    feed = client.get(f"/staff/planning/feed/{token}.ics")
    assert feed.status_code == 200
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert len(events) == RosterAssignment.objects.filter(user=someone).count()
    assert client.get("/staff/planning/feed/wrong.ics").status_code == 404


def test_a_request_that_opens_a_gap_is_warned_then_approved_when_confirmed(zonnedoorn, client):
    from onthaal.staffing.models import StaffProfile
    from onthaal.staffing.tests.data import WEDNESDAY, at, person

    StaffProfile.objects.filter(department__slug="omgeving").delete()
    olga, omer = person("olga", "omgeving"), person("omer", "omgeving")
    span = {"start": f"{WEDNESDAY}T00:00", "end": f"{WEDNESDAY}T23:59", "kind": "telework"}
    for who in (olga, omer):
        client.force_login(who)
        assert client.post("/staff/planning/mine/", span).status_code == 302
    first, second = (StaffRequest.objects.get(user=who) for who in (olga, omer))
    lead = zonnedoorn["users"]["teamlead"]
    # Tom leads Omgeving too: a lead decides the requests of their own departments only.
    Membership.objects.create(
        user=lead, department=Department.objects.get(slug="omgeving"), role=Role.TEAM_LEAD
    )
    client.force_login(lead)
    client.post(BOARD + f"requests/{first.pk}/", {"decision": "approve", "week": WEEK})
    board = client.get(BOARD, {"week": WEEK.isoformat()}).content.decode()
    assert "Warning: approving opens a gap" in board or "gat" in board

    client.post(BOARD + f"requests/{second.pk}/", {"decision": "approve", "week": WEEK})
    second.refresh_from_db()
    assert second.status == "pending"
    client.post(
        BOARD + f"requests/{second.pk}/", {"decision": "approve", "accept_gap": "1", "week": WEEK}
    )
    second.refresh_from_db()
    assert second.status == "approved" and second.gap
    assert at(WEDNESDAY, "00:00") == second.start


def test_staff_without_the_planning_capability_are_refused_and_audited(zonnedoorn, client):
    client.force_login(zonnedoorn["users"]["balie"])
    assert client.get(BOARD).status_code == 403
    assert client.post(BOARD + "propose/", {"week": WEEK}).status_code == 403
    assert client.get("/staff/planning/import/").status_code == 403
    assert not Roster.objects.exists()
    assert AuditEvent.objects.filter(action="permission_denied").count() >= 3
    assert client.get("/staff/planning/mine/").status_code == 200


def test_the_import_page_reports_rejected_rows(zonnedoorn, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(zonnedoorn["users"]["teamlead"])
    upload = SimpleUploadedFile(
        "people.csv", b"username,department,percent\nels,burgerzaken,80\nwim,nergens,0\n"
    )
    page = client.post("/staff/planning/import/", {"what": "people", "file": upload})
    assert page.status_code == 200
    report = page.context["report"]
    assert report.created == 1 and [line for line, _ in report.rejected] == [3]


def test_a_lead_plans_only_their_own_departments(zonnedoorn, client):
    """Tom leads Burgerzaken: the board shows its rows, people and requests only; the Sociaal
    Huis (no Burgerzaken there) is refused with an audit event, and so is deciding a request
    of an Omgeving colleague."""
    from onthaal.staffing.tests.data import WEDNESDAY, person

    omer = person("omer", "omgeving")
    client.force_login(omer)
    span = {"start": f"{WEDNESDAY}T00:00", "end": f"{WEDNESDAY}T23:59", "kind": "telework"}
    assert client.post("/staff/planning/mine/", span).status_code == 302
    other = StaffRequest.objects.get(user=omer)

    client.force_login(zonnedoorn["users"]["teamlead"])
    page = client.get(BOARD, {"week": WEEK.isoformat()})
    assert page.status_code == 200
    assert [b["department"].slug for b in page.context["grid"]] == ["burgerzaken"]
    assert {p.department.slug for p in page.context["people"]} == {"burgerzaken"}
    assert other.pk not in [item["request"].pk for item in page.context["pending"]]
    assert [d.name for d in page.context["balance"]["departments"]] == ["Burgerzaken"]
    assert [place.slug for place in page.context["locations"]] == ["administratief-centrum"]

    refused = AuditEvent.objects.filter(action="permission_denied").count()
    assert client.get("/staff/planning/sociaal-huis/").status_code == 403
    assert client.post("/staff/planning/sociaal-huis/propose/", {"week": WEEK}).status_code == 403
    response = client.post(BOARD + f"requests/{other.pk}/", {"decision": "approve", "week": WEEK})
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.status == "pending"
    events = AuditEvent.objects.filter(action="permission_denied").order_by("pk")[refused:]
    assert [e.object_type for e in events] == [
        "staffing.board",
        "staffing.board",
        "staffing.request",
    ]
    assert not Roster.objects.exists()
