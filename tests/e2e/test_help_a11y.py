"""The help pages as a person sees them: the help link in the header opens the manual at the
task about the page, the search works without script, and axe-core finds 0 violations on the
search page, every role's manual and the release notes (desktop and phone width)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from onthaal.help import manual
from onthaal.help.views import role_slug
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def test_help_pages_have_no_axe_violations(demo, page_factory, live_server):
    base = live_server.url
    page = page_factory()
    login(page, base, "onthaal")
    page.goto(f"{base}/staff/reception/sociaal-huis/")
    page.get_by_role("link", name="Help", exact=True).click()
    page.wait_for_url("**/staff/help/receptionist/#reception-ticket")
    assert page.get_by_role("heading", name="Een ticket uitgeven aan een bezoeker").is_visible()

    page.goto(f"{base}/staff/help/")
    _accessible(page, "help-index")
    page.get_by_label("Zoeken in de handleiding").fill("notitie overdragen")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url("**/staff/help/?q=*")
    page.get_by_role(
        "link", name="Een bezoeker doorverwijzen naar de maatschappelijk werker"
    ).click()
    page.wait_for_url("**/staff/help/receptionist/#reception-handoff")
    page.goto(f"{base}/staff/help/?q=notitie")
    _accessible(page, "help-search")
    for role in manual.ROLES:
        page.goto(f"{base}/staff/help/{role_slug(role)}/")
        _accessible(page, f"help-{role_slug(role)}")
    page.goto(f"{base}/staff/help/release-notes/")
    _accessible(page, "help-release-notes")

    phone = page_factory(390, 844)
    login(phone, base, "mw")
    for path in ("/staff/help/", "/staff/help/social-worker/"):
        phone.goto(base + path)
        _accessible(phone, "help-phone" + path.replace("/", "-").rstrip("-"))
