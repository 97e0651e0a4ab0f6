import datetime as dt

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from onthaal.accounts.backends import DEMO_PASSWORD
from onthaal.accounts.models import LoginFailure, Role
from onthaal.accounts.tests.factories import PASSWORD, staff
from onthaal.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def _login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_sends_each_role_to_its_start_page(client):
    auditor = staff(Role.AUDITOR)
    response = _login(client, auditor.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("audit:search")
    assert AuditEvent.objects.filter(action=Action.LOGIN, object_id=str(auditor.pk)).count() == 1


def test_wrong_password_shows_a_clear_error_and_is_audited(client):
    user = staff()
    response = _login(client, user.username, "wrong")
    assert response.status_code == 200
    assert "niet correct" in response.content.decode() or "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.object_id == user.username
    assert "wrong" not in str(event.details)


@override_settings(LOCKOUT_ATTEMPTS=3, LOCKOUT_MINUTES=15)
def test_account_locks_after_repeated_failures_even_for_the_right_password(client):
    user = staff()
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            _login(client, user.username, "wrong")
        response = _login(client, user.username, PASSWORD)
    assert response.status_code == 403
    assert "15" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).count() == 2


@override_settings(LOCKOUT_ATTEMPTS=3, LOCKOUT_MINUTES=15)
def test_lock_ends_after_the_lockout_period_and_success_clears_failures(client):
    user = staff()
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            _login(client, user.username, "wrong")
    with time_machine.travel(T0 + dt.timedelta(minutes=16), tick=False):
        response = _login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert LoginFailure.objects.filter(username=user.username).count() == 0


@override_settings(LOCKOUT_ATTEMPTS=3)
def test_lockout_is_per_user_name_case_insensitively(client):
    user = staff(username="bart")
    other = staff(username="ilse")
    with time_machine.travel(T0, tick=False):
        for name in ["bart", "BART", "Bart"]:
            _login(client, name, "wrong")
        assert _login(client, user.username, PASSWORD).status_code == 403
        assert _login(client, other.username, PASSWORD).status_code == 302


@override_settings(DEBUG=False)
def test_demo_password_is_refused_when_debug_is_off(client):
    user = staff()
    user.set_password(DEMO_PASSWORD)
    user.save()
    assert _login(client, user.username, DEMO_PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session


@override_settings(DEBUG=True)
def test_demo_password_works_in_debug(client):
    user = staff()
    user.set_password(DEMO_PASSWORD)
    user.save()
    assert _login(client, user.username, DEMO_PASSWORD).status_code == 302


def test_empty_form_gives_field_errors(client):
    response = client.post(reverse("accounts:login"), {"username": "", "password": ""})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"username", "password"}


def test_open_redirect_is_refused(client):
    user = staff()
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": user.username, "password": PASSWORD},
    )
    assert response["Location"] == reverse("accounts:start")


def test_logout_is_post_only_and_audited(client):
    user = staff()
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=Action.LOGOUT, object_id=str(user.pk)).count() == 1


def test_start_page_needs_login(client):
    response = client.get(reverse("accounts:start"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
