"""The kiosk as a device, in real Chromium: enrolled once with its link, it issues a ticket
with no staff session anywhere (no staff link on any page, no session cookie), prints it and
returns to its start page on its own; an answer lost on the network, a network gone
(``context.set_offline``) or an app that is down is said, retried, and gives one ticket, not
two; the service worker keeps the start page for a reload while the app is down. axe-core
finds 0 violations on each kiosk page."""

from __future__ import annotations

import time

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
    kiosk = page_factory(1080, 1920, service_workers="block")  # the route sees every request
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


CACHE = "onthaal-kiosk-v1"


def _shell_kept(kiosk) -> list[str]:
    """Wait until the kiosk's service worker controls the page and keeps its shell: the start
    page, its stylesheet and kiosk.js. Returns the paths kept."""
    kept: list[str] = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        kept = kiosk.evaluate(
            """async (name) => {
                if (!navigator.serviceWorker.controller) return [];
                const cache = await caches.open(name);
                return (await cache.keys()).map((r) => new URL(r.url).pathname);
            }""",
            CACHE,
        )
        if START in kept and any(p.endswith("/kiosk.js") for p in kept):
            return kept
        kiosk.wait_for_timeout(200)
    raise AssertionError(f"the service worker kept {kept}")


def test_an_offline_kiosk_says_so_retries_and_gives_one_ticket(
    walk_in_open_today, live_server, page_factory
):
    from onthaal.queue.models import Ticket

    kiosk = page_factory(1080, 1920)
    enrol_device(kiosk, live_server.url, "administratief-centrum", name="kiosk-ac-6")
    kept = _shell_kept(kiosk)
    assert any(p.endswith(".css") for p in kept) and not [p for p in kept if "/ticket/" in p]
    failed: list[str] = []
    kiosk.on("requestfailed", lambda r: failed.append(r.method))

    kiosk.context.set_offline(True)
    kiosk.get_by_role("button", name="Iets anders").first.click()
    banner = kiosk.get_by_role("alert").filter(has_text="Geen verbinding — we proberen opnieuw")
    banner.wait_for(state="visible")
    screenshot(kiosk, "kiosk-device-network-lost")
    kiosk.wait_for_timeout(4_000)  # it keeps trying while the network is gone
    assert failed.count("POST") >= 2, failed
    assert Ticket.objects.count() == 0 and "/ticket/" not in kiosk.url

    kiosk.context.set_offline(False)
    kiosk.wait_for_url("**/kiosk/administratief-centrum/ticket/**")
    kiosk.wait_for_timeout(1_000)
    assert Ticket.objects.count() == 1  # one ticket, however many tries
    assert kiosk.locator(".ticket-code").inner_text() == Ticket.objects.get().code
    assert kiosk.locator("#kiosk-offline").is_hidden()


def test_while_the_server_is_down_the_kiosk_opens_its_kept_start_page_and_retries(
    walk_in_open_today, live_server, page_factory, monkeypatch
):
    """The app behind the proxy is down (503): a reload shows the start page the service
    worker kept, a touched choice is said and retried, and gives one ticket once the app
    is back."""
    from django.http import HttpResponse

    from onthaal.queue import views
    from onthaal.queue.models import Ticket

    kiosk = page_factory(1080, 1920)
    enrol_device(kiosk, live_server.url, "administratief-centrum", name="kiosk-ac-5")
    _shell_kept(kiosk)

    with monkeypatch.context() as down:
        down.setattr(views, "_kiosk_device", lambda request, location: HttpResponse(status=503))
        response = kiosk.reload()
        assert response is not None and response.status == 200 and response.from_service_worker
        assert "Welkom" in kiosk.locator("h1").inner_text()
        keys = kiosk.eval_on_selector_all(
            "input[name=submission]", "inputs => inputs.map(i => i.value)"
        )
        assert len(keys) == len(set(keys)) > 1  # each form a fresh key of its own
        kiosk.get_by_role("button", name="Iets anders").first.click()
        kiosk.get_by_role("alert").filter(has_text="Geen verbinding").wait_for(state="visible")
        kiosk.wait_for_timeout(3_500)
        assert Ticket.objects.count() == 0
    kiosk.wait_for_url("**/kiosk/administratief-centrum/ticket/**")
    assert Ticket.objects.count() == 1
    _no_staff_session(kiosk)
