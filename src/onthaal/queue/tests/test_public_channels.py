"""No public channel carries a ticket's private status id (issue #5, finding 2).

``Ticket.public_id`` is the key to a ticket's status page and its "warn me" form. The review
read it from the public screen stream and replaced a citizen's e-mail address with it. Screens
get numbers and desks only; the id goes only to whoever issued the ticket (to print it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse

from onthaal.queue import broker, services
from onthaal.queue.models import Source, Ticket

pytestmark = pytest.mark.django_db

OPENAPI = Path(__file__).resolve().parents[4] / "openapi.yaml"


def _issue(z: dict[str, Any], queue: str = "burgerzaken") -> Ticket:
    return services.issue_ticket(
        location=z[queue].location,
        queue=z[queue],
        source=Source.KIOSK,
        actor=z["users"]["onthaal"],
        check_hours=False,
    )


@pytest.mark.django_db(transaction=True)  # the stream reads the state on its own connection
def test_screens_streams_and_the_display_never_carry_a_status_id(
    client, zonnedoorn, settings, monkeypatch
):
    settings.REDIS_URL = ""
    broker.reset_broker()
    sent: list[str] = []
    real = broker.publish_now

    def publish_now(location_id: int, event: dict[str, Any]) -> bool:
        sent.append(json.dumps(event))
        return real(location_id, event)

    monkeypatch.setattr(broker, "publish_now", publish_now)
    z = zonnedoorn
    agent, desk = z["users"]["balie"], z["balie1"]
    # Every write commits (a transactional test): its events go out.
    services.open_desk(desk=desk, actor=agent)
    tickets = [_issue(z) for _ in range(4)]
    first = services.call_next(desk=desk, actor=agent)
    assert first is not None
    services.recall(ticket=first, desk=desk, actor=agent)
    services.start(ticket=first, desk=desk, actor=agent)
    services.finish(ticket=first, desk=desk, actor=agent)
    second = services.call_next(desk=desk, actor=agent)
    assert second is not None
    services.no_show(ticket=second, desk=desk, actor=agent)
    third = services.call_next(desk=desk, actor=agent)
    assert third is not None
    services.transfer(ticket=third, actor=agent, queue=z["snel"], from_desk=desk)
    kinds = [json.loads(message)["type"] for message in sent]
    assert kinds.count("issued") == 4 and "called" in kinds and "recalled" in kinds
    ids = {t.public_id for t in Ticket.objects.all()}
    assert len(ids) == len(tickets) and all(ids)

    display = client.get(f"/api/v1/locations/{z['ac'].pk}/display/")
    assert display.status_code == 200
    assert {c["code"] for c in display.json()["calls"]} >= {first.code, second.code}
    assert all(
        set(call) == {"code", "queue", "desk", "called_at", "status"}
        for call in display.json()["calls"]
    )
    screen = client.get(reverse("queue:screen", args=["administratief-centrum"]))

    async def state() -> str:
        response = await AsyncClient().get(f"/api/v1/locations/{z['ac'].pk}/events/")
        chunks = response.streaming_content.__aiter__()
        chunk = (await anext(chunks)).decode()
        await chunks.aclose()
        return chunk

    stream = async_to_sync(state)()
    assert "event: state" in stream and first.code in stream
    for shown in [*sent, display.content.decode(), screen.content.decode(), stream]:
        assert [i for i in ids if i in shown] == []
    for message in sent:
        event = json.loads(message)
        if event["type"] not in ("desk", "announcements"):  # a ticket's event
            assert set(event) == {"type", "code", "queue", "desk", "status", "at"}


def test_the_published_schema_has_no_status_id_but_the_issuers_status_url():
    """No answer of the API carries the ticket's status id; the only ``public_id`` left is the
    path parameter of the mail API, another model's id, staff-only."""
    schema = yaml.safe_load(OPENAPI.read_text())
    assert "public_id" not in json.dumps(schema["components"])
    for path, operations in schema["paths"].items():
        if "public_id" in json.dumps(operations):
            assert path.startswith("/api/v1/mail/{public_id}/"), path
            for operation in operations.values():
                assert {} not in operation["security"], path  # never anonymous
    # A status link goes only to whoever made the thing it follows: the ticket's issuer
    # (IssuedTicket) and the e-loket request's filer (RequestFiled), never to a list or a screen.
    carrying = {
        name
        for name, component in schema["components"]["schemas"].items()
        if "status_url" in json.dumps(component)
    }
    assert carrying == {"IssuedTicket", "RequestFiled"}
    assert "status_url" in schema["components"]["schemas"]["IssuedTicket"]["required"]
