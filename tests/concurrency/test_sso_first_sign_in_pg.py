"""First single sign-ons at once on PostgreSQL: the same person signing in from several
browsers at the same moment gets one account, one identity and one membership; different
people with the same user name claim get different accounts — never a server error."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from onthaal.accounts.models import ExternalIdentity, GroupMapping, Membership, Role
from onthaal.accounts.services import sso
from onthaal.accounts.tests.factories import DepartmentFactory
from onthaal.audit.models import Action, AuditEvent
from onthaal.core import clock
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]

ISSUER = "https://login.example.be/tenant/v2.0"


def _claims(subject: str) -> dict[str, object]:
    return {
        "iss": ISSUER,
        "sub": subject,
        "preferred_username": "an@testdorp.be",
        "groups": ["g-balie"],
    }


@pytest.fixture(autouse=True)
def _mapping() -> None:
    department = DepartmentFactory(slug="burgerzaken")
    GroupMapping.objects.create(
        group="g-balie", department=department, role=Role.DESK_AGENT, changed_at=clock.now()
    )


def test_the_same_person_signing_in_eight_times_at_once_gets_one_account():
    def work(n: int) -> None:
        sso.sign_in(request=RequestFactory().get("/"), claims=_claims("subject-1"))

    assert run_at_once(8, work) == []

    assert get_user_model().objects.count() == 1
    assert ExternalIdentity.objects.count() == 1
    assert Membership.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.LOGIN, details__via="sso").count() == 8
    assert (
        AuditEvent.objects.filter(action=Action.CREATE, object_type="accounts.membership").count()
        == 1
    )


def test_eight_people_with_the_same_user_name_claim_get_eight_accounts():
    def work(n: int) -> None:
        sso.sign_in(request=RequestFactory().get("/"), claims=_claims(f"subject-{n}"))

    assert run_at_once(8, work) == []

    names = set(get_user_model().objects.values_list("username", flat=True))
    assert names == {"an@testdorp.be", *(f"an@testdorp.be-{n}" for n in range(2, 9))}
    assert ExternalIdentity.objects.count() == 8
