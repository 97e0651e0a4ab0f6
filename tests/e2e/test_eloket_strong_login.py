"""The e-loket's strong login in a real browser (Debian's Chromium): the demo's "uittreksel
uit het strafregister" needs itsme/eID; the citizen signs in at the citizens' provider (a real
OpenID Connect provider on 127.0.0.1, tests/oidc_provider), comes back to a form with the name
filled in and the national register number read-only, files the request, and signs out. At
phone width (390 px), axe-core finds 0 violations on the pages of the way."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NRN = "85073003328"


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, f"eloket-strong-{name}")
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def test_a_citizen_signs_in_with_itsme_files_and_signs_out(
    demo, live_server, page_factory, oidc_provider, settings
):
    from onthaal.audit.models import Action, AuditEvent
    from onthaal.eloket.models import Request

    oidc_provider.add_client("eloket", "eloket-secret")  # any loopback callback
    oidc_provider.add_user(
        "jan", password="provider-pw", given_name="Jan", family_name="Peeters", nrn=NRN
    )
    settings.ELOKET_OIDC_DISCOVERY_URL = oidc_provider.discovery_url
    settings.ELOKET_OIDC_CLIENT_ID = "eloket"
    settings.ELOKET_OIDC_CLIENT_SECRET = "eloket-secret"
    base = live_server.url

    page = page_factory(width=390, height=844)
    page.goto(f"{base}/e-loket/product/strafregister/form/")
    _accessible(page, "login")
    page.get_by_role("link", name="Aanmelden met itsme/eID").click()

    page.wait_for_url(f"{oidc_provider.issuer}/authorize*")
    page.fill("#username", "jan")
    page.fill("#password", "provider-pw")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{base}/e-loket/product/strafregister/form/")
    assert page.input_value("#f-naam") == "Jan Peeters"
    assert page.input_value("#f-rijksregisternummer") == NRN
    assert page.locator("#f-rijksregisternummer").get_attribute("readonly") is not None
    page.check("#f-model-1")
    page.fill("#f-email", "jan@example.org")
    page.wait_for_function(
        "document.querySelector('input[name=altcha]').value.length > 0", timeout=20_000
    )
    _accessible(page, "form-signed-in")
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_url(re.compile(r"/received/"))
    filed = Request.objects.get(product__slug="strafregister", email="jan@example.org")
    assert filed.national_number == NRN
    assert filed.reference in page.locator("main").inner_text()

    # Signing out: back on the product, and the form asks for a login again.
    page.goto(f"{base}/e-loket/product/strafregister/form/")
    page.click("#eloket-logout")
    page.wait_for_url(f"{base}/e-loket/product/strafregister/")
    page.goto(f"{base}/e-loket/product/strafregister/form/")
    assert page.get_by_role("link", name="Aanmelden met itsme/eID").count() == 1
    assert page.locator("#f-naam").count() == 0
    assert AuditEvent.objects.filter(action=Action.LOGIN, details__via="eloket").count() == 1
    assert AuditEvent.objects.filter(action=Action.LOGOUT, details__via="eloket").count() == 1


def test_without_a_provider_the_demo_says_the_request_is_not_available_online(
    demo, live_server, page_factory, settings
):
    settings.ELOKET_OIDC_DISCOVERY_URL = ""
    page = page_factory(width=390, height=844)
    page.goto(f"{live_server.url}/e-loket/product/strafregister/form/")
    assert page.locator("#f-naam").count() == 0
    assert page.get_by_role("link", name="Afspraak maken").count() >= 1
    _accessible(page, "unavailable")
