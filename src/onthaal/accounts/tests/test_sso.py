"""Staff single sign-on against a real OpenID Connect provider on 127.0.0.1
(tests/oidc_provider): the whole redirect flow — Onthaal sends the browser to the provider,
the provider's login form answers with a code, Onthaal's callback exchanges it on the back
channel and checks the RS256 id_token — then accounts, memberships from groups, refusals and
their audit events."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.oidc_provider import Provider

from onthaal.accounts.models import (
    ExternalIdentity,
    GroupMapping,
    Membership,
    MembershipSource,
    Role,
)
from onthaal.accounts.services import sso
from onthaal.accounts.tests.factories import PASSWORD, DepartmentFactory, staff
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import flush_pending_refusals
from onthaal.core.errors import AccessDenied

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/staff/login/sso/callback/"


@pytest.fixture
def provider(oidc_provider: Provider, settings: Any) -> Provider:
    """The provider with Onthaal registered as a client, and Onthaal configured for it."""
    oidc_provider.add_client("onthaal", "client-secret", redirect_uris=[CALLBACK])
    settings.SSO_DISCOVERY_URL = oidc_provider.discovery_url
    settings.SSO_CLIENT_ID = "onthaal"
    settings.SSO_CLIENT_SECRET = "client-secret"
    return oidc_provider


@pytest.fixture
def burgerzaken() -> Any:
    return DepartmentFactory(slug="burgerzaken", name="Burgerzaken")


@pytest.fixture
def sociale_dienst() -> Any:
    return DepartmentFactory(slug="sociale-dienst", name="Sociale Dienst", confidential=True)


def _to_provider(client: Any, next_url: str = "") -> str:
    url = reverse("accounts:sso") + (f"?next={next_url}" if next_url else "")
    response = client.get(url)
    assert response.status_code == 302, response.content
    return response["Location"]


def _provider_login(authorize_url: str, username: str, password: str = "secret") -> str:
    """The browser at the provider: its login form, then the redirect back to Onthaal."""
    browser = requests.Session()
    form = browser.get(authorize_url, timeout=10)
    assert form.status_code == 200 and 'name="password"' in form.text
    back = browser.post(
        authorize_url,
        data={"username": username, "password": password},
        timeout=10,
        allow_redirects=False,
    )
    assert back.status_code == 302, back.text
    return back.headers["Location"]


def _callback(client: Any, location: str) -> Any:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client: Any, username: str, next_url: str = "") -> Any:
    """The full redirect flow; returns Onthaal's answer to the callback."""
    return _callback(client, _provider_login(_to_provider(client, next_url), username))


def _events(action: str, **details: Any) -> list[AuditEvent]:
    lookups = {f"details__{key}": value for key, value in details.items()}
    return list(AuditEvent.objects.filter(action=action, **lookups).order_by("pk"))


def _signed_in_user(client: Any) -> Any:
    response = client.get(reverse("accounts:start"))
    return response.wsgi_request.user if response.status_code == 200 else None


def test_the_authorization_request_carries_state_nonce_and_pkce(client, provider):
    query = parse_qs(urlsplit(_to_provider(client)).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["onthaal"]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert set(query["scope"][0].split()) == {"openid", "profile", "email"}


def test_sign_in_makes_an_account_with_the_role_of_its_group(client, provider, burgerzaken):
    GroupMapping.objects.create(
        group="g-balie",
        department=burgerzaken,
        role=Role.DESK_AGENT,
        changed_at="2026-11-29T10:00Z",
    )
    person = provider.add_user(
        "an",
        preferred_username="an.peeters@testdorp.be",
        given_name="An",
        family_name="Peeters",
        email="an.peeters@testdorp.be",
        groups=["g-balie", "g-other"],
    )

    response = sign_in(client, "an", next_url="/staff/")

    assert response.status_code == 302 and response["Location"] == "/staff/"
    user = _signed_in_user(client)
    assert user is not None and user.username == "an.peeters@testdorp.be"
    assert (user.first_name, user.last_name) == ("An", "Peeters")
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (provider.issuer, person.sub)
    membership = Membership.objects.get(user=user)
    assert (membership.department, membership.role) == (burgerzaken, Role.DESK_AGENT)
    assert membership.source == MembershipSource.SSO
    [login] = _events(Action.LOGIN, via="sso")
    assert login.object_id == str(user.pk) and login.actor_id == str(user.pk)
    assert login.details == {
        "via": "sso",
        "issuer": provider.issuer,
        "groups": 2,
        "unmapped": 1,
        "created": True,
        "granted": 1,
        "removed": 0,
    }
    [granted] = _events(Action.CREATE, via="sso", role="desk_agent")
    assert granted.object_type == "accounts.membership"
    assert granted.details["group"] == "g-balie" and granted.department_id == burgerzaken.pk
    assert _events(Action.CREATE, via="sso", issuer=provider.issuer)[0].object_type == "user"


def test_the_account_is_found_by_issuer_and_subject_never_by_e_mail(client, provider, burgerzaken):
    GroupMapping.objects.create(
        group="g-balie",
        department=burgerzaken,
        role=Role.DESK_AGENT,
        changed_at="2026-11-29T10:00Z",
    )
    local = staff(Role.ADMIN, username="jan@testdorp.be", email="jan@testdorp.be")
    provider.add_user(
        "jan", preferred_username="jan@testdorp.be", email="jan@testdorp.be", groups=["g-balie"]
    )

    sign_in(client, "jan")
    first = _signed_in_user(client)
    client.logout()
    sign_in(client, "jan")
    second = _signed_in_user(client)

    # Not the local administrator with the same name and address: a new account, twice the same.
    assert first.pk == second.pk != local.pk
    assert first.username == "jan@testdorp.be-2"
    assert not Membership.objects.filter(user=first, role=Role.ADMIN).exists()
    assert ExternalIdentity.objects.count() == 1
    assert [e.details["created"] for e in _events(Action.LOGIN, via="sso")] == [True, False]


def test_a_role_is_lost_at_the_next_sign_in_when_the_group_goes(client, provider, burgerzaken):
    lead_department = DepartmentFactory(slug="omgeving")
    GroupMapping.objects.create(
        group="g-balie",
        department=burgerzaken,
        role=Role.DESK_AGENT,
        changed_at="2026-11-29T10:00Z",
    )
    GroupMapping.objects.create(
        group="g-onthaal", department=None, role=Role.RECEPTIONIST, changed_at="2026-11-29T10:00Z"
    )
    person = provider.add_user("els", groups=["g-balie", "g-onthaal"])
    sign_in(client, "els")
    user = _signed_in_user(client)
    # An administrator gave her a role by hand too: single sign-on leaves it alone.
    manual = Membership.objects.create(user=user, department=lead_department, role=Role.MAIL_CLERK)
    client.logout()

    person.claims["groups"] = ["g-onthaal"]
    response = sign_in(client, "els")

    assert response.status_code == 302
    assert {(m.department_id, m.role, m.source) for m in Membership.objects.filter(user=user)} == {
        (None, Role.RECEPTIONIST, MembershipSource.SSO),
        (lead_department.pk, Role.MAIL_CLERK, MembershipSource.ADMIN),
    }
    assert Membership.objects.filter(pk=manual.pk).exists()
    [removed] = _events(Action.DELETE, via="sso")
    assert removed.object_type == "accounts.membership"
    assert removed.details["reason"] == "group_gone"
    assert (removed.details["department"], removed.details["role"]) == ("burgerzaken", "desk_agent")
    assert _events(Action.LOGIN, via="sso")[-1].details["removed"] == 1


def test_someone_whose_last_group_went_loses_the_roles_and_is_refused(
    client, provider, burgerzaken
):
    GroupMapping.objects.create(
        group="g-balie",
        department=burgerzaken,
        role=Role.DESK_AGENT,
        changed_at="2026-11-29T10:00Z",
    )
    person = provider.add_user("tom", groups=["g-balie"])
    sign_in(client, "tom")
    user = _signed_in_user(client)
    client.logout()

    person.claims["groups"] = []
    response = sign_in(client, "tom")

    assert response.status_code == 403
    assert 'id="sso-error"' in response.content.decode()
    assert _signed_in_user(client) is None
    assert not Membership.objects.filter(user=user).exists()
    [refused] = _events(Action.LOGIN_FAILED, via="sso")
    assert refused.details["reason"] == "no_known_group" and refused.object_id == str(user.pk)


def test_a_person_without_a_known_group_gets_no_account(client, provider):
    provider.add_user("piet", groups=["g-unknown"])

    response = sign_in(client, "piet")

    assert response.status_code == 403
    assert not get_user_model().objects.exists() and not ExternalIdentity.objects.exists()
    [refused] = _events(Action.LOGIN_FAILED, via="sso")
    assert refused.details == {
        "via": "sso",
        "reason": "no_known_group",
        "issuer": provider.issuer,
        "groups": 1,
        "unmapped": 1,
    }


def test_a_callback_with_a_state_this_session_did_not_start_is_refused(
    client, provider, burgerzaken
):
    from django.test import Client

    GroupMapping.objects.create(
        group="g-balie",
        department=burgerzaken,
        role=Role.DESK_AGENT,
        changed_at="2026-11-29T10:00Z",
    )
    provider.add_user("eva", groups=["g-balie"])
    location = _provider_login(_to_provider(client), "eva")

    other_browser = Client()
    response = _callback(other_browser, location)

    assert response.status_code == 400
    assert _signed_in_user(other_browser) is None
    assert not get_user_model().objects.exists()
    [refused] = _events(Action.LOGIN_FAILED, via="sso")
    assert refused.details["reason"] == "state"


def test_an_id_token_with_another_nonce_is_refused(client, provider, burgerzaken):
    GroupMapping.objects.create(
        group="g-balie",
        department=burgerzaken,
        role=Role.DESK_AGENT,
        changed_at="2026-11-29T10:00Z",
    )
    provider.add_user("eva", groups=["g-balie"])
    provider.tamper_id_token = {"nonce": "a-replayed-token"}

    response = sign_in(client, "eva")

    assert response.status_code == 400
    assert _signed_in_user(client) is None and not get_user_model().objects.exists()
    [refused] = _events(Action.LOGIN_FAILED, via="sso")
    assert refused.details["reason"] == "nonce"


def test_an_id_token_for_another_client_is_refused(client, provider, burgerzaken):
    GroupMapping.objects.create(
        group="g-balie",
        department=burgerzaken,
        role=Role.DESK_AGENT,
        changed_at="2026-11-29T10:00Z",
    )
    provider.add_user("eva", groups=["g-balie"])
    provider.tamper_id_token = {"aud": ["another-application"]}

    response = sign_in(client, "eva")

    assert response.status_code == 400 and _signed_in_user(client) is None
    assert _events(Action.LOGIN_FAILED, via="sso")[0].details["reason"] == "id_token"


def test_a_provider_error_is_refused_and_audited(client, provider):
    state = parse_qs(urlsplit(_to_provider(client)).query)["state"][0]

    response = client.get(
        reverse("accounts:sso-callback"), {"error": "access_denied", "state": state}
    )

    assert response.status_code == 400
    [refused] = _events(Action.LOGIN_FAILED, via="sso")
    assert refused.details["reason"] == "provider_error"
    assert refused.details["detail"] == "access_denied"


def test_the_login_page_offers_the_button_only_when_configured(client, settings, provider):
    response = client.get(reverse("accounts:login"))
    assert "Aanmelden met je organisatie-account" in response.content.decode()
    settings.SSO_DISCOVERY_URL = ""
    response = client.get(reverse("accounts:login"))
    assert "organisatie-account" not in response.content.decode()
    assert client.get(reverse("accounts:sso"))["Location"] == reverse("accounts:login")


# --- mappings to a confidential department: a second administrator (ADR 0014) --------------


def test_a_confidential_mapping_gives_nothing_until_a_second_administrator_approves(
    client, provider, sociale_dienst
):
    first, second = staff(Role.ADMIN, username="admin1"), staff(Role.ADMIN, username="admin2")
    mapping = sso.mapping_save(
        actor=first, group="g-ocmw", department=sociale_dienst, role=Role.SOCIAL_WORKER
    )
    assert mapping.status == GroupMapping.Status.PENDING
    provider.add_user("sara", groups=["g-ocmw"])

    assert sign_in(client, "sara").status_code == 403  # pending: no role

    with pytest.raises(AccessDenied):
        sso.mapping_approve(actor=first, mapping=mapping)
    assert flush_pending_refusals() == 1  # written after the (test's) transaction
    refusal = AuditEvent.objects.get(action=Action.PERMISSION_DENIED, actor_id=str(first.pk))
    assert refusal.details["reason"] == "four_eyes"
    sso.mapping_approve(actor=second, mapping=mapping)

    assert sign_in(client, "sara").status_code == 302
    user = _signed_in_user(client)
    membership = Membership.objects.get(user=user)
    assert membership.department == sociale_dienst and membership.role == Role.SOCIAL_WORKER
    [granted] = _events(Action.CREATE, via="sso", confidential=True)
    assert granted.details["approved_by"] == "admin2" and granted.details["mapping"] == mapping.pk


def test_changing_an_approved_confidential_mapping_needs_approval_again(sociale_dienst):
    first, second = staff(Role.ADMIN, username="admin1"), staff(Role.ADMIN, username="admin2")
    mapping = sso.mapping_save(
        actor=first, group="g-ocmw", department=sociale_dienst, role=Role.SOCIAL_WORKER
    )
    sso.mapping_approve(actor=second, mapping=mapping)

    changed = sso.mapping_save(
        actor=second,
        group="g-ocmw",
        department=sociale_dienst,
        role=Role.TEAM_LEAD,
        mapping=mapping,
    )

    assert changed.status == GroupMapping.Status.PENDING and changed.approved_by is None
    # The one who changed it cannot approve it; the other one can.
    with pytest.raises(AccessDenied):
        sso.mapping_approve(actor=second, mapping=changed)
    assert flush_pending_refusals() == 1
    sso.mapping_approve(actor=first, mapping=changed)
    events = AuditEvent.objects.filter(object_type="accounts.groupmapping").order_by("pk")
    assert [e.action for e in events] == [
        "create",
        "update",
        "update",
        "permission_denied",
        "update",
    ]
    assert events[2].details["before"]["role"] == "social_worker"
    assert events[2].details["role"] == "team_lead"


def test_the_database_refuses_an_approval_by_whoever_changed_the_mapping(sociale_dienst):
    from django.db import IntegrityError, transaction

    admin = staff(Role.ADMIN)
    mapping = sso.mapping_save(
        actor=admin, group="g-ocmw", department=sociale_dienst, role=Role.SOCIAL_WORKER
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMapping.objects.filter(pk=mapping.pk).update(approved_by=admin, status="active")


def test_mappings_are_made_changed_and_removed_in_the_admin_with_audit_events(client, burgerzaken):
    admin = staff(Role.ADMIN, username="admin1")
    client.force_login(admin)

    response = client.post(
        reverse("admin:accounts_groupmapping_add"),
        {"group": "g-balie", "department": burgerzaken.pk, "role": Role.DESK_AGENT},
    )
    assert response.status_code == 302
    mapping = GroupMapping.objects.get()
    assert mapping.status == GroupMapping.Status.ACTIVE and mapping.changed_by == admin
    client.post(
        reverse("admin:accounts_groupmapping_change", args=[mapping.pk]),
        {"group": "g-balie", "department": burgerzaken.pk, "role": Role.TEAM_LEAD},
    )
    client.post(reverse("admin:accounts_groupmapping_delete", args=[mapping.pk]), {"post": "yes"})

    assert not GroupMapping.objects.exists()
    events = list(AuditEvent.objects.filter(object_type="accounts.groupmapping").order_by("pk"))
    assert [(e.action, e.details["role"]) for e in events] == [
        ("create", "desk_agent"),
        ("update", "team_lead"),
        ("delete", "team_lead"),
    ]
    assert all(e.actor_id == str(admin.pk) for e in events)


def test_a_desk_agent_cannot_change_mappings(client, burgerzaken):
    client.force_login(staff(Role.DESK_AGENT, burgerzaken))
    response = client.get(reverse("admin:accounts_groupmapping_changelist"))
    assert response.status_code in (302, 403)
    with pytest.raises(AccessDenied):
        sso.mapping_save(
            actor=staff(Role.TEAM_LEAD, burgerzaken),
            group="g",
            department=burgerzaken,
            role=Role.ADMIN,
        )
    assert not GroupMapping.objects.exists()


# --- local passwords off, except for the break-glass administrator with two-step login -------


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.second_factor
def test_local_passwords_off_refuse_staff_but_not_the_break_glass_admin_with_two_step_login(
    client, settings, provider, burgerzaken
):
    settings.LOCAL_PASSWORDS = False
    desk = staff(Role.DESK_AGENT, burgerzaken, username="desk")
    admin_without_app = staff(Role.ADMIN, username="admin-no-app")
    admin = staff(Role.ADMIN, username="breakglass")
    device = TOTPDevice.objects.create(user=admin, name="authenticator", confirmed=True)
    login = reverse("accounts:login")

    page = client.get(login).content.decode()
    assert 'id="break-glass-note"' in page and 'id="sso-button"' in page
    for refused in (desk, admin_without_app):
        response = client.post(login, {"username": refused.username, "password": PASSWORD})
        assert response.status_code == 200 and "niet correct" in response.content.decode()
        assert _signed_in_user(client) is None
        [event] = AuditEvent.objects.filter(action=Action.LOGIN_FAILED, object_id=str(refused.pk))
        assert event.details == {"reason": "local_password_disabled"}

    response = client.post(login, {"username": "breakglass", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second-factor"))
    response = client.post(response["Location"], {"code": _code(device)})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    assert AuditEvent.objects.filter(
        action=Action.LOGIN, object_id=str(admin.pk), details__step="second"
    ).exists()


@pytest.mark.second_factor
def test_an_administrator_by_sso_skips_onthaals_code_only_when_the_provider_does_the_second_step(
    client, settings, provider
):
    GroupMapping.objects.create(
        group="g-it", department=None, role=Role.ADMIN, changed_at="2026-11-29T10:00Z"
    )
    provider.add_user("it", groups=["g-it"])

    response = sign_in(client, "it")
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200
    client.logout()

    settings.SSO_SECOND_STEP_AT_PROVIDER = False
    response = sign_in(client, "it")
    assert response["Location"].startswith(reverse("accounts:enrol"))
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("accounts:enrol"))


def test_a_deactivated_account_is_refused_even_with_its_group(client, provider, burgerzaken):
    GroupMapping.objects.create(
        group="g-balie",
        department=burgerzaken,
        role=Role.DESK_AGENT,
        changed_at="2026-11-29T10:00Z",
    )
    provider.add_user("rik", groups=["g-balie"])
    sign_in(client, "rik")
    user = _signed_in_user(client)
    client.logout()
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert sign_in(client, "rik").status_code == 403
    assert _events(Action.LOGIN_FAILED, via="sso")[0].details["reason"] == "inactive"
