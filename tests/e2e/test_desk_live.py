"""The desk's live refresh never takes the clerk's work away: while events arrive, an open
hand-over panel stays open, the focus stays where it is, typed quantities and a half-written
note stay; the parts that changed (the queue figures) do update."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_desk_keeps_an_open_panel_the_focus_and_typed_quantities_while_events_arrive(
    demo, asgi_server, page_factory
):
    from django.contrib.auth import get_user_model

    from onthaal.organisation.models import Desk
    from onthaal.queue import services
    from onthaal.queue.models import Queue, Source

    base = asgi_server
    agent = get_user_model().objects.get(username="balie")
    reception = get_user_model().objects.get(username="onthaal")
    desk = Desk.objects.get(name="Balie 1", location__slug="administratief-centrum")
    queue = Queue.objects.get(location=desk.location, prefix="B")
    services.open_desk(desk=desk, actor=agent)

    def issue():
        return services.issue_ticket(
            location=desk.location,
            queue=queue,
            source=Source.RECEPTION,
            actor=reception,
            check_hours=False,
        )

    issue()
    services.call_next(desk=desk, actor=agent)

    page = page_factory(1280, 900)
    login(page, base, "balie")
    page.goto(f"{base}/staff/desk/{desk.pk}/")
    page.wait_for_function("document.querySelector('#desk-live') !== null")
    product = page.locator(".qty-grid input").first
    product.fill("2")
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 5})  # out of the field: keys work again
    page.keyboard.press("o")  # the hand-over shortcut opens the panel, focus in its first field
    panel = page.locator("#transfer-panel")
    assert panel.get_attribute("open") is not None
    note = page.locator("#desk-note")
    note.click()
    note.type("Vraagt naar een attest")
    waiting = page.locator('[data-live-part="figures"] tbody tr').first.locator("td").nth(1)
    assert waiting.inner_text() == "0"
    updates = int(page.locator("#desk-live").get_attribute("data-live-updates") or 0)

    for _ in range(3):  # three events at the location
        issue()
    page.wait_for_function(
        "document.querySelector('[data-live-part=\"figures\"] tbody tr td:nth-child(2)')"
        ".textContent === '3'",
        timeout=5000,
    )
    assert int(page.locator("#desk-live").get_attribute("data-live-updates")) > updates
    assert panel.get_attribute("open") is not None
    assert page.evaluate("document.activeElement.id") == "desk-note"
    assert note.input_value() == "Vraagt naar een attest"
    assert product.input_value() == "2"
    screenshot(page, "queue-desk-live-keeps-work")

    # Done with the panel: the hand-over goes through with the note.
    page.select_option("#desk-to-queue", label="Onthaal (S)")
    page.get_by_role("button", name="Overdragen").last.click()
    page.wait_for_url(f"**/staff/desk/{desk.pk}/")
    assert "is overgedragen" in page.locator(".messages").inner_text()
