"""Picking an e-loket request up at the quick counter, in real Chromium: at a kiosk device the
citizen types the reference of a ready request, gets a ticket of the quick counter (its
number, no name); a wrong reference gets the neutral sentence; the agent at the Snelbalie calls
the ticket, sees the request on the desk page and hands it over: the request is closed.
axe-core finds 0 violations on the kiosk and the desk pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import enrol_device, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

START = "/kiosk/administratief-centrum/"


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def test_a_ready_request_is_picked_up_with_its_reference_at_the_kiosk(
    walk_in_open_today, live_server, page_factory
):
    from django.contrib.auth import get_user_model

    from onthaal.eloket import services
    from onthaal.eloket.models import Delivery, ProductSettings, Status
    from onthaal.organisation.models import Desk
    from onthaal.queue import services as queue_services
    from onthaal.queue.models import Ticket

    ProductSettings.objects.filter(product__slug="attest-woonst").update(delivery=Delivery.PICKUP)
    filed, _token = services.submit_request(
        product=ProductSettings.objects.get(product__slug="attest-woonst").product,
        answers={"naam": "Griet Afhaler", "adres": "Molenweg 9", "soort": "woonst"},
        email="griet@example.org",
    )
    lead = get_user_model().objects.get(username="teamlead")
    services.transition(actor=lead, request=filed, to=Status.READY)
    base = live_server.url

    kiosk = page_factory(1080, 1920)
    enrol_device(kiosk, base, "administratief-centrum", name="kiosk-afhalen")
    assert kiosk.url == base + START
    _accessible(kiosk, "pickup-kiosk-start")

    kiosk.fill("#pickup-reference", "EZZZZZZZ")
    kiosk.get_by_role("button", name="Ticket nemen").click()
    kiosk.get_by_text("We vinden geen aanvraag die klaarligt om af te halen").wait_for()
    assert Ticket.objects.count() == 0

    kiosk.fill("#pickup-reference", filed.reference.lower())
    kiosk.get_by_role("button", name="Ticket nemen").click()
    kiosk.wait_for_url("**/kiosk/administratief-centrum/ticket/**")
    ticket = Ticket.objects.get()
    assert ticket.queue.prefix == "S"
    assert kiosk.locator(".ticket-code").inner_text() == ticket.code
    assert "Griet" not in kiosk.locator("body").inner_text()
    _accessible(kiosk, "pickup-kiosk-ticket")

    snelbalie = Desk.objects.get(name="Snelbalie")
    agent = get_user_model().objects.get(username="balie")
    queue_services.open_desk(desk=snelbalie, actor=agent)
    desk = page_factory()
    login(desk, base, "balie")
    desk.goto(f"{base}/staff/desk/{snelbalie.pk}/")
    desk.get_by_role("button", name="Volgende oproepen").click()
    desk.wait_for_load_state()
    desk.locator("#pickup").wait_for()
    assert filed.reference in desk.locator("#pickup").inner_text()
    _accessible(desk, "pickup-desk")
    desk.click("#pickup-deliver")
    desk.wait_for_load_state()
    filed.refresh_from_db()
    assert filed.status == Status.CLOSED
