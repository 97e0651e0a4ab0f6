import pytest
from django.db import transaction

from onthaal.accounts import access
from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, UserFactory, staff
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import flush_pending_refusals
from onthaal.core.errors import AccessDenied

pytestmark = pytest.mark.django_db


def test_team_lead_has_capability_only_in_own_department():
    own, other = DepartmentFactory(), DepartmentFactory()
    lead = staff(Role.TEAM_LEAD, own)
    assert access.can(lead, "catalogue.change", own)
    assert not access.can(lead, "catalogue.change", other)
    assert list(access.departments_with(lead, "catalogue.change")) == [own]


def test_administration_wide_role_never_covers_a_confidential_department():
    public = DepartmentFactory()
    social = DepartmentFactory(confidential=True)
    admin = staff(Role.ADMIN)
    assert access.can(admin, "catalogue.change", public)
    assert not access.can(admin, "catalogue.change", social)
    assert social not in access.visible_departments(admin)
    assert public in access.visible_departments(admin)


def test_member_of_confidential_department_sees_it():
    social = DepartmentFactory(confidential=True)
    worker = staff(Role.SOCIAL_WORKER, social)
    assert list(access.visible_departments(worker)) == [social]


def test_user_without_membership_has_nothing():
    user = UserFactory()
    assert not access.can(user, "staff.start")
    assert list(access.visible_departments(user)) == []


def test_require_audits_the_refusal():
    dept = DepartmentFactory()
    clerk = staff(Role.MAIL_CLERK, dept)
    with pytest.raises(AccessDenied):
        access.require(clerk, "catalogue.change", dept, object_type="product", object_id="7")
    # The test runs inside a transaction, so the refusal waits to be written after it.
    assert flush_pending_refusals() == 1
    event = AuditEvent.objects.get(action=Action.PERMISSION_DENIED)
    assert event.actor_id == str(clerk.pk)
    assert event.department_id == dept.pk
    assert event.details == {"capability": "catalogue.change"}
    assert (event.object_type, event.object_id) == ("product", "7")


@pytest.mark.django_db(transaction=True)
def test_refusal_inside_a_rolled_back_transaction_survives():
    dept = DepartmentFactory()
    clerk = staff(Role.MAIL_CLERK, dept)
    with pytest.raises(AccessDenied), transaction.atomic():
        DepartmentFactory(name="half-written")
        access.require(clerk, "catalogue.change", dept)
    assert flush_pending_refusals() == 1
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1
    assert not DepartmentFactory._meta.model.objects.filter(name="half-written").exists()


def test_start_page_by_role():
    assert access.start_page(staff(Role.ADMIN)) == "admin:index"
    assert access.start_page(staff(Role.AUDITOR)) == "audit:search"
    assert access.start_page(staff(Role.RECEPTIONIST)) == "accounts:start"
