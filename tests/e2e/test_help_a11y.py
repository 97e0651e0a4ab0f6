"""The help pages as a person sees them: the help link in the header opens the manual at the
task about the page, the search works without script, and axe-core finds 0 violations on the
search page, every role's manual and the release notes (desktop and phone width)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from onthaal.help import manual, walks
from onthaal.help.views import role_slug
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def _built(root) -> None:
    """A built manual as `make manual` leaves it: a screenshot for every step, and a video
    with its Dutch captions for one task (its frames do not matter to these tests)."""
    from PIL import Image

    (root / "shots").mkdir(parents=True)
    (root / "videos").mkdir()
    for shot in walks.shots():
        Image.new("RGB", (1280, 800), "#f3f5f7").save(root / "shots" / f"{shot}.png")
    (root / "videos" / "reception-ticket.webm").write_bytes(b"\x1aE\xdf\xa3")
    (root / "videos" / "reception-ticket.nl.vtt").write_text(
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.000\n1. Open Onthaal in het menu.\n"
    )


def test_help_pages_have_no_axe_violations(demo, page_factory, live_server, settings, tmp_path):
    settings.MANUAL_BUILD_DIR = tmp_path / "manual"
    _built(tmp_path / "manual")
    base = live_server.url
    page = page_factory()
    login(page, base, "onthaal")
    page.goto(f"{base}/staff/reception/sociaal-huis/")
    page.get_by_role("link", name="Help", exact=True).click()
    page.wait_for_url("**/staff/help/receptionist/#reception-ticket")
    assert page.get_by_role("heading", name="Een ticket uitgeven aan een bezoeker").is_visible()

    # The role's page shows the screenshots of its steps and the video with captions on.
    assert page.locator("img.manual-shot").count() == len(
        [s for w in walks.WALKS if w.role == "receptionist" for s in w.steps if s.shot]
    )
    track = page.locator("video.manual-video track")
    assert track.get_attribute("kind") == "captions" and track.get_attribute("default") == ""
    assert track.get_attribute("srclang") == "nl"
    captions = page.request.get(base + track.get_attribute("src"))
    assert captions.headers["content-type"].startswith("text/vtt")
    assert captions.text().startswith("WEBVTT")

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
