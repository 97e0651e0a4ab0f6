"""The staff pages and the ticket's own page, live: what each part says and what it costs."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient
from django.urls import reverse

from onthaal.appointments.models import Appointment, AppointmentProduct
from onthaal.audit.models import Action, AuditEvent
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.hours.models import OpeningException
from onthaal.queue import broker, selectors, services
from onthaal.queue.models import Announcement, HandoffNote, Source, Status, Ticket

pytestmark = pytest.mark.django_db


def _issue(z: dict[str, Any], **kwargs: Any) -> Ticket:
    return services.issue_ticket(
        location=z["ac"],
        queue=kwargs.pop("queue", z["burgerzaken"]),
        source=kwargs.pop("source", Source.RECEPTION),
        actor=z["users"]["onthaal"],
        check_hours=False,
        **kwargs,
    )


def test_the_desk_shows_what_the_visitor_came_for_and_prefills_what_is_delivered(
    client, zonnedoorn
):
    z = zonnedoorn
    # Two products of the department: one the kiosk queue offers (the walk-in below asks for
    # it), one it does not (an appointment brings its own products to the desk).
    offered = z["burgerzaken"].products.filter(active=True).first()
    department = Product.objects.filter(department=z["burgerzaken"].department, active=True)
    other = department.exclude(pk=offered.pk).first()
    assert offered is not None and other is not None
    products = [other, offered]
    start = clock.now() + dt.timedelta(minutes=5)
    ticket = _issue(z, source=Source.APPOINTMENT, appointment_at=start, products=products)
    appointment = Appointment.objects.create(
        token_hash="x" * 64,
        location=z["ac"],
        department=z["burgerzaken"].department,
        desk=z["balie1"],
        start=start,
        end=start + dt.timedelta(minutes=15),
        persons=2,
        name="Jeanine Vandamme",
        email="jeanine@example.org",
        created_at=clock.now(),
        status="checked_in",
        ticket=ticket,
    )
    AppointmentProduct.objects.create(appointment=appointment, product=products[0], quantity=2)
    AppointmentProduct.objects.create(appointment=appointment, product=products[1], quantity=1)
    agent = z["users"]["balie"]
    services.open_desk(desk=z["balie1"], actor=agent)
    assert services.call_next(desk=z["balie1"], actor=agent).pk == ticket.pk
    client.force_login(agent)
    page = client.get(reverse("queue:desk", args=[z["balie1"].pk])).content.decode()
    local = start.astimezone(clock.BRUSSELS).strftime("%H:%M")
    assert f"Afspraak om {local}, voor 2 personen." in page
    assert f"2 \N{MULTIPLICATION SIGN} {products[0].name}" in page and products[1].name in page
    assert f'name="qty-{products[0].pk}" min="0" max="20" value="2"' in page
    assert f'name="qty-{products[1].pk}" min="0" max="20" value="1"' in page
    assert "Jeanine" not in page and "jeanine@example.org" not in page  # no name at the desk

    # A kiosk ticket with a product: that product at 1.
    services.finish(ticket=services.get_ticket(ticket.pk), desk=z["balie1"], actor=agent)
    walk_in = _issue(z, source=Source.KIOSK, products=products[1:])
    services.call_next(desk=z["balie1"], actor=agent)
    page = client.get(reverse("queue:desk", args=[z["balie1"].pk])).content.decode()
    assert walk_in.code in page and "Afspraak om" not in page
    assert f'name="qty-{products[1].pk}" min="0" max="20" value="1"' in page
    # The appointment's other product is not prefilled for the next visitor.
    assert f'name="qty-{products[0].pk}" min="0" max="20" value="2"' not in page


def test_the_live_refresh_leaves_out_an_unchanged_visitor_and_reads_no_note_again(
    client, zonnedoorn
):
    z = zonnedoorn
    reception, mira = z["users"]["onthaal"], z["users"]["mw"]
    ticket = services.issue_ticket(
        location=z["sh"],
        queue=z["social"],
        source=Source.RECEPTION,
        actor=reception,
        check_hours=False,
    )
    services.transfer(ticket=ticket, actor=reception, to_user=mira, note="Vraagt naar leefloon.")
    services.open_desk(desk=z["room1"], actor=mira)
    services.call_next(desk=z["room1"], actor=mira)
    client.force_login(mira)
    url = reverse("queue:desk", args=[z["room1"].pk])
    page = client.get(url).content.decode()
    assert "Vraagt naar leefloon." in page
    version = page.split('data-live-part="current" data-version="', 1)[1].split('"', 1)[0]
    reads = AuditEvent.objects.filter(action=Action.VIEW, object_type="queue.handoffnote")
    assert reads.count() == 1
    fragment = client.get(url, {"fragment": "1", "v_current": version}).content.decode()
    assert 'data-live-part="current"' not in fragment and 'data-live-part="figures"' in fragment
    assert reads.count() == 1  # not read again
    changed = client.get(url, {"fragment": "1", "v_current": "stale"}).content.decode()
    assert 'data-live-part="current"' in changed and reads.count() == 2


def test_the_hand_off_form_asks_one_question_and_only_its_answer_counts(client, zonnedoorn):
    z = zonnedoorn
    ticket = _issue(z)
    client.force_login(z["users"]["onthaal"])
    url = reverse("queue:reception", args=["administratief-centrum"])
    page = client.get(url).content.decode()
    assert "Overdragen aan een dienst, een balie of een collega?" in page
    bart = z["users"]["balie"]
    client.post(
        url,
        {
            "action": "transfer",
            "ticket": ticket.pk,
            "to": "user",
            "to_queue": z["snel"].pk,  # left over from an earlier answer: ignored
            "to_user": bart.pk,
        },
    )
    moved = Ticket.objects.get(pk=ticket.pk)
    assert moved.assigned_user == bart and moved.queue == z["burgerzaken"]
    assert moved.transfers == 1 and HandoffNote.objects.count() == 0


def test_the_reception_list_is_a_live_fragment(client, zonnedoorn):
    z = zonnedoorn
    ticket = _issue(z, priority=True)
    client.force_login(z["users"]["onthaal"])
    url = reverse("queue:reception", args=["administratief-centrum"])
    page = client.get(url).content.decode()
    assert 'data-live-url="' in page and 'data-live-part="waiting"' in page
    fragment = client.get(url, {"fragment": "1"}).content.decode()
    assert ticket.code in fragment and "<html" not in fragment


def test_a_team_lead_puts_an_announcement_on_the_screens_with_the_closures(client, zonnedoorn):
    z = zonnedoorn
    lead = reverse("queue:lead", args=["administratief-centrum"])
    client.force_login(z["users"]["balie"])
    client.post(lead, {"action": "announce", "text": "Nope"})
    assert Announcement.objects.count() == 0
    assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 1
    client.force_login(z["users"]["teamlead"])
    client.post(lead, {"action": "announce", "text": "  Vandaag  geen rijbewijzen na 11 uur "})
    announcement = Announcement.objects.get()
    assert announcement.text == "Vandaag geen rijbewijzen na 11 uur"
    assert (
        AuditEvent.objects.filter(action=Action.CREATE, object_type="queue.announcement").count()
        == 1
    )
    OpeningException.objects.create(
        location=z["ac"],
        date=clock.today() + dt.timedelta(days=3),
        closed=True,
        reason="Brugdag",
    )
    state = client.get(f"/api/v1/locations/{z['ac'].pk}/display/").json()
    assert state["announcements"][0] == "Vandaag geen rijbewijzen na 11 uur"
    assert len(state["announcements"]) == 2 and "Brugdag" in state["announcements"][1]
    client.post(lead, {"action": "unannounce", "announcement": announcement.pk})
    assert Announcement.objects.count() == 0
    response = client.post(lead, {"action": "announce", "text": ""}, follow=True)
    assert "Schrijf de aankondiging." in response.content.decode()


def test_the_screen_shows_per_queue_the_waiting_and_the_expected_wait(client, zonnedoorn):
    z = zonnedoorn
    for _ in range(3):
        _issue(z)
    services.open_desk(desk=z["balie1"], actor=z["users"]["balie"])
    state = client.get(f"/api/v1/locations/{z['ac'].pk}/display/").json()
    queues = {q["prefix"]: q for q in state["queues"]}
    assert queues["B"]["waiting"] == 3 and queues["B"]["wait_minutes"] is not None
    assert queues["S"]["waiting"] == 0
    assert state["waiting"] == 3
    html = client.get(reverse("queue:screen", args=["administratief-centrum"])).content.decode()
    assert 'id="clock"' in html and 'id="queues"' in html


def test_the_phone_page_has_no_qr_and_the_printed_ticket_has(client, zonnedoorn):
    ticket = _issue(zonnedoorn)
    phone = client.get(reverse("queue:ticket", args=[ticket.public_id])).content.decode()
    paper = client.get(reverse("queue:ticket", args=[ticket.public_id]), {"print": "1"})
    assert "<svg" not in phone and "Bewaar dit ticket" not in phone
    assert "<svg" in paper.content.decode() and "Bewaar dit ticket" in paper.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_ticket_stream_carries_that_tickets_own_state_only(zonnedoorn, settings):
    settings.REDIS_URL = ""
    broker.reset_broker()
    z = zonnedoorn
    agent = z["users"]["balie"]
    services.open_desk(desk=z["balie1"], actor=agent)
    first = _issue(z)
    mine = _issue(z)

    async def read() -> list[str]:
        response = await AsyncClient().get(f"/ticket/{mine.public_id}/events/")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        chunks = response.streaming_content.__aiter__()
        seen = [(await anext(chunks)).decode()]
        await sync_to_async(services.call_next)(desk=z["balie1"], actor=agent)  # the other one
        await sync_to_async(services.finish)(
            ticket=await sync_to_async(services.get_ticket)(first.pk),
            desk=z["balie1"],
            actor=agent,
        )
        await sync_to_async(services.call_next)(desk=z["balie1"], actor=agent)  # mine
        while '"status": "called"' not in seen[-1]:
            seen.append((await asyncio.wait_for(anext(chunks), 5)).decode())
        await chunks.aclose()
        return seen

    seen = async_to_sync(read)()
    states = [json.loads(chunk.split("data: ", 1)[1]) for chunk in seen]
    assert all(chunk.startswith("event: status") for chunk in seen)
    assert states[0] == {
        "code": mine.code,
        "status": "waiting",
        "position": 1,
        "wait_minutes": states[0]["wait_minutes"],
        "desk": "",
        "closed": False,
    }
    assert states[-1]["status"] == "called" and states[-1]["desk"] == "Balie 1"
    assert all(s["code"] == mine.code for s in states)
    assert first.public_id not in "".join(seen) and first.code not in "".join(seen)

    async def unknown() -> Any:
        return await AsyncClient().get("/ticket/not-a-ticket/events/")

    assert async_to_sync(unknown)().status_code == 404


def test_the_lead_view_has_the_averages_of_the_day(client, zonnedoorn):
    z = zonnedoorn
    agent = z["users"]["balie"]
    services.open_desk(desk=z["balie1"], actor=agent)
    _issue(z)
    z["traveller"].shift(dt.timedelta(minutes=6))
    ticket = services.call_next(desk=z["balie1"], actor=agent)
    services.start(ticket=ticket, desk=z["balie1"], actor=agent)
    z["traveller"].shift(dt.timedelta(minutes=4))
    services.finish(ticket=services.get_ticket(ticket.pk), desk=z["balie1"], actor=agent)
    days = {d.figures.queue.prefix: d for d in selectors.queue_days(z["ac"])}
    day = days["B"]
    assert (day.average_wait_minutes, day.average_service_minutes) == (6, 4)
    assert day.served_last_hour == 1 and day.figures.served_today == 1
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DONE
