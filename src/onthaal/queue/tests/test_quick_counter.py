"""The quick counter (snelbalie) is real: its tickets carry the source ``quick_counter``, a
product it serves goes there from the kiosk (and is offered there only), and the team lead's
live view shows its visits apart, with the share served within the product's target."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from onthaal.accounts.models import Membership, Role
from onthaal.accounts.tests.factories import UserFactory
from onthaal.catalogue.models import Channel, Product, ProductChannel
from onthaal.devices.tests.factories import enrolled
from onthaal.organisation.models import Desk
from onthaal.queue import selectors, services
from onthaal.queue.models import Source, Ticket

pytestmark = pytest.mark.django_db

KIOSK = reverse("queue:kiosk", args=["administratief-centrum"])


def _post(client, form):
    return client.post(KIOSK, form, headers={"Accept": "application/json"})


def test_a_quick_product_goes_to_the_quick_counter_and_is_offered_there_only(client, zonnedoorn):
    z = zonnedoorn
    enrolled(client, z["ac"], name="kiosk-ac-1")
    pickup = Product.objects.get(slug="eid-afhalen")
    # A queue of Burgerzaken that offers it too (an admin's overlap): the kiosk still shows
    # it once, at the quick counter, and sends it there.
    z["burgerzaken"].products.add(pickup)
    page = client.get(KIOSK).content.decode()
    assert page.count(f'name="product" value="{pickup.pk}"') == 1

    _post(client, {"queue": z["burgerzaken"].pk, "product": pickup.pk, "submission": "q" * 32})
    apply = Product.objects.get(slug="eid-aanvragen")
    _post(client, {"queue": z["burgerzaken"].pk, "product": apply.pk, "submission": "r" * 32})
    _post(client, {"queue": z["snel"].pk, "submission": "s" * 32})  # "something else" there

    tickets = list(Ticket.objects.order_by("number"))
    assert [(t.queue.prefix, t.source) for t in tickets] == [
        ("S", Source.QUICK_COUNTER),
        ("B", Source.KIOSK),
        ("S", Source.QUICK_COUNTER),
    ]
    assert list(tickets[0].products.all()) == [pickup]


def test_reception_issues_a_quick_counter_ticket_with_its_source(client, zonnedoorn):
    z = zonnedoorn
    client.force_login(z["users"]["onthaal"])
    url = reverse("queue:reception", args=["administratief-centrum"])
    client.post(url, {"action": "issue", "queue": z["snel"].pk})
    client.post(url, {"action": "issue", "queue": z["burgerzaken"].pk})
    sources = list(Ticket.objects.order_by("number").values_list("queue__prefix", "source"))
    assert sources == [("S", Source.QUICK_COUNTER), ("B", Source.RECEPTION)]


def _serve_at(z, desk, agent, product, minutes):
    ticket = services.issue_ticket(
        location=z["ac"],
        queue=z["snel"],
        source=Source.QUICK_COUNTER,
        actor=z["users"]["onthaal"],
        products=[product],
        check_hours=False,
    )
    called = services.call_next(desk=desk, actor=agent)
    assert called is not None and called.pk == ticket.pk
    services.start(ticket=called, desk=desk, actor=agent)
    z["traveller"].shift(dt.timedelta(minutes=minutes))
    services.finish(ticket=services.get_ticket(ticket.pk), desk=desk, actor=agent)


def test_the_lead_sees_the_quick_counter_apart_with_each_products_target(client, zonnedoorn):
    z = {**zonnedoorn, "bz": zonnedoorn["burgerzaken"].department}
    agent = z["users"]["balie"]
    quick_desk = Desk.objects.get(location=z["ac"], name="Snelbalie")
    services.open_desk(desk=quick_desk, actor=agent)
    pickup = Product.objects.get(slug="eid-afhalen")  # target: the default 5 minutes
    bags = Product.objects.get(slug="huisvuilzakken")  # target: 3 minutes (demo)
    assert (
        ProductChannel.objects.get(product=bags, channel=Channel.QUICK_COUNTER).target_minutes == 3
    )
    _serve_at(z, quick_desk, agent, pickup, 4)  # within 5
    _serve_at(z, quick_desk, agent, bags, 4)  # not within 3
    _serve_at(z, quick_desk, agent, pickup, 5)  # within 5: the bound counts
    # A visit at Burgerzaken's own desk is no quick-counter visit.
    colleague = UserFactory()
    Membership.objects.create(user=colleague, department=z["bz"], role=Role.DESK_AGENT)
    services.open_desk(desk=z["balie1"], actor=colleague)
    services.issue_ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        source=Source.KIOSK,
        actor=z["users"]["onthaal"],
        check_hours=False,
    )
    called = services.call_next(desk=z["balie1"], actor=colleague)
    assert called is not None
    services.finish(ticket=called, desk=z["balie1"], actor=colleague)

    days = selectors.queue_days(z["ac"])
    by_prefix = {d.figures.queue.prefix: d for d in days}
    assert (by_prefix["S"].quick_served, by_prefix["S"].quick_within) == (3, 2)
    assert by_prefix["B"].quick_served == 0
    quick = selectors.quick_day(days)
    assert (quick.served, quick.within, quick.share_within) == (3, 2, 67)
    assert quick.average_service_minutes == round((4 + 4 + 5) / 3)

    client.force_login(z["users"]["manager"])
    response = client.get(reverse("queue:lead", args=["administratief-centrum"]))
    assert response.status_code == 200
    assert response.context["quick"] == quick
    assert "67%" in response.content.decode()
