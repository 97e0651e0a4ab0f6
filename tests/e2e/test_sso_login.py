"""Staff single sign-on in a real browser: the button on the staff login, the organisation's
provider (a real OpenID Connect provider on 127.0.0.1, tests/oidc_provider) and its login
form, and back in Onthaal signed in with the role the provider's group gives."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_staff_member_signs_in_with_the_organisation_account(
    transactional_db, live_server, page_factory, oidc_provider, settings
):
    from onthaal.accounts.models import GroupMapping, Membership, Role
    from onthaal.accounts.tests.factories import DepartmentFactory
    from onthaal.audit.models import Action, AuditEvent
    from onthaal.core import clock

    burgerzaken = DepartmentFactory(slug="burgerzaken", name="Burgerzaken")
    GroupMapping.objects.create(
        group="g-balie", department=burgerzaken, role=Role.DESK_AGENT, changed_at=clock.now()
    )
    # Any loopback callback: the live server picks its port.
    oidc_provider.add_client("onthaal", "client-secret")
    oidc_provider.add_user(
        "an",
        password="provider-pw",
        preferred_username="an.peeters@testdorp.be",
        given_name="An",
        family_name="Peeters",
        groups=["g-balie"],
    )
    settings.SSO_DISCOVERY_URL = oidc_provider.discovery_url
    settings.SSO_CLIENT_ID = "onthaal"
    settings.SSO_CLIENT_SECRET = "client-secret"

    page = page_factory()
    page.goto(f"{live_server.url}/staff/login/")
    screenshot(page, "sso-login-button")
    page.get_by_role("link", name="Aanmelden met je organisatie-account").click()

    page.wait_for_url(f"{oidc_provider.issuer}/authorize*")
    page.fill("#username", "an")
    page.fill("#password", "provider-pw")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{live_server.url}/staff/")
    assert page.locator(".staff-name").inner_text() == "An Peeters"
    assert "Burgerzaken" in page.locator(".staff-roles").inner_text()
    screenshot(page, "sso-signed-in")
    membership = Membership.objects.get(user__username="an.peeters@testdorp.be")
    assert (membership.department, membership.role) == (burgerzaken, Role.DESK_AGENT)
    assert AuditEvent.objects.filter(action=Action.LOGIN, details__via="sso").count() == 1
