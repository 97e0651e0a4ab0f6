import pytest
from rest_framework.test import APIClient

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, api_token, staff
from onthaal.audit.models import Action, AuditEvent, RefusalTally

pytestmark = pytest.mark.django_db


def test_device_authenticates_with_a_token():
    dept = DepartmentFactory(slug="burgerzaken")
    kiosk = staff(Role.RECEPTIONIST, dept, username="kiosk-ac-1")
    token = api_token(kiosk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {
        "username": "kiosk-ac-1",
        "memberships": [{"role": "receptionist", "department": "burgerzaken"}],
    }


def test_browser_authenticates_with_a_session():
    user = staff(Role.AUDITOR)
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/v1/me/").json()["memberships"] == [
        {"role": "auditor", "department": None}
    ]


def test_a_bad_token_is_refused_in_the_error_shape_and_counted_for_the_audit():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "authentication_failed"
    assert body["message"]
    # An anonymous refusal: counted, written with its client's others when the minute ends
    # (onthaal.audit.refusals; tests in audit/tests/test_anonymous_refusals.py).
    tally = RefusalTally.objects.get()
    assert (tally.object_id, tally.reason, tally.count) == (
        "/api/v1/me/",
        "authentication_failed",
        1,
    )
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 0


def test_anonymous_is_refused_and_counted_for_the_audit():
    response = APIClient().get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"
    assert RefusalTally.objects.get().reason == "not_authenticated"
