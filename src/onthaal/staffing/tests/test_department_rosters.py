"""Rosters per department: a team lead proposes and publishes their own department's roster at
a location; another department's published roster stays as it is, and a lead who asks for
another department is refused (403, audited). Capacity follows each department's own
published roster; an old whole-location roster is split per department on upgrade."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from onthaal.accounts.models import Role
from onthaal.accounts.services import twofactor
from onthaal.accounts.tests.factories import staff
from onthaal.audit.models import AuditEvent
from onthaal.organisation.models import Department, Desk
from onthaal.staffing import capacity
from onthaal.staffing.models import Roster, RosterAssignment
from onthaal.staffing.tests.data import WEDNESDAY, WEEK, at, person, plan, roster
from onthaal.staffing.tests.test_api import auth

BOARD = "/staff/planning/administratief-centrum/"


def _rows(r: Roster) -> list[tuple]:
    return list(
        r.assignments.order_by("pk").values_list(
            "pk", "user_id", "day", "start", "end", "place", "desk_id", "department_id"
        )
    )


@pytest.fixture
def leads(zonnedoorn, monkeypatch):
    """Tom leads Burgerzaken (the demo's); Olivia leads Omgeving."""
    monkeypatch.setattr(twofactor, "due", lambda request: None)
    omgeving = Department.objects.get(slug="omgeving")
    return {
        "burgerzaken": zonnedoorn["users"]["teamlead"],
        "omgeving": staff(Role.TEAM_LEAD, omgeving, username="olivia"),
    }


@pytest.mark.django_db
def test_a_lead_publishes_their_department_and_the_other_published_roster_stays(
    zonnedoorn, leads, client
):
    ac = zonnedoorn["ac"]
    burgerzaken, omgeving = (Department.objects.get(slug=s) for s in ("burgerzaken", "omgeving"))
    client.force_login(leads["omgeving"])
    assert client.post(BOARD + "propose/", {"week": WEEK}).status_code == 302
    assert client.post(BOARD + "publish/", {"week": WEEK}).status_code == 302
    theirs = Roster.objects.get(location=ac, week=WEEK)
    assert (theirs.department, theirs.status) == (omgeving, Roster.Status.PUBLISHED)
    assert theirs.assignments.exists()
    before = (_rows(theirs), theirs.published_at, theirs.unmet)

    client.force_login(leads["burgerzaken"])
    assert client.post(BOARD + "propose/", {"week": WEEK}).status_code == 302
    own = Roster.objects.get(location=ac, week=WEEK, department=burgerzaken)
    assert own.status == Roster.Status.DRAFT and own.assignments.exists()
    # Tom's proposal plans Burgerzaken's people only, at Burgerzaken's desks only.
    assert set(own.assignments.values_list("user__staff_profile__department", flat=True)) == {
        burgerzaken.pk
    }
    assert set(own.assignments.exclude(department=None).values_list("department", flat=True)) == {
        burgerzaken.pk
    }
    page = client.get(BOARD, {"week": WEEK})
    assert [b["department"] for b in page.context["rosters"]] == [burgerzaken]
    response = client.post(BOARD + "publish/", {"week": WEEK, "department": burgerzaken.pk})
    assert response.status_code == 302

    own.refresh_from_db()
    theirs.refresh_from_db()
    assert own.status == Roster.Status.PUBLISHED
    assert (_rows(theirs), theirs.published_at, theirs.unmet) == before
    assert theirs.status == Roster.Status.PUBLISHED
    assert Roster.objects.filter(location=ac, week=WEEK).count() == 2
    published = AuditEvent.objects.filter(
        object_type="staffing.roster", details__transition="publish"
    )
    assert sorted(e.details["department"] for e in published) == sorted(
        [burgerzaken.pk, omgeving.pk]
    )


@pytest.mark.django_db
def test_a_lead_cannot_propose_or_publish_another_department(zonnedoorn, leads, client):
    ac = zonnedoorn["ac"]
    omgeving = Department.objects.get(slug="omgeving")
    client.force_login(leads["omgeving"])
    client.post(BOARD + "propose/", {"week": WEEK})
    theirs = Roster.objects.get(location=ac, week=WEEK, department=omgeving)
    before = _rows(theirs)
    refused = AuditEvent.objects.filter(action="permission_denied").count()

    client.force_login(leads["burgerzaken"])
    page_publish = client.post(BOARD + "publish/", {"week": WEEK, "department": omgeving.pk})
    page_propose = client.post(BOARD + "propose/", {"week": WEEK, "department": "omgeving"})
    row = theirs.assignments.first()
    page_edit = client.post(
        BOARD + f"assignments/{row.pk}/", {"place": "back_office", "desk": "", "week": WEEK}
    )
    body = {"location": ac.slug, "week": WEDNESDAY.isoformat(), "department": "omgeving"}
    token = auth(leads["burgerzaken"])
    api_publish = client.post(
        "/api/v1/staffing/rosters/publish/", body, content_type="application/json", **token
    )
    api_propose = client.post(
        "/api/v1/staffing/rosters/propose/", body, content_type="application/json", **token
    )

    statuses = [
        page_publish.status_code,
        page_propose.status_code,
        page_edit.status_code,
        api_publish.status_code,
        api_propose.status_code,
    ]
    assert statuses == [403] * 5
    theirs.refresh_from_db()
    assert theirs.status == Roster.Status.DRAFT and _rows(theirs) == before
    assert list(Roster.objects.filter(location=ac, week=WEEK)) == [theirs]
    events = AuditEvent.objects.filter(action="permission_denied").order_by("pk")[refused:]
    assert [e.object_type for e in events] == [
        "staffing.roster",
        "staffing.roster",
        "staffing.assignment",
        "staffing.roster",
        "staffing.roster",
    ]
    assert {e.department_id for e in events} == {omgeving.pk}


@pytest.mark.django_db
def test_the_api_publishes_the_leads_own_department(zonnedoorn, leads, client):
    ac = zonnedoorn["ac"]
    burgerzaken = Department.objects.get(slug="burgerzaken")
    token = auth(leads["burgerzaken"])
    body = {"location": ac.slug, "week": WEDNESDAY.isoformat()}
    missing = client.post(
        "/api/v1/staffing/rosters/publish/", body, content_type="application/json", **token
    )
    assert missing.status_code == 404
    client.post("/api/v1/staffing/rosters/propose/", body, content_type="application/json", **token)

    published = client.post(
        "/api/v1/staffing/rosters/publish/",
        {**body, "department": burgerzaken.slug},
        content_type="application/json",
        **token,
    )
    again = client.post(
        "/api/v1/staffing/rosters/publish/", body, content_type="application/json", **token
    )
    proposed = client.post(
        "/api/v1/staffing/rosters/propose/", body, content_type="application/json", **token
    )

    assert published.status_code == 200, published.content
    roster_ = Roster.objects.get(location=ac, week=WEEK)
    assert published.json() == {
        "week": WEEK.isoformat(),
        "published": [{"id": roster_.pk, "department": burgerzaken.pk, "status": "published"}],
    }
    assert [again.status_code, proposed.status_code] == [409, 409]


@pytest.mark.django_db
def test_capacity_follows_each_departments_own_published_roster(zonnedoorn):
    """Burgerzaken's roster is published (Bart at Balie 1), Omgeving's is a draft: Burgerzaken's
    desks follow the roster, Omgeving's Balie 5 keeps its desk schedule."""
    bart = person("bart", "burgerzaken", "eid-aanvragen")
    plan(roster(), bart, "Balie 1", WEDNESDAY, "09:00", "11:00")
    roster(department="omgeving", status=Roster.Status.DRAFT)
    ac = zonnedoorn["ac"]
    desks = list(Desk.objects.filter(location=ac, name__in=["Balie 1", "Balie 2", "Balie 5"]))
    by_name = {d.name: d.pk for d in desks}

    days, spans = capacity.staffed_spans(desks, [], at(WEDNESDAY, "00:00"), at(WEDNESDAY, "23:00"))

    assert set(days) == {by_name["Balie 1"], by_name["Balie 2"]}
    assert days[by_name["Balie 1"]] == {WEDNESDAY}
    assert spans[by_name["Balie 1"]] == [(at(WEDNESDAY, "09:00"), at(WEDNESDAY, "11:00"))]
    assert spans[by_name["Balie 2"]] == []  # Burgerzaken's, nobody planned: no slots
    assert by_name["Balie 5"] not in days  # Omgeving's roster is a draft: its schedule holds


@pytest.mark.django_db(transaction=True)
def test_an_old_location_roster_is_split_per_department_on_upgrade():
    """Before: one roster per location and week. After the migration: the front shifts in the
    roster of the department they serve, the others in the person's department's, each with
    the status and unmet constraints that belong to it."""
    from onthaal.accounts.tests.factories import DepartmentFactory, DeskFactory, LocationFactory

    location = LocationFactory()
    first, second = DepartmentFactory(name="A dienst"), DepartmentFactory(name="B dienst")
    for department in (first, second):
        department.locations.add(location)
    desk = DeskFactory(location=location)
    desk.departments.add(second)
    anna = staff(Role.DESK_AGENT, first, username="anna")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("staffing")
    executor.migrate([("staffing", "0001_initial")])
    try:
        old = executor.loader.project_state([("staffing", "0001_initial")]).apps
        old.get_model("staffing", "StaffProfile").objects.create(
            user_id=anna.pk, department_id=first.pk
        )
        now = at(WEDNESDAY, "08:00")
        whole = old.get_model("staffing", "Roster").objects.create(
            location_id=location.pk,
            week=WEEK,
            status="published",
            created_at=now,
            published_at=now,
            unmet=[
                {"day": "2027-03-24", "shift": "morning", "department": second.pk, "missing": 1}
            ],
        )
        make = old.get_model("staffing", "RosterAssignment").objects.create
        common = {"roster_id": whole.pk, "user_id": anna.pk, "day": WEDNESDAY}
        front = make(
            **common,
            start=dt.time(8),
            end=dt.time(12, 30),
            place="desk",
            desk_id=desk.pk,
            department_id=second.pk,
        )
        back = make(**common, start=dt.time(12, 30), end=dt.time(17), place="back_office")
    finally:
        MigrationExecutor(connection).migrate(latest)

    rosters = {r.department_id: r for r in Roster.objects.filter(location=location, week=WEEK)}
    assert set(rosters) == {first.pk, second.pk}
    assert {r.status for r in rosters.values()} == {"published"}
    assert RosterAssignment.objects.get(pk=front.pk).roster == rosters[second.pk]
    assert RosterAssignment.objects.get(pk=back.pk).roster == rosters[first.pk]
    assert rosters[second.pk].unmet and rosters[first.pk].unmet == []
