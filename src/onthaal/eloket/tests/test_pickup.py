"""Picking an e-loket request up at the quick counter: the kiosk takes the reference and
issues a ticket in the quick counter's queue, the desk that calls it hands the request over."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from onthaal.audit.models import Action, AuditEvent
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.devices.tests.factories import enrolled
from onthaal.eloket import pickup, services
from onthaal.eloket.models import Delivery, ProductSettings, Request, Status
from onthaal.organisation.models import Desk, Location
from onthaal.queue import services as queue_services
from onthaal.queue.models import Source, Ticket
from onthaal.reporting.models import Visit
from onthaal.reporting.services import refresh_facts

pytestmark = pytest.mark.django_db

# A Tuesday morning: walk-in (and so the quick counter) is open at the Administratief Centrum.
TUESDAY_10 = dt.datetime(2027, 3, 23, 10, 0, tzinfo=BRUSSELS)
NAME = "Tom Claes-Pickup"


@pytest.fixture
def town(db: None) -> Iterator[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    from onthaal.demo import zonnedoorn as demo

    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        demo.load()
        users = {u.username: u for u in get_user_model().objects.all()}
        attest = Product.objects.get(slug="attest-woonst")
        ProductSettings.objects.filter(product=attest).update(delivery=Delivery.PICKUP)
        parking = Product.objects.get(slug="bewonersparkeerkaart")
        ProductSettings.objects.filter(product=parking).update(delivery=Delivery.PICKUP)
        ac = Location.objects.get(slug="administratief-centrum")
        yield {
            "ac": ac,
            "users": users,
            "attest": attest,
            "parking": parking,
            "snelbalie": Desk.objects.get(location=ac, name="Snelbalie"),
            "balie1": Desk.objects.get(location=ac, name="Balie 1"),
            "traveller": traveller,
        }


def _ready(town: dict[str, Any], product: str = "attest") -> Request:
    answers = {"naam": NAME, "adres": "Molenweg 2", "soort": "woonst"}
    if product == "parking":
        answers = {"naam": NAME, "adres": "Molenweg 2", "nummerplaat": "1-ABC-123"}
    filed, _token = services.submit_request(
        product=town[product],
        answers=answers,
        email="tom@example.org",
        uploads=[services.Upload("inschrijvingsbewijs", "i.pdf", _pdf())]
        if product == "parking"
        else [],
    )
    lead = town["users"]["teamlead"]
    services.transition(actor=lead, request=filed, to=Status.IN_PROGRESS)
    services.transition(
        actor=lead,
        request=filed,
        to=Status.READY,
        override_reason="wordt aan de balie betaald" if product == "parking" else "",
    )
    filed.refresh_from_db()
    return filed


def _pdf() -> bytes:
    from onthaal.mail.samples import text_pdf

    return text_pdf("Inschrijvingsbewijs")


def _kiosk(town: dict[str, Any]) -> tuple[Client, Any]:
    client = Client()
    device = enrolled(client, town["ac"])
    return client, device


def _pick_up(client: Client, reference: str, *, submission: str = "") -> Any:
    return client.post(
        reverse("queue:kiosk", args=["administratief-centrum"]),
        {"action": "pickup", "reference": reference, "submission": submission},
        HTTP_ACCEPT="application/json",
    )


def test_the_kiosk_issues_a_quick_counter_ticket_and_the_desk_hands_the_request_over(
    town: dict[str, Any],
) -> None:
    filed = _ready(town)
    kiosk, device = _kiosk(town)
    page = kiosk.get(reverse("queue:kiosk", args=["administratief-centrum"])).content.decode()
    assert "I pick up an e-loket request" in page or "e-loket" in page
    assert 'name="action" value="pickup"' in page

    # The citizen types the reference as it comes, in lower case with a space.
    answer = _pick_up(kiosk, f" {filed.reference[:4].lower()} {filed.reference[4:]}")
    assert answer.status_code == 200
    printed = kiosk.get(answer.json()["redirect"])
    ticket = Ticket.objects.get()
    assert ticket.queue.prefix == "S" and ticket.code in printed.content.decode()
    assert ticket.source == Source.QUICK_COUNTER  # the figures count it at the quick counter
    assert NAME not in printed.content.decode()
    public = Client().get(reverse("queue:ticket", args=[ticket.public_id])).content.decode()
    assert ticket.code in public and NAME not in public and filed.reference not in public
    filed.refresh_from_db()
    assert filed.pickup_ticket_id == ticket.pk
    issued = AuditEvent.objects.get(object_id=filed.reference, details__pickup_ticket=ticket.code)
    assert (issued.actor_type, issued.actor_id) == ("device", device.name)

    staff = Client()
    agent = town["users"]["balie"]
    staff.force_login(agent)
    queue_services.open_desk(desk=town["snelbalie"], actor=agent)
    desk_url = reverse("queue:desk", args=[town["snelbalie"].pk])
    staff.post(reverse("queue:desk-action", args=[town["snelbalie"].pk, "call"]))
    desk_page = staff.get(desk_url).content.decode()
    assert filed.reference in desk_page and 'id="pickup-deliver"' in desk_page
    assert NAME not in desk_page

    handed = staff.post(
        reverse("queue:desk-action", args=[town["snelbalie"].pk, "deliver"]),
        {"ticket": ticket.pk},
    )
    assert handed.status_code == 302
    filed.refresh_from_db()
    assert filed.status == Status.CLOSED and filed.finished_at is not None
    closed = AuditEvent.objects.get(
        object_id=filed.reference, action=Action.TRANSITION, details__to="closed"
    )
    assert closed.details["delivered"] == "quick_counter"
    assert closed.details["ticket"] == ticket.code
    assert filed.notifications.filter(subject__isnull=False).count() >= 2
    # The closed request is one fact of the figures (channel e-loket).
    town["traveller"].shift(dt.timedelta(minutes=5))
    refresh_facts()
    assert Visit.objects.filter(origin="eloket", origin_id=filed.pk, outcome="served").count() == 1
    # The ticket itself is finished at the desk as any other.
    staff.post(
        reverse("queue:desk-action", args=[town["snelbalie"].pk, "finish"]), {"ticket": ticket.pk}
    )
    ticket.refresh_from_db()
    assert ticket.status == "done"


@pytest.mark.parametrize("case", ["unknown", "mistyped", "not_ready", "not_for_pickup", "closed"])
def test_every_unusable_reference_gets_the_same_answer_and_an_audited_refusal(
    town: dict[str, Any], case: str
) -> None:
    kiosk, device = _kiosk(town)
    ready = _ready(town)
    if case == "unknown":
        reference = "EAAAAAAA"
    elif case == "mistyped":
        reference = ready.reference[:-1] + ("A" if ready.reference[-1] != "A" else "B")
    elif case == "not_ready":
        reference = services.submit_request(
            product=town["attest"],
            answers={"naam": "x", "adres": "y", "soort": "woonst"},
            email="x@example.org",
        )[0].reference
    elif case == "not_for_pickup":
        ProductSettings.objects.filter(product=town["attest"]).update(delivery=Delivery.DOWNLOAD)
        reference = ready.reference
    else:
        services.transition(actor=town["users"]["teamlead"], request=ready, to=Status.CLOSED)
        reference = ready.reference
    before = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count()

    answer = _pick_up(kiosk, reference)

    assert answer.status_code == 400
    assert answer.json() == {"error": pickup.not_found_text()}
    assert Ticket.objects.count() == 0
    refusals = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED)
    assert refusals.count() == before + 1
    refusal = refusals.latest("pk")
    assert (refusal.actor_type, refusal.actor_id) == ("device", device.name)
    assert refusal.details["capability"] == "eloket.pickup"
    expected = {"unknown": "unknown", "mistyped": "unknown", "closed": "not_ready"}
    assert refusal.details["reason"] == expected.get(case, case)


def test_failed_tries_at_a_kiosk_are_limited(
    town: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pickup, "TRIES", (3, 600))
    filed = _ready(town)
    kiosk, _device = _kiosk(town)
    for n in range(3):
        assert _pick_up(kiosk, f"EWRONG{n}X").status_code == 400
    refused = _pick_up(kiosk, filed.reference)  # even a good reference, for a while
    assert refused.status_code == 429
    assert Ticket.objects.count() == 0
    assert AuditEvent.objects.filter(
        action=Action.PERMISSION_DENIED, details__reason="rate_limited"
    ).exists()
    # Another kiosk is not held back by this one.
    other = Client()
    enrolled(other, town["ac"], name="kiosk-2")
    assert _pick_up(other, filed.reference).status_code == 200


def test_the_same_reference_again_gets_the_open_ticket_and_a_resent_form_no_second(
    town: dict[str, Any],
) -> None:
    filed = _ready(town)
    kiosk, _device = _kiosk(town)
    first = _pick_up(kiosk, filed.reference, submission="a" * 16).json()["redirect"]
    again = _pick_up(kiosk, filed.reference, submission="a" * 16).json()["redirect"]
    later = _pick_up(kiosk, filed.reference, submission="b" * 16).json()["redirect"]
    assert first == again == later
    assert Ticket.objects.count() == 1


def test_only_the_desk_that_called_the_ticket_hands_the_request_over(
    town: dict[str, Any],
) -> None:
    filed = _ready(town)
    kiosk, _device = _kiosk(town)
    _pick_up(kiosk, filed.reference)
    ticket = Ticket.objects.get()
    agent, lead = town["users"]["balie"], town["users"]["teamlead"]
    queue_services.open_desk(desk=town["snelbalie"], actor=agent)
    queue_services.call_next(desk=town["snelbalie"], actor=agent)
    queue_services.open_desk(desk=town["balie1"], actor=lead)

    staff = Client()
    staff.force_login(lead)
    refused = staff.post(
        reverse("queue:desk-action", args=[town["balie1"].pk, "deliver"]), {"ticket": ticket.pk}
    )

    assert refused.status_code == 403
    filed.refresh_from_db()
    assert filed.status == Status.READY
    assert AuditEvent.objects.filter(
        action=Action.PERMISSION_DENIED,
        object_id=filed.reference,
        details__capability="eloket.pickup",
    ).exists()


def test_an_unpaid_request_is_handed_over_only_with_a_reason(town: dict[str, Any]) -> None:
    filed = _ready(town, "parking")
    assert filed.outstanding > 0
    kiosk, _device = _kiosk(town)
    _pick_up(kiosk, filed.reference)
    ticket = Ticket.objects.get()
    agent = town["users"]["balie"]
    queue_services.open_desk(desk=town["snelbalie"], actor=agent)
    queue_services.call_next(desk=town["snelbalie"], actor=agent)
    staff = Client()
    staff.force_login(agent)
    page = staff.get(reverse("queue:desk", args=[town["snelbalie"].pk])).content.decode()
    assert 'id="pickup-override"' in page

    url = reverse("queue:desk-action", args=[town["snelbalie"].pk, "deliver"])
    staff.post(url, {"ticket": ticket.pk})
    filed.refresh_from_db()
    assert filed.status == Status.READY

    staff.post(url, {"ticket": ticket.pk, "override_reason": "cash betaald aan de snelbalie"})
    filed.refresh_from_db()
    assert filed.status == Status.CLOSED
    closed = AuditEvent.objects.get(
        object_id=filed.reference, action=Action.TRANSITION, details__to="closed"
    )
    assert closed.details["unpaid_override"] == {
        "reason": "cash betaald aan de snelbalie",
        "outstanding": "25.00",
    }
