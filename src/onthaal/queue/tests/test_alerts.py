""" "Warn me when it is almost my turn": the form on the status page, the one message through
the outbox, and the contact that is never shown and is forgotten with the ticket."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core import mail
from django.test import AsyncClient
from django.urls import reverse

from onthaal.appointments import notify
from onthaal.appointments.models import Notification
from onthaal.audit.models import AuditEvent
from onthaal.core.errors import Conflict
from onthaal.queue import alerts, broker, services
from onthaal.queue.models import Source, Status, Ticket

pytestmark = pytest.mark.django_db

EMAIL = "jeanine.vandamme@example.org"
PHONE = "+32 470 99 88 77"


def issue(z: dict[str, Any], queue: str = "burgerzaken", n: int = 1) -> list[Ticket]:
    return [
        services.issue_ticket(
            location=z[queue].location,
            queue=z[queue],
            source=Source.RECEPTION,
            actor=z["users"]["onthaal"],
            check_hours=False,
        )
        for _ in range(n)
    ]


def serve_next(z: dict[str, Any], desk: str = "balie1", user: str = "balie") -> Ticket:
    agent = z["users"][user]
    called = services.call_next(desk=z[desk], actor=agent)
    assert called is not None
    return services.finish(ticket=called, desk=z[desk], actor=agent)


def post_alert(client: Any, ticket: Ticket, **data: str) -> Any:
    return client.post(reverse("queue:ticket", args=[ticket.public_id]), data)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "This e-mail address is not valid."),
        ({"phone": "call me"}, "phone", "This phone number is not valid."),
        ({}, "email", "Give an e-mail address or a mobile phone number."),
        ({"email": "a" * 250 + "@x.be"}, "email", "This e-mail address is not valid."),
    ],
)
def test_bad_contact_gets_field_errors_and_stores_nothing(
    client, zonnedoorn, settings, data, field, message
):
    settings.LANGUAGE_CODE = "en"
    (ticket,) = issue(zonnedoorn)
    response = post_alert(client, ticket, **data)
    html = response.content.decode()
    assert response.status_code == 400
    assert f'id="alert-{field}-error"' in html and message in html
    assert f'aria-describedby="alert-{field}-error turn-alert-help"' in html
    assert 'aria-invalid="true"' in html
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.alert_email, stored.alert_phone, stored.alert_sent_at) == ("", "", None)
    assert not AuditEvent.objects.filter(details__turn_alert__isnull=False).exists()
    assert Notification.objects.count() == 0


def test_registering_far_from_the_turn_stores_and_audits_without_the_contact(client, zonnedoorn):
    z = zonnedoorn
    tickets = issue(z, n=6)
    mine = tickets[-1]  # five before it
    response = post_alert(client, mine, email=EMAIL, phone=PHONE)
    assert response.status_code == 302
    assert response["Location"] == reverse("queue:ticket", args=[mine.public_id]) + "#turn-alert"
    stored = Ticket.objects.get(pk=mine.pk)
    assert (stored.alert_email, stored.alert_phone, stored.alert_sent_at) == (EMAIL, PHONE, None)
    event = AuditEvent.objects.get(object_type="queue.ticket", details__turn_alert__isnull=False)
    assert event.details["turn_alert"] == ["email", "sms"]
    assert EMAIL not in json.dumps(event.details) and "470" not in json.dumps(event.details)
    assert alerts.enqueue_turn_alerts() == 0
    assert Notification.objects.count() == 0


def test_calls_bring_it_within_reach_and_exactly_one_message_is_queued(zonnedoorn, settings):
    settings.ONTHAAL_TURN_ALERT_AHEAD = 3
    z = zonnedoorn
    tickets = issue(z, n=6)
    mine = tickets[-1]
    alerts.register(ticket=mine, email=EMAIL, phone="")
    services.open_desk(desk=z["balie1"], actor=z["users"]["balie"])
    serve_next(z)
    assert alerts.enqueue_turn_alerts() == 0  # still four before it
    serve_next(z)
    assert alerts.enqueue_turn_alerts() == 1  # three before it
    assert alerts.enqueue_turn_alerts() == 0  # once, however often the job runs
    message = Notification.objects.get()
    assert (message.ticket_id, message.appointment_id) == (mine.pk, None)
    assert (message.kind, message.channel, message.recipient) == ("turn", "email", EMAIL)
    assert mine.code in message.body and "3" in message.body
    assert "Jeanine" not in message.body + message.subject
    assert Ticket.objects.get(pk=mine.pk).alert_sent_at is not None
    serve_next(z)
    assert alerts.enqueue_turn_alerts() == 0
    assert Notification.objects.count() == 1


def test_registering_within_reach_queues_the_message_at_once(client, zonnedoorn):
    z = zonnedoorn
    _first, mine = issue(z, n=2)
    post_alert(client, mine, phone=PHONE)
    message = Notification.objects.get()
    assert (message.kind, message.channel, message.recipient) == ("turn", "sms", PHONE)
    assert mine.code in message.body
    page = client.get(reverse("queue:ticket", args=[mine.public_id])).content.decode()
    assert 'id="turn-alert"' not in page  # no form once the message went out
    # Asking again is refused: the message went out.
    again = post_alert(client, mine, phone="+32 470 11 11 11")
    assert again.status_code == 302
    assert Ticket.objects.get(pk=mine.pk).alert_phone == PHONE
    assert Notification.objects.count() == 1


def test_the_message_uses_the_language_of_the_page_else_dutch():
    assert alerts.message("B012", 2, "fr")[1] != "" and "B012" in alerts.message("B012", 2, "")[1]
    subject, text = alerts.message("B012", 0, "en")
    assert subject == "Your turn is coming: ticket B012"
    assert text == "Ticket B012: you are next. Come to the waiting room."
    assert "2 more people" in alerts.message("B012", 2, "en")[1]


def test_the_message_is_sent_by_e_mail_and_by_sms_through_the_outbox(
    zonnedoorn, settings, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DATA_DIR = tmp_path
    settings.SMS_BACKEND = "file"
    z = zonnedoorn
    (mine,) = issue(z)
    alerts.register(ticket=mine, email=EMAIL, phone=PHONE)
    assert Notification.objects.filter(kind="turn").count() == 2
    assert notify.send_due() == 2
    assert len(mail.outbox) == 1
    sent_mail = mail.outbox[0]
    assert sent_mail.to == [EMAIL] and mine.code in sent_mail.subject
    assert mine.code in sent_mail.body and not sent_mail.attachments
    sms_log = [json.loads(line) for line in (tmp_path / "sms.log").read_text().splitlines()]
    assert len(sms_log) == 1
    assert sms_log[0]["to"] == PHONE and mine.code in sms_log[0]["text"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_the_contact_is_forgotten_when_the_ticket_is_finished_or_the_day_closes(zonnedoorn):
    z = zonnedoorn
    first, second = issue(z, n=2)
    alerts.register(ticket=first, email=EMAIL, phone="")
    alerts.register(ticket=second, email="", phone=PHONE)
    assert Notification.objects.count() == 2
    services.open_desk(desk=z["balie1"], actor=z["users"]["balie"])
    finished = serve_next(z)
    assert finished.pk == first.pk
    assert (finished.alert_email, finished.alert_phone) == ("", "")
    services.close_day(at_closing=True)
    closed = Ticket.objects.get(pk=second.pk)
    assert closed.status == Status.CANCELLED
    assert (closed.alert_email, closed.alert_phone, closed.alert_language) == ("", "", "")
    # The outbox's copy goes too (the messages were not sent yet: they are dropped).
    assert notify.forget_ticket_recipients() == 2
    assert set(Notification.objects.values_list("recipient", flat=True)) == {""}
    assert set(Notification.objects.values_list("status", flat=True)) == {"failed"}
    assert notify.forget_ticket_recipients() == 0
    assert AuditEvent.objects.filter(
        actor_label="system:retention", object_type="appointments.notification"
    ).exists()


def test_a_cancelled_ticket_forgets_its_contact_and_takes_no_new_one(client, zonnedoorn):
    z = zonnedoorn
    _first, _second, _third, _fourth, mine = issue(z, n=5)
    alerts.register(ticket=mine, email=EMAIL, phone="")
    cancelled = services.cancel(ticket=mine, actor=z["users"]["onthaal"], reason="left")
    assert cancelled.alert_email == ""
    assert post_alert(client, mine, email=EMAIL).status_code == 302
    assert Ticket.objects.get(pk=mine.pk).alert_email == ""
    page = client.get(reverse("queue:ticket", args=[mine.public_id])).content.decode()
    assert 'id="turn-alert"' not in page


def _leaks(text: str) -> list[str]:
    return [
        value
        for value in (EMAIL, "jeanine", PHONE, PHONE.replace(" ", ""), "99 88 77")
        if value in text
    ]


@pytest.mark.django_db(transaction=True)
def test_status_page_json_screen_and_events_never_show_the_contact(client, zonnedoorn, settings):
    settings.REDIS_URL = ""
    broker.reset_broker()
    z = zonnedoorn
    tickets = issue(z, n=6)
    mine = tickets[-1]
    alerts.register(ticket=mine, email=EMAIL, phone=PHONE)
    page = client.get(reverse("queue:ticket", args=[mine.public_id])).content.decode()
    assert mine.code in page and 'id="turn-alert"' in page
    status = client.get(reverse("queue:ticket-json", args=[mine.public_id])).content.decode()
    services.open_desk(desk=z["balie1"], actor=z["users"]["balie"])
    serve_next(z)
    screen = client.get(reverse("queue:screen", args=["administratief-centrum"])).content.decode()
    display = client.get(f"/api/v1/locations/{z['ac'].pk}/display/").content.decode()

    async def first_chunk() -> str:
        response = await AsyncClient().get(f"/api/v1/locations/{z['ac'].pk}/events/")
        chunks = response.streaming_content.__aiter__()
        chunk = (await anext(chunks)).decode()
        await chunks.aclose()
        return chunk

    events = async_to_sync(first_chunk)()
    assert "event: state" in events
    for shown in (page, status, screen, display, events):
        assert _leaks(shown) == []


def test_query_count_of_the_worker_poll_does_not_grow_with_the_tickets(
    zonnedoorn, django_assert_max_num_queries
):
    z = zonnedoorn
    tickets = issue(z, n=12)
    for ticket in tickets[6:]:
        alerts.register(ticket=ticket, email=EMAIL, phone="")
    with django_assert_max_num_queries(2):
        assert alerts.enqueue_turn_alerts() == 0  # all six are more than three away


def test_staff_outbox_shows_a_ticket_message_only_to_its_department(client, zonnedoorn):
    z = zonnedoorn
    (social,) = issue(z, "social")
    (civil,) = issue(z)
    alerts.register(ticket=social, email=EMAIL, phone="")
    alerts.register(ticket=civil, email="other@example.org", phone="")
    url = reverse("appointments:outbox")
    client.force_login(z["users"]["balie"])  # Burgerzaken
    page = client.get(url).content.decode()
    assert civil.code in page and "Burgerzaken" in page
    assert social.code not in page and EMAIL not in page
    # Nor can it be sent again by guessing its number.
    hidden = Notification.objects.get(ticket=social)
    client.post(url, {"message": hidden.pk})
    assert not AuditEvent.objects.filter(
        object_type="appointments.notification", object_id=str(hidden.pk)
    ).exists()
    client.force_login(z["users"]["mw"])  # the social service sees its own
    page = client.get(url).content.decode()
    assert social.code in page and EMAIL in page and civil.code not in page


def test_a_forgotten_recipient_cannot_be_sent_again(client, zonnedoorn):
    z = zonnedoorn
    (mine,) = issue(z)
    alerts.register(ticket=mine, email=EMAIL, phone="")
    services.cancel(ticket=mine, actor=z["users"]["onthaal"], reason="left")
    notify.forget_ticket_recipients()
    message = Notification.objects.get()
    client.force_login(z["users"]["balie"])
    page = client.get(reverse("appointments:outbox")).content.decode()
    assert mine.code in page and f'value="{message.pk}"' not in page
    client.post(reverse("appointments:outbox"), {"message": message.pk})
    assert Notification.objects.get().status == Notification.State.FAILED


def test_the_contact_is_set_once_and_never_replaced_from_the_page(client, zonnedoorn, settings):
    """Issue #5 finding 2: whoever has the status page's address could replace the citizen's
    contact. It is set once; another one is refused, changes nothing and writes nothing."""
    settings.LANGUAGE_CODE = "en"
    tickets = issue(zonnedoorn, n=6)
    mine = tickets[-1]
    assert post_alert(client, mine, email=EMAIL).status_code == 302
    for attempt in ({"email": "attacker@example.org"}, {"phone": "+32 470 00 00 00"}):
        refused = post_alert(client, mine, **attempt)
        assert refused.status_code == 302
        page = client.get(refused["Location"]).content.decode()
        assert "To change it, ask at the reception desk." in page
    with pytest.raises(Conflict) as raised:
        alerts.register(ticket=mine, email="attacker@example.org", phone="")
    assert raised.value.code == "alert_already_set"
    stored = Ticket.objects.get(pk=mine.pk)
    assert (stored.alert_email, stored.alert_phone) == (EMAIL, "")
    assert AuditEvent.objects.filter(details__turn_alert__isnull=False).count() == 1
    page = client.get(reverse("queue:ticket", args=[mine.public_id])).content.decode()
    assert 'name="email"' not in page and "ask at the reception desk" in page
