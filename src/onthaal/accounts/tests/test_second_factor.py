"""Two-step login (TOTP with django-otp, ten recovery codes): required for administrators,
auditors and team leads, optional for others; every enrolment, reset and wrong code is an
audit event; the demo accounts skip it with DEBUG on only."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from onthaal.accounts.backends import DEMO_PASSWORD
from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import PASSWORD, DepartmentFactory, staff
from onthaal.audit.models import Action, AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.second_factor]


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _login(client: Any, user: Any, password: str = PASSWORD, next_url: str = "") -> Any:
    url = reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.username, "password": password})


def _enrolled(user: Any) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [f"code{n}abcd" for n in range(10)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return device, codes


def _events(user: Any, action: str) -> Any:
    return AuditEvent.objects.filter(action=action, object_id=str(user.pk))


@pytest.fixture
def lead() -> Any:
    return staff(Role.TEAM_LEAD, DepartmentFactory(slug="burgerzaken"), username="lead")


def test_a_lead_without_a_device_is_sent_to_enrolment_and_reaches_no_staff_page(client, lead):
    response = _login(client, lead)
    enrol = reverse("accounts:enrol")
    assert response.status_code == 302 and response["Location"].startswith(enrol + "?next=")
    for page in (reverse("accounts:start"), reverse("admin:index"), reverse("audit:search")):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(enrol)
    # The API with the same session: refused, with a reason.
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    # Nor can the verification page be skipped to: there is nothing to verify with yet.
    response = client.get(reverse("accounts:second-factor"))
    assert response.status_code == 302 and response["Location"].startswith(enrol)


def test_enrolment_shows_a_qr_code_and_the_apps_first_code_lets_the_lead_in(client, lead):
    _login(client, lead)
    page = client.get(reverse("accounts:enrol"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=lead, confirmed=False)
    assert client.get(reverse("accounts:enrol")).context["secret"]  # same device on reload
    assert TOTPDevice.objects.filter(user=lead).count() == 1
    response = client.post(reverse("accounts:enrol"), {"code": _code(device)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert StaticToken.objects.filter(device__user=lead).count() == 10
    device.refresh_from_db()
    assert device.confirmed
    event = _events(lead, Action.CREATE).get(object_type="accounts.second_factor")
    assert event.details == {"user": "lead", "event": "enrolled", "recovery_codes": 10}
    assert client.get(reverse("accounts:start")).status_code == 200


def test_a_wrong_code_at_enrolment_confirms_nothing_and_is_audited(client, lead):
    _login(client, lead)
    client.get(reverse("accounts:enrol"))
    device = TOTPDevice.objects.get(user=lead)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:enrol"), {"code": wrong})
    assert response.status_code == 200 and "code" in response.context["form"].errors
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=lead).exists()
    assert _events(lead, Action.LOGIN_FAILED).get().details == {
        "user": "lead",
        "step": "enrolment",
    }
    assert client.get(reverse("accounts:start")).status_code == 302


def test_an_enrolled_lead_gets_in_with_a_valid_code(client, lead):
    device, _codes = _enrolled(lead)
    lead_page = reverse("accounts:start")
    response = _login(client, lead, next_url=lead_page)
    verify = reverse("accounts:second-factor")
    assert response["Location"] == f"{verify}?next=%2Fstaff%2F"
    assert client.get(lead_page).status_code == 302
    response = client.post(response["Location"], {"code": _code(device)})
    assert response.status_code == 302 and response["Location"] == lead_page
    assert client.get(lead_page).status_code == 200
    login = _events(lead, Action.LOGIN).filter(details__step="second").get()
    assert login.details == {"step": "second", "with": "app"}


def test_a_wrong_code_is_refused_and_audited(client, lead):
    device, _codes = _enrolled(lead)
    _login(client, lead)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(reverse("accounts:second-factor"), {"code": wrong})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert client.get(reverse("accounts:start")).status_code == 302
    failed = _events(lead, Action.LOGIN_FAILED).get(object_type="accounts.second_factor")
    assert failed.details == {"user": "lead", "step": "login"}
    # And the device now makes the next try wait (django-otp's throttling).
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_a_recovery_code_works_once(client, lead):
    _device, codes = _enrolled(lead)
    _login(client, lead)
    response = client.post(reverse("accounts:second-factor"), {"code": codes[3].upper()})
    assert response.status_code == 302
    assert client.get(reverse("accounts:start")).status_code == 200
    used = _events(lead, Action.LOGIN).filter(details__step="second").get()
    assert used.details == {"step": "second", "with": "recovery_code", "left": 9}
    client.post(reverse("accounts:logout"))
    StaticDevice.objects.filter(user=lead).update(throttling_failure_count=0)
    _login(client, lead)
    response = client.post(reverse("accounts:second-factor"), {"code": codes[3]})
    assert response.status_code == 200
    assert client.get(reverse("accounts:start")).status_code == 302
    assert (
        _events(lead, Action.LOGIN_FAILED).filter(object_type="accounts.second_factor").count() == 1
    )
    assert StaticToken.objects.filter(device__user=lead).count() == 9


def test_other_roles_may_enrol_and_then_give_the_code_too(client):
    agent = staff(Role.DESK_AGENT, DepartmentFactory())
    response = _login(client, agent)
    assert response.status_code == 302 and "enrol" not in response["Location"]
    assert client.get(reverse("accounts:start")).status_code == 200
    client.post(reverse("accounts:logout"))
    _enrolled(agent)
    response = _login(client, agent)
    assert response["Location"].startswith(reverse("accounts:second-factor"))
    assert client.get(reverse("accounts:start")).status_code == 302


def test_the_demo_accounts_skip_the_second_step_with_debug_on_only(client, settings):
    admin = staff(Role.ADMIN, username="admin")
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    settings.DEBUG = True
    response = _login(client, admin, password=DEMO_PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse("accounts:start")).status_code == 200
    # The same session, once DEBUG is off: the second step is asked after all.
    settings.DEBUG = False
    response = client.get(reverse("accounts:start"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:enrol"))
    # And with DEBUG off the demo password does not log in at all.
    client.post(reverse("accounts:logout"))
    assert _login(client, admin, password=DEMO_PASSWORD).status_code == 200


def test_the_login_page_says_when_demo_accounts_skip_the_code(client, settings):
    settings.DEBUG = True
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="demo-note"' in page and "without the code" in page
    settings.DEBUG = False
    assert 'id="demo-note"' not in client.get(reverse("accounts:login")).content.decode()


def test_an_administrator_resets_a_lost_phone_and_it_is_audited(client, lead):
    _enrolled(lead)
    admin = staff(Role.ADMIN, username="beheer")
    admin_device, _codes = _enrolled(admin)
    _login(client, admin)
    client.post(reverse("accounts:second-factor"), {"code": _code(admin_device)})
    changelist = reverse("admin:auth_user_changelist")
    response = client.post(
        changelist, {"action": "reset_second_factor", "_selected_action": [lead.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=lead).exists()
    assert not StaticDevice.objects.filter(user=lead).exists()
    assert TOTPDevice.objects.filter(user=admin).exists()
    reset = _events(lead, Action.DELETE).get(object_type="accounts.second_factor")
    assert reset.actor_id == str(admin.pk)
    assert reset.details == {"user": "lead", "event": "reset", "self": False}
    # The lead's next login asks to enrol again.
    client.post(reverse("accounts:logout"))
    assert _login(client, lead)["Location"].startswith(reverse("accounts:enrol"))


def _signed_in_with_code(client: Any, user: Any, device: TOTPDevice) -> None:
    _login(client, user)
    response = client.post(reverse("accounts:second-factor"), {"code": _code(device)})
    assert response.status_code == 302
    # The app's code of this 30 s step is spent; let the test give it once more.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)


def test_a_desk_agent_turns_off_their_own_two_step_login_with_a_code_and_the_password(client):
    agent = staff(Role.DESK_AGENT, DepartmentFactory(), username="baliemedewerker")
    device, _codes = _enrolled(agent)
    _signed_in_with_code(client, agent, device)
    page = client.get(reverse("accounts:enrol"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    off = reverse("accounts:second-factor-off")
    assert f'action="{off}"' in page and 'id="turn-off-required"' not in page

    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(off, {"code": wrong, "password": PASSWORD})
    assert response.status_code == 200
    assert list(response.context["turn_off"].errors) == ["code"]
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(off, {"code": _code(device), "password": "not-the-password"})
    assert response.status_code == 200
    assert list(response.context["turn_off"].errors) == ["password"]
    assert TOTPDevice.objects.filter(user=agent).count() == 1
    assert StaticToken.objects.filter(device__user=agent).count() == 10
    failed = _events(agent, Action.LOGIN_FAILED).filter(details__step="turn_off")
    assert sorted(e.details["reason"] for e in failed) == ["wrong_code", "wrong_password"]
    assert not _events(agent, Action.DELETE).exists()

    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    response = client.post(off, {"code": _code(device), "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:start")
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert not StaticDevice.objects.filter(user=agent).exists()
    event = _events(agent, Action.DELETE).get(object_type="accounts.second_factor")
    assert event.actor_id == str(agent.pk)
    assert event.details == {"user": "baliemedewerker", "event": "turned_off"}
    # The session goes on, and the next login asks no code.
    assert client.get(reverse("accounts:start")).status_code == 200
    client.post(reverse("accounts:logout"))
    response = _login(client, agent)
    assert response.status_code == 302 and "two-step" not in response["Location"]
    assert "login/code" not in response["Location"]
    assert client.get(reverse("accounts:start")).status_code == 200


def test_a_team_lead_may_not_turn_off_two_step_login_and_the_refusal_is_audited(client, lead):
    device, _codes = _enrolled(lead)
    _signed_in_with_code(client, lead, device)
    page = client.get(reverse("accounts:enrol"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="turn-off-required"' in page and "cannot be turned off" in page
    assert reverse("accounts:second-factor-off") not in page

    response = client.post(
        reverse("accounts:second-factor-off"),
        {"code": _code(device), "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 403
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=lead, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=lead).count() == 10
    refused = _events(lead, Action.PERMISSION_DENIED).get()
    assert refused.object_type == "accounts.second_factor"
    assert refused.details == {"user": "lead", "event": "turn_off", "reason": "required_by_role"}
    assert not _events(lead, Action.DELETE).exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR])
def test_administrators_and_auditors_may_not_turn_it_off_either(client, role):
    user = staff(role, username="verplicht")
    device, _codes = _enrolled(user)
    _signed_in_with_code(client, user, device)
    response = client.post(
        reverse("accounts:second-factor-off"), {"code": _code(device), "password": PASSWORD}
    )
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert _events(user, Action.PERMISSION_DENIED).filter(details__event="turn_off").count() == 1


def test_turning_off_without_the_second_step_done_changes_nothing(client):
    agent = staff(Role.DESK_AGENT, DepartmentFactory(), username="halfweg")
    device, _codes = _enrolled(agent)
    off = reverse("accounts:second-factor-off")
    # Anonymous: to the login page.
    response = client.post(off, {"code": _code(device), "password": PASSWORD})
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    # The password given, the code not yet: sent to give the code.
    _login(client, agent)
    response = client.post(off, {"code": _code(device), "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second-factor"))
    assert TOTPDevice.objects.filter(user=agent).count() == 1
    assert not _events(agent, Action.DELETE).exists()
