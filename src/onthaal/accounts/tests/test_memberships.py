"""Memberships: each grant, change and removal is an audit event naming the department and
the role; a role in a confidential department needs a second administrator."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse

from onthaal.accounts.admin_access import CapabilityAdmin
from onthaal.accounts.models import Membership, MembershipRequest, Role
from onthaal.accounts.services import memberships
from onthaal.accounts.tests.factories import DepartmentFactory, staff
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import flush_pending_refusals
from onthaal.core import clock
from onthaal.core.errors import AccessDenied

pytestmark = pytest.mark.django_db


def _user_form(user, rows, **extra):
    """The admin's change form of ``user`` with the membership inline's ``rows``
    (dicts of id/department/role/DELETE)."""
    data = {
        "username": user.username,
        "is_active": "on",
        "date_joined_0": "2027-01-04",
        "date_joined_1": "09:00",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"memberships-{n}-{key}"] = value
        data[f"memberships-{n}-user"] = user.pk
    return data


def _membership_events():
    return list(
        AuditEvent.objects.filter(object_type="accounts.membership")
        .order_by("pk")
        .values_list("action", "department_id", "details")
    )


def test_a_membership_added_in_the_admin_names_its_department_and_role(client):
    burgerzaken = DepartmentFactory(slug="burgerzaken")
    admin_user = staff(Role.ADMIN, username="beheer")
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[admin_user.pk])
    own = Membership.objects.get(user=admin_user)
    rows = [
        {"id": own.pk, "department": "", "role": Role.ADMIN},
        {"department": burgerzaken.pk, "role": Role.TEAM_LEAD},
    ]
    response = client.post(url, _user_form(admin_user, rows))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    added = Membership.objects.get(user=admin_user, department=burgerzaken)
    assert _membership_events() == [
        (
            Action.CREATE,
            burgerzaken.pk,
            {
                "user": "beheer",
                "user_id": admin_user.pk,
                "department": "burgerzaken",
                "role": "team_lead",
                "confidential": False,
                "self": True,
            },
        )
    ]
    # A change names what it was; a removal what is gone.
    rows = [
        {"id": own.pk, "department": "", "role": Role.ADMIN},
        {"id": added.pk, "department": burgerzaken.pk, "role": Role.DESK_AGENT},
    ]
    assert client.post(url, _user_form(admin_user, rows)).status_code == 302
    rows[1]["DELETE"] = "on"
    assert client.post(url, _user_form(admin_user, rows)).status_code == 302
    events = _membership_events()
    assert [(action, details["role"]) for action, _d, details in events] == [
        (Action.CREATE, "team_lead"),
        (Action.UPDATE, "desk_agent"),
        (Action.DELETE, "desk_agent"),
    ]
    assert events[1][2]["before"] == {
        "department": "burgerzaken",
        "role": "team_lead",
        "confidential": False,
    }
    assert not Membership.objects.filter(user=admin_user, department=burgerzaken).exists()


def test_an_administrator_cannot_grant_themselves_a_confidential_department(client):
    social = DepartmentFactory(slug="sociale-dienst", confidential=True)
    admin_user = staff(Role.ADMIN)
    client.force_login(admin_user)
    own = Membership.objects.get(user=admin_user)
    rows = [
        {"id": own.pk, "department": "", "role": Role.ADMIN},
        {"department": social.pk, "role": Role.SOCIAL_WORKER},
    ]
    url = reverse("admin:auth_user_change", args=[admin_user.pk])
    response = client.post(url, _user_form(admin_user, rows))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "department" in errors[1]
    assert list(Membership.objects.filter(user=admin_user)) == [own]
    assert _membership_events() == []
    # Nor by moving an existing membership there.
    rows = [{"id": own.pk, "department": social.pk, "role": Role.ADMIN}]
    assert client.post(url, _user_form(admin_user, rows)).status_code == 200
    assert list(Membership.objects.filter(user=admin_user, department=social)) == []


def test_the_service_refuses_a_direct_confidential_grant_whoever_asks():
    social = DepartmentFactory(confidential=True)
    admin_user, worker = staff(Role.ADMIN), staff(Role.DESK_AGENT)
    with pytest.raises(memberships.SecondPersonRequired):
        memberships.membership_add(
            actor=admin_user, user=worker, department=social, role=Role.SOCIAL_WORKER
        )
    assert not Membership.objects.filter(department=social).exists()


def test_a_confidential_membership_needs_a_second_administrator():
    social = DepartmentFactory(slug="sociale-dienst", confidential=True)
    first, second = staff(Role.ADMIN, username="an"), staff(Role.ADMIN, username="bo")
    request = memberships.membership_request(
        actor=first, user=first, department=social, role=Role.SOCIAL_WORKER
    )
    # The one who asked cannot approve.
    with pytest.raises(AccessDenied):
        memberships.membership_request_decide(actor=first, request=request, approve=True)
    assert flush_pending_refusals() == 1  # written after the (test's) transaction
    refusal = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert refusal.details == {"reason": "four_eyes", "capability": "accounts.change"}
    assert not Membership.objects.filter(department=social).exists()
    memberships.membership_request_decide(actor=second, request=request, approve=True)
    assert Membership.objects.filter(
        user=first, department=social, role=Role.SOCIAL_WORKER
    ).exists()
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (MembershipRequest.Status.APPROVED, second)
    granted = AuditEvent.objects.get(object_type="accounts.membership")
    assert granted.actor_id == str(second.pk) and granted.department_id == social.pk
    assert granted.details | {} == {
        "user": "an",
        "user_id": first.pk,
        "department": "sociale-dienst",
        "role": "social_worker",
        "confidential": True,
        "self": False,
        "requested_by": "an",
        "decided_by": "bo",
        "status": "approved",
        "request": request.pk,
    }


def test_the_member_to_be_cannot_approve_their_own_request_and_a_rejection_grants_nothing():
    social = DepartmentFactory(confidential=True)
    first, second = staff(Role.ADMIN), staff(Role.ADMIN)
    request = memberships.membership_request(
        actor=first, user=second, department=social, role=Role.TEAM_LEAD
    )
    with pytest.raises(AccessDenied):
        memberships.membership_request_decide(actor=second, request=request, approve=True)
    third = staff(Role.ADMIN)
    memberships.membership_request_decide(actor=third, request=request, approve=False)
    assert not Membership.objects.filter(department=social).exists()
    request.refresh_from_db()
    assert request.status == MembershipRequest.Status.REJECTED


def test_the_database_keeps_the_four_eyes_rule():
    social = DepartmentFactory(confidential=True)
    first = staff(Role.ADMIN)
    request = MembershipRequest.objects.create(
        user=first,
        department=social,
        role=Role.SOCIAL_WORKER,
        requested_by=first,
        requested_at=clock.now(),
    )
    request.status, request.decided_by, request.decided_at = "approved", first, clock.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        request.save()


def test_requests_are_approved_in_the_admin_by_another_administrator(client):
    social = DepartmentFactory(confidential=True)
    first, second = staff(Role.ADMIN), staff(Role.ADMIN)
    worker = staff(Role.DESK_AGENT)
    client.force_login(first)
    response = client.post(
        reverse("admin:accounts_membershiprequest_add"),
        {"user": worker.pk, "department": social.pk, "role": Role.SOCIAL_WORKER},
    )
    assert response.status_code == 302
    request = MembershipRequest.objects.get()
    changelist = reverse("admin:accounts_membershiprequest_changelist")
    client.post(changelist, {"action": "approve", "_selected_action": [request.pk]})
    assert not Membership.objects.filter(department=social).exists()
    client.force_login(second)
    client.post(changelist, {"action": "approve", "_selected_action": [request.pk]})
    assert Membership.objects.filter(user=worker, department=social).exists()


def test_a_department_stays_confidential_once_made(client):
    social = DepartmentFactory(confidential=True)
    client.force_login(staff(Role.ADMIN))
    page = client.get(reverse("admin:organisation_department_change", args=[social.pk]))
    assert "confidential" not in page.context["adminform"].form.fields


def test_every_admin_page_asks_the_access_rules():
    """No model admin falls back to Django's staff/superuser permissions."""
    plain = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if not isinstance(model_admin, CapabilityAdmin)
    ]
    assert plain == []


def test_the_staff_form_has_no_superuser_or_staff_flags(client):
    admin_user = staff(Role.ADMIN)
    client.force_login(admin_user)
    page = client.get(reverse("admin:auth_user_change", args=[admin_user.pk]))
    fields = page.context["adminform"].form.fields
    assert "is_superuser" not in fields and "is_staff" not in fields
    assert "user_permissions" not in fields and "groups" not in fields


def test_a_new_account_cannot_be_created_with_a_confidential_membership(client):
    """The four-eyes rule holds on the admin's "add" page too: one administrator cannot
    create an account (for a colleague, or a second account of their own) that is a member
    of the social service."""
    social = DepartmentFactory(confidential=True)
    client.force_login(staff(Role.ADMIN))
    users_before = set(Membership.objects.values_list("user_id", flat=True))
    data = {
        "username": "tweede-ik",
        "usable_password": "true",
        "password1": "Lang-genoeg-wachtwoord-42",
        "password2": "Lang-genoeg-wachtwoord-42",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-department": social.pk,
        "memberships-0-role": Role.SOCIAL_WORKER,
    }
    response = client.post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "department" in errors[0]
    assert not Membership.objects.filter(department=social).exists()
    assert set(Membership.objects.values_list("user_id", flat=True)) == users_before
    assert not get_user_model().objects.filter(username="tweede-ik").exists()
    assert _membership_events() == []
