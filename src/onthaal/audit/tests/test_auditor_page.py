import csv
import io

import pytest
from django.urls import reverse

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, staff
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import record_event

pytestmark = pytest.mark.django_db


def test_auditor_searches_by_object_and_the_search_is_itself_an_event(client):
    auditor = staff(Role.AUDITOR, username="anna")
    record_event(action="view", object_type="mail.item", object_id="42")
    record_event(action="view", object_type="mail.item", object_id="43")
    client.force_login(auditor)
    response = client.get(reverse("audit:search"), {"object_type": "mail.item", "object_id": "42"})
    assert response.status_code == 200
    assert [e.object_id for e in response.context["page"]] == ["42"]
    search = AuditEvent.objects.filter(action=Action.SEARCH).get()
    assert search.actor_label == "anna"
    assert search.details == {"filters": {"object_type": "mail.item", "object_id": "42"}}


def test_auditor_filters_by_actor_and_period(client):
    auditor = staff(Role.AUDITOR)
    clerk = staff(Role.MAIL_CLERK, DepartmentFactory(), username="paula")
    record_event(action="view", actor=clerk, object_type="mail.item", object_id="1")
    record_event(action="view", object_type="mail.item", object_id="2")
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


def test_the_register_names_the_person_and_role_and_says_what_happened(client):
    """A line of the register: the actor's full name and role label, a sentence, and the raw
    fields only behind the disclosure."""
    dept = DepartmentFactory()
    mira = staff(Role.SOCIAL_WORKER, dept, username="mira", first_name="Mira", last_name="Maes")
    record_event(
        action="view",
        actor=mira,
        object_type="queue.handoffnote",
        object_id="7",
        details={"ticket": "A001"},
    )
    record_event(
        action="transition",
        actor=mira,
        object_type="queue.ticket",
        object_id="3",
        details={"transition": "call", "code": "A001", "desk": 2},
    )
    client.force_login(staff(Role.AUDITOR))
    page = client.get(reverse("audit:search"), {"actor_name": "mira"}, HTTP_ACCEPT_LANGUAGE="nl")
    called, read = page.context["lines"]
    assert (read.actor, read.role) == ("Mira Maes", "maatschappelijk werker")
    assert read.sentence == "Mira Maes las de overdrachtsnota van ticket A001"
    assert called.sentence == "Mira Maes wijzigde ticket A001: opgeroepen"
    html = page.content.decode()
    assert "Mira Maes las de overdrachtsnota van ticket A001" in html
    table = html.index("<tbody>")
    assert html.index("<details>", table) < html.index("queue.handoffnote", table)  # raw


def test_the_csv_export_has_the_register_lines_and_is_itself_an_event(client):
    clerk = staff(Role.MAIL_CLERK, DepartmentFactory(), username="paula", first_name="Paula")
    for n in range(3):
        record_event(action="view", actor=clerk, object_type="mail.item", object_id=f"IN-{n}")
    client.force_login(staff(Role.AUDITOR, username="anna"))
    response = client.get(reverse("audit:export"), {"actor_name": "paula"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert len(rows) == 1 + 3
    assert [r[7] for r in rows[1:]] == ["IN-2", "IN-1", "IN-0"]
    assert all(r[2].startswith("Paula") for r in rows[1:])
    export = AuditEvent.objects.get(action=Action.EXPORT)
    assert export.actor_label == "anna"
    assert export.details == {"filters": {"actor": "paula"}, "rows": 3}


def test_the_export_is_refused_to_others_and_the_refusal_recorded(client):
    client.force_login(staff(Role.TEAM_LEAD, DepartmentFactory(), username="tom"))
    assert client.get(reverse("audit:export")).status_code == 403
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED, actor_label="tom").exists()
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()
