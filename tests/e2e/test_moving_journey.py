"""Moving in a real browser: a citizen moves an appointment by the link in the e-mail and keeps
its reference, its link and its calendar entry (same UID, higher SEQUENCE), and cancelling
asks first; reception books for a caller without e-mail or phone and moves the appointment.
axe-core finds 0 violations on each new page."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def _event(page, base: str, link_name: str) -> tuple[icalendar.Calendar, icalendar.Event]:
    """The calendar file behind the page's link, as a calendar would read it."""
    href = page.get_by_role("link", name=link_name).get_attribute("href")
    response = page.request.get(base + href)
    assert response.ok
    calendar = icalendar.Calendar.from_ical(response.text())
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def _choose_another_day(page) -> str:
    """On the choose page: the first time of the second day offered (never the time the
    appointment has now, which is on the first day); returns the time as shown."""
    page.wait_for_selector(".day-list")
    page.locator(".day-list a.day").nth(1).click()
    page.wait_for_selector(".time-grid")
    button = page.locator(".time-grid button.time").first
    chosen = button.inner_text()
    button.click()
    return chosen


def test_a_moved_appointment_keeps_its_reference_link_and_calendar_uid(
    demo, live_server, page_factory
):
    from onthaal.appointments import services
    from onthaal.appointments.models import Appointment, Notification
    from onthaal.catalogue.models import Product
    from onthaal.core import clock
    from onthaal.organisation.models import Location

    booking = services.build_request(
        location=Location.objects.get(slug="administratief-centrum"),
        products=[Product.objects.get(slug="eid-aanvragen")],
    )
    today = clock.today()
    first = services.availability(booking, today, today + dt.timedelta(days=14))[0]
    appointment, token = services.book(
        request=booking, start=first.start, name="Jan Peeters", email="jan@example.org"
    )
    manage = f"{live_server.url}/afspraak/{appointment.reference}/?token={token}"

    page = page_factory(390, 844)
    page.goto(manage)
    _, booked = _event(page, live_server.url, "In mijn agenda zetten")
    page.get_by_role("link", name="Verplaatsen").click()
    page.wait_for_selector(".time-grid")
    _accessible(page, "moving-1-choose")
    page.get_by_role("link", name="Terug").click()  # back to the appointment, not a new booking
    page.wait_for_load_state()
    assert page.url == manage
    page.get_by_role("link", name="Verplaatsen").click()
    chosen = _choose_another_day(page)
    page.wait_for_selector("text=Uw afspraak is verplaatst.")
    _accessible(page, "moving-2-moved")

    assert page.url == manage  # the same link, the same reference
    assert appointment.reference in page.content() and chosen in page.content()
    assert "geannuleerd" not in page.content()
    moved = Appointment.objects.get()
    assert (moved.reference, moved.sequence) == (appointment.reference, 1)
    _, updated = _event(page, live_server.url, "In mijn agenda zetten")
    assert str(updated["uid"]) == str(booked["uid"]) == f"{appointment.reference}@onthaal"
    assert (int(booked["sequence"]), int(updated["sequence"])) == (0, 1)
    change = Notification.objects.get(kind="change")
    assert manage.split("/afspraak/")[1] in change.body  # the "moved" mail carries the link

    # Cancel is a plain link that asks first; keeping it changes nothing.
    page.get_by_role("link", name="De afspraak annuleren").click()
    page.wait_for_selector("text=De afspraak annuleren?")
    _accessible(page, "moving-3-cancel-question")
    page.get_by_role("link", name="Nee, de afspraak behouden").click()
    page.wait_for_load_state()
    assert page.url == manage and Appointment.objects.get().status == "booked"
    page.get_by_role("link", name="De afspraak annuleren").click()
    page.get_by_role("button", name="Ja, de afspraak annuleren").click()
    page.wait_for_selector("text=Uw afspraak is geannuleerd.")
    assert Appointment.objects.get().status == "cancelled"
    cancelled = icalendar.Calendar.from_ical(Notification.objects.get(kind="cancellation").ics)
    (gone,) = cancelled.walk("VEVENT")
    assert str(cancelled["method"]) == "CANCEL" and str(gone["uid"]) == str(booked["uid"])
    assert int(gone["sequence"]) == 2


def test_reception_books_and_moves_for_a_caller(demo, live_server, page_factory):
    from django.contrib.auth import get_user_model

    from onthaal.appointments.models import Appointment
    from onthaal.audit.models import AuditEvent

    page = page_factory()
    login(page, live_server.url, "onthaal")
    page.goto(f"{live_server.url}/staff/agenda/administratief-centrum/")
    page.get_by_role("link", name="Afspraak maken voor een beller").click()
    page.get_by_label("Identiteitskaart aanvragen").check()
    page.get_by_role("button", name="Verder: kies een tijdstip").click()
    page.wait_for_selector(".time-grid")
    page.locator(".time-grid a.time").first.click()
    page.wait_for_selector("#name")
    # A caller without e-mail or mobile phone: the name is enough for staff.
    page.get_by_label("Naam", exact=True).fill("Beller zonder e-mail")
    page.get_by_role("button", name="De afspraak bevestigen").click()
    page.wait_for_selector("text=De afspraak is gemaakt.")
    _accessible(page, "reception-1-booked")
    appointment = Appointment.objects.get()
    assert (appointment.email, appointment.phone, appointment.channel) == ("", "", "phone")
    assert page.locator("h1 .code").inner_text() == appointment.reference
    assert page.get_by_text("lees de referentie voor").is_visible()

    page.get_by_role("link", name="Verplaatsen").click()
    chosen = _choose_another_day(page)
    page.wait_for_selector("text=De afspraak is verplaatst.")
    _accessible(page, "reception-2-moved")

    moved = Appointment.objects.get()
    assert (moved.reference, moved.sequence) == (appointment.reference, 1)
    assert moved.start != appointment.start and chosen in page.content()
    receptionist = get_user_model().objects.get(username="onthaal")
    actors = set(
        AuditEvent.objects.filter(
            object_type="appointments.appointment", details__transition__in=["book", "reschedule"]
        ).values_list("actor_id", flat=True)
    )
    assert actors == {str(receptionist.pk)}
