"""The ticket on the citizen's phone and on paper: live over the ticket's own stream ("your
turn" within a second of the call, with a vibration), what happened once it is closed, no QR
to scan on the phone itself; the printed ticket is 80 mm wide."""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import PUSHED_WITHIN, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _issue(desk_name="Balie 1"):
    from django.contrib.auth import get_user_model

    from onthaal.organisation.models import Desk
    from onthaal.queue import services
    from onthaal.queue.models import Queue, Source

    users = get_user_model().objects
    desk = Desk.objects.get(name=desk_name, location__slug="administratief-centrum")
    queue = Queue.objects.get(location=desk.location, prefix="B")
    ticket = services.issue_ticket(
        location=desk.location,
        queue=queue,
        source=Source.RECEPTION,
        actor=users.get(username="onthaal"),
        check_hours=False,
    )
    return ticket, desk, users.get(username="balie")


def test_the_phone_shows_your_turn_within_a_second_of_the_call(demo, asgi_server, page_factory):
    from onthaal.queue import services

    ticket, desk, agent = _issue()
    services.open_desk(desk=desk, actor=agent)
    phone = page_factory(390, 844)
    phone.add_init_script(
        "window.__vibrated = []; navigator.vibrate = function (p) { window.__vibrated.push(p); return true; };"
    )
    phone.goto(f"{asgi_server}/ticket/{ticket.public_id}/")
    phone.wait_for_function(
        "document.querySelector('[data-ticket-events]').dataset.stream === 'live'"
    )
    assert phone.locator(".ticket-qr").count() == 0  # nothing to scan on the phone itself
    results = Axe().run(phone)
    assert results.violations_count == 0, results.generate_report()
    screenshot(phone, "queue-ticket-phone-waiting")

    started = time.monotonic()
    services.call_next(desk=desk, actor=agent)
    phone.wait_for_function(
        "document.getElementById('ticket-status').textContent.indexOf('Balie 1') >= 0",
        timeout=5000,
    )
    seen_after = time.monotonic() - started
    assert seen_after < PUSHED_WITHIN, f"the phone showed the call after {seen_after:.2f} s"
    assert "U bent aan de beurt" in phone.locator("#ticket-status").inner_text()
    assert phone.evaluate("window.__vibrated.length") == 1
    screenshot(phone, "queue-ticket-phone-your-turn")

    called = services.get_ticket(ticket.pk)
    services.no_show(ticket=called, desk=desk, actor=agent)
    phone.wait_for_function("document.querySelector('.ticket-closed') !== null", timeout=5000)
    text = phone.locator("#ticket-status").inner_text()
    assert "niet naar de balie" in text, text
    assert "Bewaar dit ticket" not in phone.content()
    screenshot(phone, "queue-ticket-phone-closed")


def test_the_printed_ticket_is_80_mm_wide(demo, asgi_server, page_factory):
    ticket, _desk, _agent = _issue()
    page = page_factory(800, 900)
    page.add_init_script("window.print = function () {};")  # the page prints itself at once
    page.goto(f"{asgi_server}/ticket/{ticket.public_id}/?print=1")
    assert page.locator(".ticket-qr svg").count() == 1  # on paper: the QR to follow it
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes, "no page"
    for width, _height in boxes:  # every page of it is 80 mm wide (not Letter, not A4)
        width_mm = float(width) / 72 * 25.4
        assert abs(width_mm - 80) < 0.5, width_mm
