"""Customer guidance in real Chromium, several pages at once, on the ASGI server: a walk-in
ticket at the kiosk (an enrolled device, no staff login), the desk calls, the waiting-room screen shows the number within a second;
the desk finishes with products; reception hands a visitor over to a named social worker with a
note that only the social service sees. axe-core finds 0 violations on every page."""

from __future__ import annotations

import time

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import PUSHED_WITHIN, enrol_device, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def test_kiosk_desk_and_screen(walk_in_open_today, asgi_server, page_factory):
    from onthaal.queue.models import DeliveredProduct, Ticket

    base = asgi_server
    kiosk = page_factory(1080, 1920)
    enrol_device(kiosk, base, "administratief-centrum")  # a device, no staff login
    assert kiosk.url == f"{base}/kiosk/administratief-centrum/"
    _accessible(kiosk, "queue-kiosk")
    kiosk.get_by_role("button", name="Iets anders").first.click()
    kiosk.wait_for_url("**/ticket/**")
    assert kiosk.locator(".ticket-code").inner_text() == "B001"
    _accessible(kiosk, "queue-ticket")

    screen = page_factory(1920, 1080)
    screen.goto(f"{base}/screen/administratief-centrum/")
    screen.wait_for_selector("body[data-link=live]")
    _accessible(screen, "queue-screen")

    desk = page_factory(1280, 900)
    login(desk, base, "balie")
    desk.goto(f"{base}/staff/desk/")
    _accessible(desk, "queue-desk-choose")
    desk.get_by_label("Balie 1 — Administratief Centrum").check()
    desk.get_by_role("button", name="Deze balie openen").click()
    desk.wait_for_url("**/staff/desk/*/")
    _accessible(desk, "queue-desk-idle")

    started = time.monotonic()
    desk.get_by_role("button", name="Volgende oproepen").click()
    screen.wait_for_function(
        "document.querySelector('#now .now-code') && "
        "document.querySelector('#now .now-code').textContent === 'B001'",
        timeout=5000,
    )
    seen_after = time.monotonic() - started
    assert seen_after < PUSHED_WITHIN, f"the screen showed the call after {seen_after:.2f} s"
    assert "Balie 1" in screen.locator("#now").inner_text()
    screenshot(screen, "queue-screen-called")
    html = screen.content()
    assert "Bart" not in html and "Ilse" not in html  # staff names never on the screen

    desk.wait_for_selector(".desk-code")
    _accessible(desk, "queue-desk-called")
    desk.get_by_role("button", name="Starten").click()
    desk.get_by_label("Identiteitskaart aanvragen").fill("2")
    desk.get_by_role("button", name="Afronden").click()
    desk.wait_for_selector("text=Niemand aan de balie.")
    ticket = Ticket.objects.get(code="B001")
    assert ticket.status == "done"
    assert DeliveredProduct.objects.get(ticket=ticket).quantity == 2


def test_reception_hands_over_to_a_social_worker_with_a_private_note(
    walk_in_open_today, asgi_server, page_factory
):
    base = asgi_server
    note = "Vraagt naar energiepremie, spreekt weinig Nederlands."
    reception = page_factory()
    login(reception, base, "onthaal")
    reception.goto(f"{base}/staff/reception/sociaal-huis/")
    reception.get_by_label("Wachtrij", exact=True).select_option(label="A — Onthaal")
    reception.get_by_role("button", name="Ticket uitgeven").click()
    reception.wait_for_selector("td.code")
    _accessible(reception, "queue-reception")
    reception.locator("details.transfer summary").first.click()
    form = reception.locator("details.transfer form").first
    form.get_by_label("een collega").check()  # one question: to a department, desk or colleague
    form.get_by_label("Collega", exact=True).select_option(label="Mira Maatschappelijk")
    form.get_by_label("Notitie voor de ontvangende dienst (optioneel)").fill(note)
    form.get_by_role("button", name="Overdragen").click()
    reception.wait_for_load_state()
    assert note not in reception.content()  # reception writes it, but does not read it back

    social = page_factory()
    login(social, base, "mw")
    social.goto(f"{base}/staff/desk/")
    social.get_by_label("Spreekkamer 1 — Sociaal Huis").check()
    social.get_by_role("button", name="Deze balie openen").click()
    social.get_by_role("button", name="Volgende oproepen").click()
    social.wait_for_selector(".note")
    assert note in social.locator(".note").inner_text()
    _accessible(social, "queue-desk-handoff-note")

    other = page_factory()
    login(other, base, "balie")
    desk_url = social.url
    response = other.goto(desk_url)
    assert response.status == 403
    assert note not in other.content()
    lead = page_factory()
    login(lead, base, "teamlead")
    lead.goto(f"{base}/staff/lead/sociaal-huis/")
    assert note not in lead.content()
    _accessible(lead, "queue-lead")


def test_with_redis_stopped_screens_poll_and_desks_keep_working(
    walk_in_open_today, asgi_server, page_factory, settings
):
    """The broker is Redis, and Redis is down: the event stream answers 503, the screen falls
    back to polling and still shows a call within 5 seconds; the desk works as always."""
    from onthaal.queue import broker

    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens: Redis is "stopped"
    broker.reset_broker()
    try:
        base = asgi_server
        screen = page_factory(1920, 1080)
        screen.goto(f"{base}/screen/administratief-centrum/")
        screen.wait_for_selector("body[data-link=polling]")
        screenshot(screen, "queue-screen-polling")

        reception = page_factory()
        login(reception, base, "onthaal")
        reception.goto(f"{base}/staff/reception/administratief-centrum/")
        reception.get_by_label("Wachtrij", exact=True).select_option(label="B — Burgerzaken")
        reception.get_by_role("button", name="Ticket uitgeven").click()
        reception.wait_for_selector("td.code")

        desk = page_factory()
        login(desk, base, "balie")
        desk.goto(f"{base}/staff/desk/")
        desk.get_by_label("Balie 2 — Administratief Centrum").check()
        desk.get_by_role("button", name="Deze balie openen").click()
        started = time.monotonic()
        desk.get_by_role("button", name="Volgende oproepen").click()
        desk.wait_for_selector(".desk-code")
        screen.wait_for_function(
            "document.querySelector('#now .now-code') && "
            "document.querySelector('#now .now-code').textContent === 'B001'",
            timeout=5000,
        )
        assert time.monotonic() - started < 5.0
        assert "Balie 2" in screen.locator("#now").inner_text()
    finally:
        settings.REDIS_URL = ""
        broker.reset_broker()


def test_on_the_phone_the_citizen_asks_to_be_warned_accessibly(
    walk_in_open_today, asgi_server, page_factory
):
    """The ticket's status page on a phone: the "warn me" form, its field error and its
    confirmation have 0 axe violations; the address never shows on the page."""
    from onthaal.appointments.models import Notification
    from onthaal.queue import services
    from onthaal.queue.models import Queue, Source

    queue = Queue.objects.select_related("location").get(
        location__slug="administratief-centrum", prefix="B"
    )
    ticket = services.issue_ticket(
        location=queue.location,
        queue=queue,
        source=Source.KIOSK,
        actor="device:kiosk-ac-1",
    )
    phone = page_factory(width=390, height=844)
    phone.goto(f"{asgi_server}/ticket/{ticket.public_id}/")
    _accessible(phone, "queue-ticket-phone-alert-form")
    phone.get_by_label("E-mail", exact=True).fill("geen-adres")
    phone.get_by_role("button", name="Verwittig mij").click()
    phone.wait_for_load_state()
    assert "Dit e-mailadres is niet geldig." in phone.content()
    _accessible(phone, "queue-ticket-phone-alert-error")
    phone.get_by_label("E-mail", exact=True).fill("burger@example.org")
    phone.get_by_role("button", name="Verwittig mij").click()
    phone.wait_for_load_state()
    assert "burger@example.org" not in phone.content()
    _accessible(phone, "queue-ticket-phone-alert-set")
    # First in line: the warning is queued at once, for the address given.
    assert Notification.objects.get(ticket=ticket).recipient == "burger@example.org"
