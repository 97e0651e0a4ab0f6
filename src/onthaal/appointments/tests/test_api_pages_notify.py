"""The public API contract, the citizen's pages, the kiosk check-in, and the outbox (with a
real local SMTP server)."""

from __future__ import annotations

import datetime as dt
import email
import socket
import time
from typing import Any

import icalendar
import pytest
from django.core import mail
from django.urls import reverse

from onthaal.appointments import notify, services
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.appointments.tests.data import BODY
from onthaal.audit.models import AuditEvent
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.devices.tests.factories import enrolled
from onthaal.queue.models import Ticket

pytestmark = pytest.mark.django_db

WEDNESDAY_9 = dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS)


def post(client: Any, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(path, body, content_type="application/json", headers=headers)


def test_availability_in_iso_8601_with_offset(client, zonnedoorn):
    response = client.get(
        "/api/v1/availability/",
        {
            "product": "eid-aanvragen",
            "location": "administratief-centrum",
            "from": "2027-03-24",
            "to": "2027-03-24",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["duration_minutes"] == 15
    assert body["slots"][0] == {
        "start": "2027-03-24T08:30:00+01:00",
        "end": "2027-03-24T08:45:00+01:00",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"product": "nope", "location": "administratief-centrum"}, "product"),
        ({"product": "eid-aanvragen", "location": "nowhere"}, "location"),
        ({"product": "eid-aanvragen", "location": "sociaal-huis"}, "location"),
        ({"product": "eid-aanvragen", "location": "administratief-centrum", "from": "x"}, "from"),
        (
            {
                "product": "eid-aanvragen",
                "location": "administratief-centrum",
                "from": "2027-03-25",
                "to": "2027-03-24",
            },
            "to",
        ),
        (
            {"product": "eid-aanvragen", "location": "administratief-centrum", "persons": "9"},
            "persons",
        ),
    ],
)
def test_bad_availability_queries_are_400_with_the_field(client, zonnedoorn, params, field):
    response = client.get("/api/v1/availability/", params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_create_read_reschedule_cancel_through_the_api(client, zonnedoorn, solved):
    created = post(client, "/api/v1/appointments/", {**BODY, "altcha": solved()})
    assert created.status_code == 201, created.content
    appointment = created.json()["appointment"]
    assert appointment["start"] == "2027-03-24T09:00:00+01:00"
    token = created.json()["manage_url"].split("token=")[1]
    reference = appointment["reference"]
    got = client.get(f"/api/v1/appointments/{reference}/", {"token": token})
    assert got.status_code == 200 and got.json()["products"] == ["Identiteitskaart aanvragen"]
    wrong = client.get(f"/api/v1/appointments/{reference}/", {"token": "x" * 20})
    unknown = client.get("/api/v1/appointments/ZZZZZZZZ/", {"token": token})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()  # nothing tells whether the reference exists
    moved = post(
        client,
        f"/api/v1/appointments/{reference}/reschedule/",
        {"token": token, "start": "2027-03-24T10:00:00+01:00"},
    )
    assert moved.status_code == 200 and moved.json()["start"].startswith("2027-03-24T10:00")
    assert moved.json()["reference"] == reference  # moved, not booked anew
    cancelled = post(client, f"/api/v1/appointments/{reference}/cancel/", {"token": token})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    kinds = list(Notification.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["confirmation", "change", "cancellation"]
    change = Notification.objects.get(kind="change")
    assert created.json()["manage_url"] in change.body  # the same link, in the "moved" mail


def test_a_taken_slot_is_409_at_once_with_where_to_find_the_next_free_slots(
    client, zonnedoorn, solved, django_assert_max_num_queries
):
    """A full time answers 409 without computing anything (a booking rush: 180 of 200
    citizens get this answer); the other times are a link away."""
    for n in range(4):
        body = {**BODY, "email": f"p{n}@x.org", "altcha": solved()}
        assert post(client, "/api/v1/appointments/", body).status_code == 201
    late = {**BODY, "email": "late@x.org", "altcha": solved()}
    events = AuditEvent.objects.count()
    with django_assert_max_num_queries(12):
        gone = post(client, "/api/v1/appointments/", late)
    assert gone.status_code == 409
    assert gone.json()["code"] == "slot_taken"
    assert Appointment.objects.count() == 4 and AuditEvent.objects.count() == events
    following = client.get(gone.json()["next_slots_url"])
    assert following.status_code == 200
    starts = [s["start"] for s in following.json()["slots"]]
    assert "2027-03-24T09:00:00+01:00" not in starts
    later = [s for s in starts if s > "2027-03-24T09:00"]
    assert later[0] == "2027-03-24T09:20:00+01:00"  # 10-min grid


@pytest.mark.parametrize("product", ["³", "①", "9" * 40])
def test_a_product_that_only_looks_like_a_number_is_a_field_error(client, zonnedoorn, product):
    """str.isdigit() is true for these; they once reached int() and gave a 500 (schemathesis)."""
    response = post(client, "/api/v1/appointments/", {**BODY, "product": [product]})
    assert response.status_code == 400
    assert "product" in response.json()["fields"]
    assert not Appointment.objects.exists()


def test_a_double_submit_with_an_idempotency_key_books_once(client, zonnedoorn, solved):
    body = {**BODY, "altcha": solved()}  # a retry sends the same request, proof included
    first = post(client, "/api/v1/appointments/", body, **{"Idempotency-Key": "k-1"})
    again = post(client, "/api/v1/appointments/", body, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == first.json()["appointment"]["reference"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"email": "", "phone": ""}, "email"),
        ({"name": ""}, "name"),
        ({"start": "2027-03-24T12:30:00+01:00"}, "start"),
        ({"start": "2027-03-01T09:00:00+01:00"}, "start"),
        ({"start": "tomorrow"}, "start"),
        ({"product": ["nope"]}, "product"),
    ],
)
def test_bad_bookings_are_400_with_the_field_and_save_nothing(
    client, zonnedoorn, solved, change, field
):
    response = post(client, "/api/v1/appointments/", {**BODY, "altcha": solved(), **change})
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Appointment.objects.exists()


def test_the_citizen_journey_in_pages(client, zonnedoorn, solved):
    start = client.get(reverse("appointments:start"))
    assert "Identiteitskaart aanvragen" in start.content.decode()
    query = "product=eid-aanvragen&persons=1&location=administratief-centrum"
    choose = client.get(reverse("appointments:choose") + "?" + query + "&day=2027-03-24")
    assert "09:00" in choose.content.decode()
    details = reverse("appointments:details")
    form = {
        "product": "eid-aanvragen",
        "persons": "1",
        "location": "administratief-centrum",
        "start": WEDNESDAY_9.isoformat(),
        "idempotency_key": "page-1",
    }
    bad = client.post(details, {**form, "name": "", "email": "x", "altcha": solved()})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.content.decode()
    done = client.post(
        details,
        {**form, "name": "Jan", "email": "jan@example.org", "altcha": solved()},
        follow=True,
    )
    html = done.content.decode()
    appointment = Appointment.objects.get()
    assert appointment.reference in html and "<svg" in html and "Identiteitskaart" in html
    assert "Jan" not in AuditText.all()


class AuditText:
    @staticmethod
    def all() -> str:
        from onthaal.audit.models import AuditEvent

        return " ".join(str(e.details) for e in AuditEvent.objects.all())


def test_products_of_two_departments_lead_to_one_booking_per_department(client, zonnedoorn):
    """Not a dead end with two contradictory messages: the page says why, once, and offers
    to book each department's products on their own; each link leads to free times."""
    query = "product=eid-aanvragen&product=omgevingsvergunning-info&persons=1"
    page = client.get(reverse("appointments:choose") + "?" + query)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Maak één afspraak per dienst" in text
    assert "één dienst tegelijk" not in text and 'role="alert"' not in text
    split = page.context["split"]
    assert [(d.slug, [p.slug for p in chosen]) for d, chosen, _ in split] == [
        ("burgerzaken", ["eid-aanvragen"]),
        ("omgeving", ["omgevingsvergunning-info"]),
    ]
    for _department, _chosen, alone in split:
        assert f'href="?{alone.replace("&", "&amp;")}"' in text
        followed = client.get(reverse("appointments:choose") + "?" + alone + "&day=2027-03-24")
        assert followed.status_code == 200 and not followed.context.get("errors")
        assert followed.context["times"], alone


def test_ics_parses_and_shows_nine_oclock_on_the_dst_sundays(client, zonnedoorn):
    from onthaal.hours.models import HoursChannel, OpeningException

    z = zonnedoorn
    day = dt.date(2027, 3, 28)
    OpeningException.objects.create(
        location=z["ac"],
        date=day,
        channel=HoursChannel.APPOINTMENT,
        closed=False,
        opens=dt.time(9),
        closes=dt.time(12),
        reason="DST",
    )
    booking = services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )
    appointment, token = services.book(
        request=booking,
        start=dt.datetime(2027, 3, 28, 9, tzinfo=BRUSSELS),
        name="Jan",
        email="jan@example.org",
    )
    response = client.get(
        reverse("appointments:ics", args=[appointment.reference]), {"token": token}
    )
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert start == dt.datetime(2027, 3, 28, 7, 0, tzinfo=dt.UTC)
    assert start.astimezone(BRUSSELS).strftime("%H:%M") == "09:00"
    page = client.get(
        reverse("appointments:manage", args=[appointment.reference]), {"token": token}
    )
    assert "09:00" in page.content.decode()
    notify.confirmation(appointment, "http://x/manage")
    assert "09:00" in Notification.objects.get().body


def test_the_e_mail_is_signed_by_the_installs_own_organisations(client, zonnedoorn):
    from onthaal.organisation import theme_cache
    from onthaal.organisation.models import Organisation

    Organisation.objects.filter(kind=Organisation.Kind.MUNICIPALITY).update(name="Gemeente Lo")
    Organisation.objects.filter(kind=Organisation.Kind.OCMW).update(name="OCMW Lo")
    theme_cache.invalidate()  # update() goes around the models' save
    from onthaal.hours.models import HoursChannel, OpeningException

    day = dt.date(2027, 4, 4)  # a Sunday, opened for it
    OpeningException.objects.create(
        location=zonnedoorn["ac"],
        date=day,
        channel=HoursChannel.APPOINTMENT,
        closed=False,
        opens=dt.time(9),
        closes=dt.time(12),
        reason="test",
    )
    booking = services.build_request(
        location=zonnedoorn["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )
    appointment, _token = services.book(
        request=booking,
        start=dt.datetime(2027, 4, 4, 9, tzinfo=BRUSSELS),
        name="Jan",
        email="jan@example.org",
    )
    notify.confirmation(appointment, "http://x/manage")
    body = Notification.objects.latest("pk").body
    assert body.rstrip().endswith("\nGemeente Lo en OCMW Lo")


def test_kiosk_check_in_with_the_reference(client, zonnedoorn):
    z = zonnedoorn
    booking = services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )
    appointment, _ = services.book(request=booking, start=WEDNESDAY_9, name="Jan", email="j@x.org")
    z["traveller"].move_to(WEDNESDAY_9 - dt.timedelta(minutes=5))
    enrolled(client, z["ac"])
    url = reverse("queue:kiosk", args=["administratief-centrum"])
    form = {"action": "checkin", "reference": appointment.reference.lower(), "submission": "k" * 32}
    response = client.post(url, form)
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.public_id in response["Location"]
    # The same submission again (its answer was lost): the same ticket.
    assert client.post(url, form)["Location"] == response["Location"]
    again = client.post(url, {**form, "submission": "l" * 32}, follow=True)
    assert "al aangemeld" in again.content.decode() or "already" in again.content.decode()
    assert Ticket.objects.count() == 1
    event = AuditEvent.objects.filter(object_type="appointments.appointment").last()
    assert event.actor_label == "device:kiosk-1"
    assert Appointment.objects.get().status == Status.CHECKED_IN


@pytest.mark.parametrize("slug", ["eid-afhalen", "adreswijziging"])
def test_an_appointment_checks_in_for_a_product_the_kiosk_does_not_offer(client, zonnedoorn, slug):
    """The kiosk offers walk-in products; an appointment was booked for its own products (a
    pick-up served at the quick counter, an appointment-only matter) and still checks in."""
    z = zonnedoorn
    product = Product.objects.get(slug=slug)
    booking = services.build_request(location=z["ac"], products=[product])
    start = services.availability(booking, WEDNESDAY_9.date(), WEDNESDAY_9.date())[0].start
    appointment, _ = services.book(request=booking, start=start, name="Jan", email="j@x.org")
    z["traveller"].move_to(start - dt.timedelta(minutes=5))
    enrolled(client, z["ac"])
    url = reverse("queue:kiosk", args=["administratief-centrum"])
    response = client.post(url, {"action": "checkin", "reference": appointment.reference})
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.public_id in response["Location"]
    assert list(ticket.products.all()) == [product]


def _closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: an SMTP connection to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_outbox_sends_with_ics_and_retries_failures(zonnedoorn, settings):
    """The mail server refuses the connection (a real refused TCP connection): the message
    stays pending with the error and a later attempt time, is retried once that time comes,
    is sent exactly once when the server is back, and gives up after MAX_ATTEMPTS."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    z = zonnedoorn
    booking = services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )
    appointment, _ = services.book(request=booking, start=WEDNESDAY_9, name="Jan", email="j@x.org")
    notify.confirmation(appointment, "http://x/m")
    queued = Notification.objects.get()
    assert notify.send_due() == 0  # the server is down
    failed = Notification.objects.get()
    assert failed.status == Notification.State.PENDING and failed.attempts == 1
    assert "refused" in failed.last_error.lower() or "111" in failed.last_error
    assert failed.next_attempt_at == queued.next_attempt_at + dt.timedelta(minutes=2)
    assert notify.send_due() == 0 and Notification.objects.get().attempts == 1  # not yet due
    z["traveller"].shift(2 * 60)
    assert notify.send_due() == 0  # due again, and the server is still down
    assert Notification.objects.get().attempts == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # server back
    assert notify.send_due() == 0  # the next attempt waits 4 minutes
    z["traveller"].shift(4 * 60)
    assert notify.send_due() == 1
    assert notify.send_due() == 0  # sent once
    (message,) = mail.outbox
    assert appointment.reference in message.subject
    assert message.attachments[0][0] == "afspraak.ics"
    sent = Notification.objects.get()
    assert (sent.status, sent.attempts, sent.last_error) == (Notification.State.SENT, 3, "")
    # A server that stays down: the message is given up after MAX_ATTEMPTS, never sent twice.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    notify.resend(sent)
    Notification.objects.update(attempts=notify.MAX_ATTEMPTS - 1)
    assert notify.send_due() == 0
    given_up = Notification.objects.get()
    assert (given_up.status, given_up.attempts) == (
        Notification.State.FAILED,
        notify.MAX_ATTEMPTS,
    )
    z["traveller"].shift(24 * 3600)
    assert notify.send_due() == 0 and len(mail.outbox) == 1


def test_reminders_exactly_once_even_when_the_worker_dies_mid_batch(zonnedoorn, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    z = zonnedoorn
    booking = services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )
    for n, hour in enumerate((9, 10, 11)):
        services.book(
            request=booking, start=WEDNESDAY_9.replace(hour=hour), name="Jan", email=f"j{n}@x.org"
        )
    z["traveller"].move_to(dt.datetime(2027, 3, 23, 12, 0, tzinfo=BRUSSELS))
    assert notify.schedule_reminders() == 3
    assert notify.schedule_reminders() == 0  # the job runs again: nothing new
    # A worker claims the batch, sends one message and is killed.
    claimed = notify._claim(10)
    notify.send_one(claimed[0])
    assert len(mail.outbox) == 1
    # The next worker: nothing while the claims hold, the rest once they expire.
    assert notify.send_due() == 0
    z["traveller"].shift(notify.CLAIM.total_seconds() + 1)
    assert notify.send_due() == 2
    assert notify.send_due() == 0
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["j0@x.org", "j1@x.org", "j2@x.org"]


def test_confirmation_reaches_a_real_smtp_server_with_its_ics(zonnedoorn, settings):
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        z = zonnedoorn
        booking = services.build_request(
            location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
        )
        appointment, _ = services.book(
            request=booking, start=WEDNESDAY_9, name="Jan", email="jan@example.org"
        )
        notify.confirmation(appointment, "http://127.0.0.1/afspraak/x/?token=y")
        assert notify.send_due() == 1
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    message = email.message_from_bytes(received[0])
    parts = {p.get_content_type(): p for p in message.walk()}
    calendar = icalendar.Calendar.from_ical(parts["text/calendar"].get_payload(decode=True))
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(BRUSSELS).strftime("%H:%M") == "09:00"
    assert appointment.reference in str(message["Subject"])


def test_rate_limits_per_address_and_per_contact(client, zonnedoorn, settings, solved):
    from django.core.cache import cache

    from onthaal.appointments import limits

    cache.clear()
    for n in range(limits.PER_IP[0]):
        start = f"2027-03-24T{9 + n // 4:02d}:{(n % 4) * 15:02d}:00+01:00"
        body = {**BODY, "start": start, "email": f"p{n}@x.org", "altcha": solved()}
        response = post(client, "/api/v1/appointments/", body)
        assert response.status_code in (201, 409), response.content
    refused = post(
        client, "/api/v1/appointments/", {**BODY, "email": "one-more@x.org", "altcha": solved()}
    )
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    cache.clear()
    for _ in range(limits.PER_CONTACT[0]):
        limits.check(ip=None, contact="same@x.org")
    with pytest.raises(limits.TooMany):
        limits.check(ip=None, contact="SAME@x.org")
    cache.clear()


def test_a_phone_only_booking_gets_its_confirmation_by_sms(zonnedoorn, settings, tmp_path):
    import json as jsonlib

    settings.DATA_DIR = tmp_path
    settings.SMS_BACKEND = "file"
    z = zonnedoorn
    booking = services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )
    appointment, _ = services.book(
        request=booking, start=WEDNESDAY_9, name="Jan", email="", phone="+32 470 12 34 56"
    )
    notify.confirmation(appointment, "http://x/m")
    assert notify.send_due() == 1
    sent = [jsonlib.loads(line) for line in (tmp_path / "sms.log").read_text().splitlines()]
    assert sent[0]["to"] == "+32 470 12 34 56"
    assert appointment.reference in sent[0]["text"] and "09:00" in sent[0]["text"]


def test_repeated_no_shows_are_asked_to_call(zonnedoorn):
    z = zonnedoorn
    booking = services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )
    for hour in (9, 10, 11):
        appointment, _ = services.book(
            request=booking, start=WEDNESDAY_9.replace(hour=hour), name="Jan", email="j@x.org"
        )
        Appointment.objects.filter(pk=appointment.pk).update(status=Status.NO_SHOW)
    with pytest.raises(services.DomainError) as refused:
        services.book(
            request=booking, start=WEDNESDAY_9.replace(hour=14), name="Jan", email="J@x.org"
        )
    assert refused.value.code == "call_us"
    staff, _ = services.book(  # reception books it for the caller
        request=booking,
        start=WEDNESDAY_9.replace(hour=14),
        name="Jan",
        email="j@x.org",
        actor=z["users"]["onthaal"],
        channel="phone",
    )
    assert staff.status == Status.BOOKED


def test_reception_books_for_a_caller_with_an_audited_exception(client, zonnedoorn):
    from onthaal.audit.models import AuditEvent

    z = zonnedoorn
    client.force_login(z["users"]["onthaal"])
    query = "product=eid-aanvragen&persons=1&location=administratief-centrum"
    normal = client.get(reverse("appointments:choose") + "?" + query + "&day=2027-03-23")
    assert "uitzondering" in normal.content.decode()  # the staff link to an exception
    assert "10:30" not in normal.content.decode()  # within the 2-hour lead time
    exception = client.get(
        reverse("appointments:choose") + "?" + query + "&exception=1&day=2027-03-23"
    )
    assert "10:30" in exception.content.decode()
    soon = dt.datetime(2027, 3, 23, 10, 30, tzinfo=BRUSSELS).isoformat()
    form = {
        "product": "eid-aanvragen",
        "persons": "1",
        "location": "administratief-centrum",
        "start": soon,
        "exception": "1",
        "channel": "phone",
        "name": "Caller",
        "phone": "+32 470 00 00 00",
    }
    missing = client.post(reverse("appointments:details"), form)
    assert missing.status_code == 400 and "reden" in missing.content.decode()
    booked = client.post(reverse("appointments:details"), {**form, "reason": "Urgent trip"})
    assert booked.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.channel, appointment.created_by) == ("phone", z["users"]["onthaal"])
    event = AuditEvent.objects.get(object_type="appointments.appointment", action="create")
    assert event.details["override"] == "Urgent trip" and event.actor_id == str(
        z["users"]["onthaal"].pk
    )
