"""The kiosk as a device, in real Chromium: enrolled once with its link, it issues a ticket
with no staff session anywhere (no staff link on any page, no session cookie), prints it and
returns to its start page on its own; an answer lost on the network is said, retried, and
gives one ticket, not two. axe-core finds 0 violations on each kiosk page."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import enrol_device, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

START = "/kiosk/administratief-centrum/"
STAFF_TEXTS = ["Mijn startpagina", "Afmelden", "Personeel aanmelden", "Onthaal (receptie)"]


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def _no_staff_session(page) -> None:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    actions = page.eval_on_selector_all(
        "form[action]", "forms => forms.map(f => f.getAttribute('action'))"
    )
    assert not [h for h in hrefs + actions if "/staff/" in h or "/admin/" in h], hrefs + actions
    text = page.locator("body").inner_text()
    assert not [t for t in STAFF_TEXTS if t in text]
    cookies = {c["name"] for c in page.context.cookies()}
    assert "onthaal_device" in cookies and "sessionid" not in cookies, cookies


def test_a_kiosk_device_issues_a_ticket_without_staff_and_returns_to_its_start(
    walk_in_open_today, live_server, page_factory, monkeypatch
):
    from onthaal.audit.models import AuditEvent
    from onthaal.queue import views
    from onthaal.queue.models import Ticket

    monkeypatch.setattr(views, "KIOSK_IDLE_SECONDS", 3)  # 20 s in use; shorter for the test
    base = live_server.url
    kiosk = page_factory(1080, 1920)
    enrol_device(kiosk, base, "administratief-centrum", name="kiosk-ac-9")
    assert kiosk.url == base + START
    _no_staff_session(kiosk)
    _accessible(kiosk, "kiosk-device-start")

    kiosk.get_by_role("button", name="Iets anders").first.click()
    kiosk.wait_for_url("**/kiosk/administratief-centrum/ticket/**")
    ticket = Ticket.objects.get()
    assert kiosk.locator(".ticket-code").inner_text() == ticket.code
    _no_staff_session(kiosk)
    _accessible(kiosk, "kiosk-device-ticket")
    event = AuditEvent.objects.get(object_type="queue.ticket", object_id=str(ticket.pk))
    assert event.actor_label == "device:kiosk-ac-9"

    kiosk.wait_for_url(base + START, timeout=10_000)  # back at the start, untouched
    _no_staff_session(kiosk)
    assert Ticket.objects.count() == 1


def test_a_lost_answer_is_said_and_retried_and_gives_one_ticket(
    walk_in_open_today, live_server, page_factory
):
    from onthaal.queue.models import Ticket

    base = live_server.url
    kiosk = page_factory(1080, 1920)
    enrol_device(kiosk, base, "administratief-centrum", name="kiosk-ac-8")
    lost = []

    def lose_the_first_answer(route) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch())  # the server issues the ticket ...
            route.abort("internetdisconnected")  # ... and its answer never arrives
        else:
            route.continue_()

    kiosk.route("**" + START, lose_the_first_answer)
    kiosk.get_by_role("button", name="Iets anders").first.click()
    banner = kiosk.get_by_role("alert").filter(has_text="Geen verbinding — we proberen opnieuw")
    banner.wait_for(state="visible")
    screenshot(kiosk, "kiosk-device-offline")
    assert lost and lost[0].status == 200
    kiosk.wait_for_url("**/kiosk/administratief-centrum/ticket/**")
    assert Ticket.objects.count() == 1  # the retry got the same ticket
    assert kiosk.locator(".ticket-code").inner_text() == Ticket.objects.get().code


def test_the_kiosk_fits_a_1366x768_screen_and_offers_each_product_once(
    walk_in_open_today, live_server, page_factory
):
    kiosk = page_factory(1366, 768)
    enrol_device(kiosk, live_server.url, "administratief-centrum", name="kiosk-ac-7")
    screenshot(kiosk, "kiosk-device-1366x768")
    height = kiosk.evaluate("document.documentElement.scrollHeight")
    assert height <= 768, f"the kiosk page is {height} px high"
    products = kiosk.locator("button[name=product]").all_inner_texts()
    assert products and len(products) == len(set(products)), products
    omgeving = kiosk.locator("section.kiosk-queue", has_text="Omgeving")
    assert omgeving.locator("button[name=product]").count() >= 1
    _accessible(kiosk, "kiosk-device-1366x768")


def test_the_kiosk_url_without_a_device_explains_itself(demo, live_server, page_factory):
    page = page_factory(1080, 1920)
    response = page.goto(live_server.url + START)
    assert response.status == 403
    assert "Dit toestel is niet geregistreerd" in page.locator("h1").inner_text()
    _accessible(page, "kiosk-not-registered")
