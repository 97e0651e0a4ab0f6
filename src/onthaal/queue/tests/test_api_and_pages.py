"""The API contract, the pages and the privacy of screens: numbers only, never a name."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient
from django.urls import reverse

from onthaal.audit.models import AuditEvent
from onthaal.core import clock
from onthaal.devices.tests.factories import enrolled
from onthaal.queue import broker, services
from onthaal.queue.models import HandoffNote, Source, Status, Ticket

pytestmark = pytest.mark.django_db

NOTE = "Mevrouw Jeanine Vandamme vraagt naar leefloon."


def api(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_kiosk_creates_a_ticket_through_the_api(client, zonnedoorn):
    z = zonnedoorn
    response = api(client, z["users"]["onthaal"]).post(
        "/api/v1/tickets/",
        {"location": z["ac"].pk, "queue": z["burgerzaken"].pk, "source": "kiosk"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "B001" and body["status"] == "waiting"
    ticket = Ticket.objects.get(code="B001")
    assert body["status_url"] == f"/ticket/{ticket.public_id}/"  # to the issuer only
    assert "public_id" not in body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"location": 999999, "queue": 1}, "location"),
        ({"location": "x", "queue": 1}, "location"),
        ({"queue": 1}, "location"),
        ({"location": 1, "queue": 1, "products": [999999]}, "products"),
        ({"location": 1, "queue": 1, "source": "moon"}, "source"),
    ],
)
def test_bad_ticket_requests_get_field_errors_and_create_nothing(
    client, zonnedoorn, payload, field
):
    response = api(client, zonnedoorn["users"]["onthaal"]).post(
        "/api/v1/tickets/", payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Ticket.objects.count() == 0


def test_anonymous_cannot_issue_tickets(client, zonnedoorn):
    response = client.post(
        "/api/v1/tickets/",
        {"location": zonnedoorn["ac"].pk, "queue": zonnedoorn["burgerzaken"].pk},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert Ticket.objects.count() == 0


def _rows() -> dict[int, dict[str, Any]]:
    """Every ticket as its stored field values, to see exactly what an action changed."""
    return {row["id"]: row for row in Ticket.objects.order_by("pk").values()}


def _ticket_events() -> list[tuple[str, str, Any]]:
    return [
        (e.object_id, e.details.get("transition", ""), e.details.get("desk"))
        for e in AuditEvent.objects.filter(object_type="queue.ticket").order_by("pk")
    ]


def test_desk_journey_through_the_api_with_conflicts(client, zonnedoorn):
    """Call, recall, start and finish through the API: each changes exactly its ticket's
    status and time, writes exactly one audit event naming the desk, and moves no other
    ticket."""
    z = zonnedoorn
    agent = z["users"]["balie"]
    services.open_desk(desk=z["balie1"], actor=agent)
    c = api(client, agent)
    assert c.post(f"/api/v1/desks/{z['balie1'].pk}/call-next/").status_code == 204
    for _ in range(2):  # the second visitor must stay where it is through all of this
        services.issue_ticket(
            location=z["ac"], queue=z["burgerzaken"], source=Source.KIOSK, actor=agent
        )
    called = c.post(f"/api/v1/desks/{z['balie1'].pk}/call-next/")
    assert called.status_code == 200 and called.json()["desk"] == "Balie 1"
    tid = called.json()["id"]
    other = Ticket.objects.exclude(pk=tid).get()
    assert other.status == Status.WAITING
    desk = {"desk": z["balie1"].pk}

    def step(action: str, minutes: int) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        z["traveller"].shift(minutes * 60)
        before, events = _rows(), _ticket_events()
        response = c.post(f"/api/v1/tickets/{tid}/{action}/", desk, content_type="application/json")
        after = _rows()
        assert after[other.pk] == before[other.pk], f"{action} moved another ticket"
        assert _ticket_events() == [*events, (str(tid), action, z["balie1"].pk)]
        changed = {k: v for k, v in after[tid].items() if before[tid][k] != v}
        return response, changed, after[tid]

    recalled, changed, row = step("recall", 2)
    assert recalled.status_code == 200 and recalled.json()["status"] == "called"
    assert changed == {"recalls": 1, "recalled_at": clock.now()}
    assert row["status"] == Status.CALLED and row["desk_id"] == z["balie1"].pk

    started, changed, row = step("start", 1)
    assert started.status_code == 200 and started.json()["status"] == "serving"
    assert changed == {"status": Status.SERVING, "started_at": clock.now()}
    assert row["recalls"] == 1

    from onthaal.catalogue.models import Product

    eid = Product.objects.get(slug="eid-aanvragen")
    finish = c.post(
        f"/api/v1/tickets/{tid}/finish/",
        {**desk, "delivered": {str(eid.pk): 2}},
        content_type="application/json",
    )
    assert finish.status_code == 200 and finish.json()["status"] == "done"
    before, events = _rows(), _ticket_events()
    again = c.post(f"/api/v1/tickets/{tid}/finish/", desk, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"
    assert c.post(f"/api/v1/tickets/{tid}/recall/", desk).status_code == 409
    assert c.post(f"/api/v1/tickets/{tid}/start/", desk).status_code == 409
    assert (_rows(), _ticket_events()) == (before, events)  # refusals change nothing
    assert c.post("/api/v1/tickets/999999/start/", desk).status_code == 404
    assert c.post(f"/api/v1/desks/{z['balie2'].pk}/call-next/").status_code == 400


@pytest.mark.parametrize(
    ("delivered", "message"),
    [
        ({str(n): 1 for n in range(1, 22)}, "At most 20 products."),
        ({"x" * 10_000: 1}, "Unknown product."),
        ({"1" * 19: 1}, "Unknown product."),  # past a database key
        ({"0": 1}, "Unknown product."),
        ({" 7": 1, "7": 1}, "Unknown product."),  # one product twice
        ({"\u0667": 1}, "Unknown product."),  # an Arabic-Indic seven: a digit, not ASCII
    ],
)
def test_finish_bounds_the_delivered_keys_with_a_field_error(
    client, zonnedoorn, delivered, message
):
    z = zonnedoorn
    agent = z["users"]["balie"]
    services.open_desk(desk=z["balie1"], actor=agent)
    services.issue_ticket(
        location=z["ac"], queue=z["burgerzaken"], source=Source.KIOSK, actor=agent
    )
    c = api(client, agent)
    tid = c.post(f"/api/v1/desks/{z['balie1'].pk}/call-next/").json()["id"]
    c.post(f"/api/v1/tickets/{tid}/start/", {"desk": z["balie1"].pk})
    events = _ticket_events()
    response = c.post(
        f"/api/v1/tickets/{tid}/finish/",
        {"desk": z["balie1"].pk, "delivered": delivered},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert [e["message"] for e in response.json()["fields"]["delivered"]] == [message]
    assert Ticket.objects.get(pk=tid).status == Status.SERVING
    assert _ticket_events() == events
    # A right one is still taken: the key as a number.
    from onthaal.catalogue.models import Product

    eid = Product.objects.get(slug="eid-aanvragen")
    response = c.post(
        f"/api/v1/tickets/{tid}/finish/",
        {"desk": z["balie1"].pk, "delivered": {str(eid.pk): 2}},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert [(d.product_id, d.quantity) for d in Ticket.objects.get(pk=tid).delivered.all()] == [
        (eid.pk, 2)
    ]


def test_a_desk_cannot_call_for_a_desk_of_another_department(client, zonnedoorn):
    z = zonnedoorn
    response = api(client, z["users"]["balie"]).post(f"/api/v1/desks/{z['room1'].pk}/call-next/")
    assert response.status_code == 403


def _handed_off(z: dict[str, Any]) -> Ticket:
    reception = z["users"]["onthaal"]
    ticket = services.issue_ticket(
        location=z["sh"],
        queue=z["social"],
        source=Source.RECEPTION,
        actor=reception,
        check_hours=False,
    )
    mira = z["users"]["mw"]
    ticket = services.transfer(ticket=ticket, actor=reception, to_user=mira, note=NOTE)
    services.open_desk(desk=z["room1"], actor=mira)
    called = services.call_next(desk=z["room1"], actor=mira)
    assert called is not None
    return called


def _names(z: dict[str, Any]) -> list[str]:
    staff = [u.get_full_name() for u in z["users"].values()]
    return ["Jeanine", "Vandamme", NOTE, *staff]


def test_screen_html_and_json_show_numbers_never_names(client, zonnedoorn):
    z = zonnedoorn
    ticket = _handed_off(z)
    html = client.get(reverse("queue:screen", args=["sociaal-huis"])).content.decode()
    data = client.get(f"/api/v1/locations/{z['sh'].pk}/display/").content.decode()
    assert ticket.code in html and ticket.code in json.loads(data)["calls"][0]["code"]
    for name in _names(z):
        assert name not in html and name not in data


@pytest.mark.django_db(transaction=True)
def test_event_stream_sends_state_then_live_calls_without_names(zonnedoorn, settings):
    settings.REDIS_URL = ""
    broker.reset_broker()
    z = zonnedoorn
    ticket = _handed_off(z)
    services.finish(ticket=ticket, desk=z["room1"], actor=z["users"]["mw"])
    second = services.issue_ticket(
        location=z["sh"],
        queue=z["social"],
        source=Source.RECEPTION,
        actor=z["users"]["onthaal"],
        check_hours=False,
    )

    async def read() -> list[str]:
        response = await AsyncClient().get(f"/api/v1/locations/{z['sh'].pk}/events/")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        chunks = response.streaming_content.__aiter__()
        first = (await anext(chunks)).decode()
        # A call made now (another thread, as a desk in another request) reaches the stream.
        await sync_to_async(services.call_next)(desk=z["room1"], actor=z["users"]["mw"])
        second_chunk = (await asyncio.wait_for(anext(chunks), 5)).decode()
        await chunks.aclose()
        return [first, second_chunk]

    state, event = async_to_sync(read)()
    assert state.startswith("event: state") and ticket.code in state
    assert event.startswith("event: ticket") and second.code in event
    payload = json.loads(event.split("data: ", 1)[1])
    assert payload["type"] == "called" and payload["desk"] == "Spreekkamer 1"
    for name in _names(z):
        assert name not in state and name not in event


def test_event_stream_answers_503_when_redis_is_unreachable(zonnedoorn, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    broker.reset_broker()
    try:

        async def get() -> Any:
            return await AsyncClient().get(f"/api/v1/locations/{zonnedoorn['ac'].pk}/events/")

        response = async_to_sync(get)()
        assert response.status_code == 503
        # Publishing fails quietly: desks keep working.
        ticket = services.issue_ticket(
            location=zonnedoorn["ac"],
            queue=zonnedoorn["burgerzaken"],
            source=Source.KIOSK,
            actor=zonnedoorn["users"]["onthaal"],
        )
        assert ticket.status == Status.WAITING
        assert not broker.publish_now(zonnedoorn["ac"].pk, {"type": "test"})
    finally:
        settings.REDIS_URL = ""
        broker.reset_broker()


def test_ticket_page_shows_number_position_and_qr(client, zonnedoorn):
    z = zonnedoorn
    services.issue_ticket(
        location=z["ac"], queue=z["burgerzaken"], source=Source.KIOSK, actor=z["users"]["onthaal"]
    )
    second = services.issue_ticket(
        location=z["ac"], queue=z["burgerzaken"], source=Source.KIOSK, actor=z["users"]["onthaal"]
    )
    page = client.get(reverse("queue:ticket", args=[second.public_id]))
    html = page.content.decode()
    assert "B002" in html and "1 persoon voor u" in html
    assert "<svg" not in html  # no code to scan on the phone itself; the printed ticket has it
    printed = client.get(reverse("queue:ticket", args=[second.public_id]), {"print": "1"})
    assert "<svg" in printed.content.decode()
    status = client.get(reverse("queue:ticket-json", args=[second.public_id])).json()
    assert status == {
        "code": "B002",
        "status": "waiting",
        "position": 1,
        "wait_minutes": None,
        "desk": "",
        "closed": False,
    }
    assert client.get(reverse("queue:ticket", args=["nope"])).status_code == 404


def test_kiosk_page_issues_a_ticket_and_redirects_to_the_printable_ticket(client, zonnedoorn):
    z = zonnedoorn
    enrolled(client, z["ac"])
    page = client.get(reverse("queue:kiosk", args=["administratief-centrum"]))
    assert page.status_code == 200 and "Burgerzaken" in page.content.decode()
    response = client.post(
        reverse("queue:kiosk", args=["administratief-centrum"]), {"queue": z["burgerzaken"].pk}
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.public_id in response["Location"]


def test_desk_page_flow_and_notes_only_for_the_receiving_department(client, zonnedoorn):
    z = zonnedoorn
    ticket = _handed_off(z)
    client.force_login(z["users"]["mw"])
    response = client.get(reverse("queue:desk", args=[z["room1"].pk]))
    page = response.content.decode()
    assert ticket.code in page and NOTE in page
    reads = AuditEvent.objects.filter(object_type="queue.handoffnote", action="view")
    assert reads.count() == 1  # one read of the note, one event
    # The live refresh of the same visitor re-reads nothing: still one event.
    version = response.context["current_version"]
    refresh = client.get(
        reverse("queue:desk", args=[z["room1"].pk]), {"fragment": "1", "v_current": version}
    )
    assert refresh.status_code == 200 and NOTE not in refresh.content.decode()
    assert reads.count() == 1
    client.force_login(z["users"]["balie"])
    assert client.get(reverse("queue:desk", args=[z["room1"].pk])).status_code == 403
    assert HandoffNote.objects.count() == 1


def test_desk_actions_by_form_with_a_double_click(client, zonnedoorn):
    """Two visitors wait; "call" clicked twice calls the first only. The second click is
    refused with a message: the other visitor still waits and no second call is audited."""
    z = zonnedoorn
    client.force_login(z["users"]["balie"])
    client.post(reverse("queue:desk-choose"), {"desk": z["balie1"].pk})
    first, second = (
        services.issue_ticket(
            location=z["ac"],
            queue=z["burgerzaken"],
            source=Source.KIOSK,
            actor=z["users"]["onthaal"],
        )
        for _ in range(2)
    )
    call = reverse("queue:desk-action", args=[z["balie1"].pk, "call"])
    client.post(call)
    before = _rows()
    refused = client.post(call, follow=True)  # the second click
    assert refused.status_code == 200
    assert f"Rond eerst ticket {first.code} af." in refused.content.decode()
    assert _rows() == before
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.desk_id) == (Status.CALLED, z["balie1"].pk)
    assert (second.status, second.desk_id) == (Status.WAITING, None)
    calls = [e for e in _ticket_events() if e[1] == "call"]
    assert calls == [(str(first.pk), "call", z["balie1"].pk)]
    finish = reverse("queue:desk-action", args=[z["balie1"].pk, "finish"])
    product = z["burgerzaken"].products.first()
    response = client.post(finish, {"ticket": first.pk, f"qty-{product.pk}": "1"}, follow=True)
    assert response.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.DONE, Status.WAITING)


def test_reception_and_lead_pages(client, zonnedoorn):
    z = zonnedoorn
    client.force_login(z["users"]["onthaal"])
    url = reverse("queue:reception", args=["administratief-centrum"])
    response = client.post(url, {"action": "issue", "queue": z["burgerzaken"].pk, "priority": "on"})
    ticket = Ticket.objects.get()
    assert ticket.priority and ticket.source == Source.RECEPTION
    assert response.status_code == 302
    assert ticket.code in client.get(url).content.decode()
    client.force_login(z["users"]["teamlead"])
    lead = reverse("queue:lead", args=["administratief-centrum"])
    assert "Burgerzaken" in client.get(lead).content.decode()
    client.post(lead, {"ticket": ticket.pk, "to_queue": z["snel"].pk})
    assert Ticket.objects.get().queue == z["snel"]
    client.force_login(z["users"]["balie"])
    assert client.get(lead).status_code == 403


def test_kiosk_and_desk_requests_take_a_fixed_number_of_queries(
    client, zonnedoorn, django_assert_max_num_queries
):
    """The hot paths do not grow with the queue: 40 waiting tickets or 1, the same count.
    (Savepoints of the test transaction included. On PostgreSQL call-next reads the head of
    the queue in one statement and claims in another; SQLite takes four and more.)"""
    from django.db import connection

    from onthaal.accounts.tests.factories import api_token

    z = zonnedoorn
    agent = z["users"]["balie"]
    services.open_desk(desk=z["balie1"], actor=agent)
    reception = {"HTTP_AUTHORIZATION": f"Token {api_token(z['users']['onthaal'])}"}
    desk = {"HTTP_AUTHORIZATION": f"Token {api_token(agent)}"}
    body = {"location": z["ac"].pk, "queue": z["burgerzaken"].pk, "source": "reception"}
    for _ in range(40):
        client.post("/api/v1/tickets/", body, content_type="application/json", **reception)
    # On PostgreSQL the audit append sends the chain's lock and the insert as one pipeline:
    # two statements counted here, one round trip (the round-trip test in
    # tests/concurrency pins those, outside a test transaction as in production).
    with django_assert_max_num_queries(9 if connection.vendor == "postgresql" else 8):
        created = client.post(
            "/api/v1/tickets/", body, content_type="application/json", **reception
        )
    assert created.status_code == 201
    with django_assert_max_num_queries(9 if connection.vendor == "postgresql" else 14):
        called = client.post(f"/api/v1/desks/{z['balie1'].pk}/call-next/", **desk)
    assert called.status_code == 200 and called.json()["code"] == "B001"
    with django_assert_max_num_queries(12):
        finished = client.post(
            f"/api/v1/tickets/{called.json()['id']}/finish/",
            {"desk": z["balie1"].pk},
            content_type="application/json",
            **desk,
        )
    assert finished.status_code == 200 and finished.json()["status"] == "done"
