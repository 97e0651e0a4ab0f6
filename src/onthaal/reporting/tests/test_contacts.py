"""Phone and e-mail contacts as facts: reception registers a phone call (channel phone), and
every handled incoming e-mail of the mail register becomes a fact (channel e-mail), once, with
its rollups; nothing about the caller or the sender is kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onthaal.audit.models import AuditEvent
from onthaal.catalogue.models import Product
from onthaal.mail.models import Channel as MailChannel
from onthaal.mail.models import Direction, MailItem
from onthaal.mail.models import Status as MailStatus
from onthaal.reporting import facts, services
from onthaal.reporting.models import DailyRollup, HourlyRollup, RefreshState, Visit, VisitProduct

pytestmark = pytest.mark.django_db


def _url(z: dict[str, Any]) -> str:
    return f"/staff/contacts/{z['ac'].slug}/phone/"


def _handled_emails() -> Any:
    return MailItem.objects.filter(
        direction=Direction.IN,
        channel=MailChannel.EMAIL,
        status__in=[MailStatus.ANSWERED, MailStatus.CLOSED],
        department__isnull=False,
    )


def test_reception_registers_a_phone_call_as_one_fact_with_its_rollups_and_an_audit_event(
    client, zonnedoorn
):
    z = zonnedoorn
    product = Product.objects.filter(department=z["bz"]).order_by("pk").first()
    client.force_login(z["users"]["onthaal"])

    page = client.get(_url(z), HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        _url(z), {"department": z["bz"].pk, "product": product.pk, "minutes": "4"}
    )

    assert page.status_code == 200
    assert response.status_code == 302
    visit = Visit.objects.get(origin="phone")
    assert (visit.origin_id, visit.channel, visit.source, visit.outcome) == (
        1,
        facts.PHONE,
        "reception",
        facts.SERVED,
    )
    assert (visit.location_id, visit.department_id, visit.product_id) == (
        z["ac"].pk,
        z["bz"].pk,
        product.pk,
    )
    # Tuesday 23 March 2027, 10:00 in Brussels (the tests' clock).
    assert (visit.service_day, visit.weekday, visit.hour) == (dt.date(2027, 3, 23), 1, 10)
    assert (visit.wait_seconds, visit.service_seconds, visit.items) == (None, 240, 1)
    assert list(VisitProduct.objects.values_list("product_id", "quantity")) == [(product.pk, 1)]
    for model in (HourlyRollup, DailyRollup):
        row = model.objects.get(channel=facts.PHONE)
        assert (row.visits, row.served, row.service_count, row.service_sum) == (1, 1, 1, 240)
    event = AuditEvent.objects.get(object_type="reporting.contact")
    assert (event.action, event.actor_label, event.object_id) == ("create", "onthaal", "phone:1")

    # The next call gets the next number.
    client.post(_url(z), {"department": z["bz"].pk})
    assert list(Visit.objects.filter(origin="phone").values_list("origin_id", flat=True)) == [
        1,
        2,
    ]
    # Without a product it counts under product 0: a second row of the same hour.
    assert sorted(
        HourlyRollup.objects.filter(channel=facts.PHONE).values_list("product_id", "visits")
    ) == [(0, 1), (product.pk, 1)]


def test_a_product_of_another_department_or_too_many_minutes_is_refused_on_its_field(
    client, zonnedoorn
):
    z = zonnedoorn
    other = Product.objects.exclude(department=z["bz"]).order_by("pk").first()
    client.force_login(z["users"]["onthaal"])

    response = client.post(
        _url(z),
        {"department": z["bz"].pk, "product": other.pk, "minutes": "999"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"product", "minutes"}
    assert not Visit.objects.filter(origin="phone").exists()
    assert not AuditEvent.objects.filter(object_type="reporting.contact").exists()


def test_a_user_without_reception_rights_is_refused_and_the_refusal_is_audited(client, zonnedoorn):
    z = zonnedoorn
    client.force_login(z["users"]["manager"])

    response = client.post(_url(z), {"department": z["bz"].pk})

    assert response.status_code == 403
    assert not Visit.objects.filter(origin="phone").exists()
    refusal = AuditEvent.objects.filter(action="permission_denied").latest("pk")
    assert refusal.actor_label == "manager"
    assert refusal.object_type == "reporting.contact"


def test_handled_incoming_emails_become_facts_once_with_channel_email(zonnedoorn):
    handled = list(_handled_emails().order_by("pk"))
    assert handled, "the demo's mail register has handled incoming e-mails"

    services.refresh_facts()

    emails = Visit.objects.filter(origin="email").order_by("origin_id")
    assert [v.origin_id for v in emails] == [m.pk for m in handled]
    assert {(v.channel, v.source, v.outcome) for v in emails} == {
        (facts.EMAIL, "mail_register", facts.SERVED)
    }
    assert all(v.wait_seconds is None and v.service_seconds is None for v in emails)
    first = handled[0]
    assert emails[0].department_id == first.department_id
    assert emails[0].arrived_at == first.registered_at
    assert sum(
        HourlyRollup.objects.filter(channel=facts.EMAIL).values_list("visits", flat=True)
    ) == len(handled)

    assert services.refresh_facts() == 0
    assert Visit.objects.filter(origin="email").count() == len(handled)


def test_an_open_email_holds_the_floor_and_is_counted_once_it_is_closed(zonnedoorn):
    from onthaal.mail import services as mail

    z = zonnedoorn
    services.refresh_facts()
    waiting = (
        MailItem.objects.filter(direction=Direction.IN, channel=MailChannel.EMAIL)
        .exclude(status__in=[MailStatus.ANSWERED, MailStatus.CLOSED])
        .exclude(department__isnull=True)
        .order_by("pk")
        .first()
    )
    assert waiting is not None, "the demo has an e-mail still open"
    assert RefreshState.objects.get(pk=1).mail_floor <= waiting.pk
    assert not Visit.objects.filter(origin="email", origin_id=waiting.pk).exists()

    actor = waiting.handler or z["users"]["post"]
    mail.close_item(actor=actor, item=waiting, reason="no answer needed")
    services.refresh_facts()

    assert Visit.objects.filter(origin="email", origin_id=waiting.pk).count() == 1


def test_the_rollups_equal_a_count_over_the_facts_with_phone_and_email_contacts(client, zonnedoorn):
    from onthaal.reporting.tests.test_rollups_property import MODELS, _counted_from_facts, _rollups

    z = zonnedoorn
    client.force_login(z["users"]["onthaal"])
    for minutes in ("", "3", "12"):
        client.post(_url(z), {"department": z["bz"].pk, "minutes": minutes})
    z["traveller"].shift(dt.timedelta(hours=3))
    client.post(_url(z), {"department": z["bz"].pk})
    services.refresh_facts()

    channels = set(Visit.objects.values_list("channel", flat=True))
    assert {facts.PHONE, facts.EMAIL} <= channels
    for model in MODELS:
        assert _rollups(model) == _counted_from_facts(model), model.__name__
