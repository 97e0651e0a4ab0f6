"""Every page of the foundation, as a person sees it: axe-core finds 0 violations, at phone and
desktop width; skip link, focus and the language switch work. Screenshots are kept in
test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import enrol_device, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
PUBLIC = {
    "locations": "/locations/",
    "location-ac": "/locations/administratief-centrum/",
    "location-sh": "/locations/sociaal-huis/",
    "login": "/staff/login/",
    "booking-start": "/afspraak/",
}
STAFF = {
    "start-receptionist": ("onthaal", "/staff/"),
    "start-desk-agent": ("balie", "/staff/"),
    "start-social-worker": ("mw", "/staff/"),
    "start-team-lead": ("teamlead", "/staff/"),
    "start-manager": ("manager", "/staff/"),
    "audit-search": ("auditor", "/staff/audit/"),
    "audit-search-results": ("auditor", "/staff/audit/?object_type=user&action=login"),
    "admin-index": ("admin", "/admin/"),
    "admin-products": ("teamlead", "/admin/catalogue/product/"),
    "admin-opening-rules": ("admin", "/admin/hours/openingrule/"),
    "agenda": ("balie", "/staff/agenda/administratief-centrum/"),
    "agenda-search": ("balie", "/staff/agenda/administratief-centrum/?q=jan"),
    "reception-page": ("onthaal", "/staff/reception/administratief-centrum/"),
    "lead-page": ("teamlead", "/staff/lead/administratief-centrum/"),
    "desk-choose": ("balie", "/staff/desk/"),
    "messages-to-citizens": ("balie", "/staff/messages/"),
}


def _assert_accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_have_no_axe_violations(demo, page_factory, live_server, name, width):
    page = page_factory(*WIDTHS[width])
    response = page.goto(live_server.url + PUBLIC[name])
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "nl"
    _assert_accessible(page, f"{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", STAFF)
def test_staff_pages_have_no_axe_violations(demo, page_factory, live_server, name, width):
    username, path = STAFF[name]
    page = page_factory(*WIDTHS[width])
    login(page, live_server.url, username)
    response = page.goto(live_server.url + path)
    assert response.status == 200
    _assert_accessible(page, f"{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_kiosk_page_of_a_device_has_no_axe_violations(demo, page_factory, live_server, width):
    page = page_factory(*WIDTHS[width])
    enrol_device(page, live_server.url, "sociaal-huis")
    assert page.url == live_server.url + "/kiosk/sociaal-huis/"
    _assert_accessible(page, f"kiosk-page-{width}")


def test_failed_login_shows_the_error_accessibly(demo, page_factory, live_server):
    page = page_factory()
    page.goto(live_server.url + "/staff/login/")
    page.fill("#id_username", "balie")
    page.fill("#id_password", "wrong")
    page.click("main button[type=submit]")
    alert = page.wait_for_selector("[role=alert]")
    assert "niet correct" in alert.inner_text() or "not correct" in alert.inner_text()
    _assert_accessible(page, "login-error")


def test_skip_link_is_first_and_moves_focus_to_the_content(demo, page_factory, live_server):
    page = page_factory()
    page.goto(live_server.url + "/locations/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_focus_is_visible_on_links(demo, page_factory, live_server):
    page = page_factory()
    page.goto(live_server.url + "/locations/")
    page.focus("a[href='/locations/administratief-centrum/']")
    style = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert style not in ("none", "")


def test_language_switch_changes_the_page_language_and_back(demo, page_factory, live_server):
    page = page_factory(390, 844)
    page.goto(live_server.url + "/locations/administratief-centrum/")
    for code in ["fr", "en", "nl"]:
        page.select_option("#language-select", code)
        page.click(".lang-switch button")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == code
        assert page.url.endswith("/locations/administratief-centrum/")
    screenshot(page, "language-back-to-nl-phone")
