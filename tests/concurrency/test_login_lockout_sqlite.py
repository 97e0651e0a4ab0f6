"""The login lockout with concurrent attempts on the embedded SQLite database (threads with
their own connections, as the ASGI server's request threads have)."""

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from onthaal.accounts.models import LoginFailure, Role
from onthaal.accounts.tests.factories import PASSWORD, staff
from onthaal.audit.models import Action, AuditEvent
from tests.concurrency.threads import run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL variant is tests/concurrency/test_login_lockout_pg.py")


def _post(username: str, password: str) -> int:
    response = Client().post(
        reverse("accounts:login"), {"username": username, "password": password}
    )
    return response.status_code


@override_settings(LOCKOUT_ATTEMPTS=5, LOCKOUT_MINUTES=15)
def test_concurrent_wrong_passwords_on_sqlite_check_only_five():
    user = staff(Role.DESK_AGENT)
    codes: list[int] = []
    assert run_at_once(12, lambda n: codes.append(_post(user.username, "wrong"))) == []
    # Five passwords checked (each wrong; the ones that end after the fifth began are told the
    # name is locked now), seven refused without a check.
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 5
    refused = AuditEvent.objects.filter(
        action=Action.LOCKED_OUT, details__reason="attempt while locked"
    )
    assert refused.count() == 7
    assert len(codes) == 12 and codes.count(403) >= 8
    assert LoginFailure.objects.filter(username=user.username).count() == 5


@override_settings(LOCKOUT_ATTEMPTS=5, LOCKOUT_MINUTES=15)
def test_concurrent_right_passwords_after_five_failures_on_sqlite_are_refused():
    user = staff(Role.DESK_AGENT)
    assert [_post(user.username, "wrong") for _ in range(5)] == [200] * 4 + [403]
    codes: list[int] = []
    assert run_at_once(8, lambda n: codes.append(_post(user.username, PASSWORD))) == []
    assert codes == [403] * 8
    assert AuditEvent.objects.filter(action=Action.LOGIN).count() == 0
