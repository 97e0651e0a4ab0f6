"""Booking through the services: availability, the rules, never a double booking, the
lifecycle, and check-in at the kiosk."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onthaal.appointments import retention, services
from onthaal.appointments.models import Appointment, Status
from onthaal.audit.models import AuditEvent
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.core.errors import Conflict, DomainError, NotFound
from onthaal.queue.models import Source, Ticket

pytestmark = pytest.mark.django_db

WEDNESDAY_9 = dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS)


def request(z: dict[str, Any], *slugs: str, persons: int = 1) -> services.Request:
    products = [Product.objects.get(slug=s) for s in (slugs or ("eid-aanvragen",))]
    return services.build_request(location=z["ac"], products=products, persons=persons)


def book(z: dict[str, Any], start: dt.datetime = WEDNESDAY_9, **kw: Any):
    kw.setdefault("name", "Jan Peeters")
    kw.setdefault("email", "jan@example.org")
    return services.book(request=kw.pop("req", None) or request(z), start=start, **kw)


def test_availability_follows_the_appointment_hours_in_local_time(zonnedoorn):
    day = WEDNESDAY_9.date()
    found = services.availability(request(zonnedoorn), day, day)
    local = [s.start.astimezone(BRUSSELS).strftime("%H:%M") for s in found]
    assert local[0] == "08:30" and "12:00" not in local and "13:30" in local
    assert all(len(s.resource_ids) == 4 for s in found)  # Balie 1-4 serve Burgerzaken


def test_a_booking_takes_a_desk_and_the_slot_stays_open_while_desks_are_free(zonnedoorn):
    z = zonnedoorn
    appointment, token = book(z)
    assert token and appointment.token_matches(token) and appointment.status == Status.BOOKED
    assert appointment.end - appointment.start == dt.timedelta(minutes=15)
    day = WEDNESDAY_9.date()
    at_nine = [s for s in services.availability(request(z), day, day) if s.start == WEDNESDAY_9]
    assert len(at_nine[0].resource_ids) == 3
    event = AuditEvent.objects.get(object_type="appointments.appointment")
    assert "Jan" not in str(event.details) and "jan@" not in str(event.details)


def test_the_fifth_booking_of_a_slot_with_four_desks_is_a_409_and_nothing_is_saved(zonnedoorn):
    z = zonnedoorn
    for n in range(4):
        book(z, email=f"p{n}@example.org")
    with pytest.raises(Conflict) as gone:
        book(z, email="late@example.org")
    assert gone.value.code == "slot_taken"
    assert Appointment.objects.count() == 4
    assert len(set(Appointment.objects.values_list("desk_id", flat=True))) == 4


def test_products_add_their_durations_and_persons_multiply(zonnedoorn):
    req = request(zonnedoorn, "eid-aanvragen", "reispas-aanvragen", persons=2)
    assert req.duration == dt.timedelta(minutes=2 * (15 + 20))


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": ""}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "", "phone": "12"}, "phone"),
        ({"email": "", "phone": ""}, "email"),
    ],
)
def test_bad_contact_data_gets_field_errors(zonnedoorn, kw, field):
    with pytest.raises(DomainError) as refused:
        book(zonnedoorn, **kw)
    assert field in refused.value.fields
    assert not Appointment.objects.exists()


def test_a_closed_time_a_past_time_and_the_lead_time_are_refused(zonnedoorn):
    z = zonnedoorn
    with pytest.raises(DomainError) as closed:
        book(z, start=WEDNESDAY_9.replace(hour=12, minute=30))
    assert closed.value.code == "closed"
    with pytest.raises(DomainError):
        book(z, start=dt.datetime(2027, 3, 22, 9, 0, tzinfo=BRUSSELS))
    with pytest.raises(Conflict):  # 10:30 today is within the 2-hour lead time
        book(z, start=dt.datetime(2027, 3, 23, 10, 30, tzinfo=BRUSSELS))
    assert not Appointment.objects.exists()


def test_staff_may_book_within_the_lead_time_with_a_reason(zonnedoorn):
    z = zonnedoorn
    soon = dt.datetime(2027, 3, 23, 10, 30, tzinfo=BRUSSELS)
    appointment, _ = book(
        z,
        start=soon,
        actor=z["users"]["onthaal"],
        channel="phone",
        override_reason="Caller needs an urgent ID card",
    )
    assert appointment.override_reason
    event = AuditEvent.objects.get(object_type="appointments.appointment")
    assert event.details["override"] == "Caller needs an urgent ID card"


def test_an_idempotency_key_books_once(zonnedoorn):
    first, token = book(zonnedoorn, idempotency_key="abc-123")
    again, no_token = book(zonnedoorn, idempotency_key="abc-123")
    assert first.pk == again.pk and token and no_token is None
    assert Appointment.objects.count() == 1


def test_too_many_future_appointments_for_one_contact(zonnedoorn):
    z = zonnedoorn
    for hour in (9, 10, 11):
        book(z, start=WEDNESDAY_9.replace(hour=hour))
    with pytest.raises(DomainError) as refused:
        book(z, start=WEDNESDAY_9.replace(hour=14))
    assert refused.value.code == "too_many"


def test_manage_by_token_cancel_and_reschedule(zonnedoorn):
    z = zonnedoorn
    appointment, token = book(z)
    with pytest.raises(NotFound):
        services.by_token(appointment.reference, "wrong")
    with pytest.raises(NotFound):
        services.by_token("NOSUCHREF", token)
    found = services.by_token(appointment.reference.lower(), token)
    moved = services.reschedule(appointment=found, start=WEDNESDAY_9.replace(hour=10))
    assert moved.start.astimezone(BRUSSELS).hour == 10 and moved.token_matches(token)
    # The same appointment, moved: no second row, no cancelled one.
    assert (moved.pk, moved.reference) == (appointment.pk, appointment.reference)
    assert list(Appointment.objects.values_list("status", flat=True)) == [Status.BOOKED]
    services.cancel(appointment=moved)
    with pytest.raises(Conflict):
        services.cancel(appointment=moved)


def test_check_in_at_the_kiosk_gives_a_ticket_and_only_once(zonnedoorn):
    z = zonnedoorn
    appointment, _ = book(z)
    z["traveller"].move_to(WEDNESDAY_9 - dt.timedelta(minutes=10))
    kiosk = z["users"]["onthaal"]
    checked = services.check_in(reference=appointment.reference, location=z["ac"], actor=kiosk)
    ticket = Ticket.objects.get()
    assert checked.status == Status.CHECKED_IN and checked.ticket == ticket
    assert ticket.source == Source.APPOINTMENT and ticket.appointment_at == WEDNESDAY_9
    with pytest.raises(Conflict) as used:
        services.check_in(reference=appointment.reference, location=z["ac"], actor=kiosk)
    assert used.value.code == "used_code"
    with pytest.raises(DomainError) as unknown:
        services.check_in(reference="ZZZZZZZZ", location=z["ac"], actor=kiosk)
    assert unknown.value.code == "unknown_code"
    assert Ticket.objects.count() == 1


def test_nine_oclock_on_the_dst_sundays_is_stored_at_the_right_instant(zonnedoorn):
    from onthaal.hours.models import HoursChannel, OpeningException

    z = zonnedoorn
    for day in (dt.date(2027, 3, 28), dt.date(2027, 10, 31)):
        OpeningException.objects.create(
            location=z["ac"],
            date=day,
            channel=HoursChannel.APPOINTMENT,
            closed=False,
            opens=dt.time(9),
            closes=dt.time(12),
            reason="DST test",
        )
    spring, _ = book(z, start=dt.datetime(2027, 3, 28, 9, 0, tzinfo=BRUSSELS))
    z["traveller"].move_to(dt.datetime(2027, 10, 25, 10, 0, tzinfo=BRUSSELS))
    autumn, _ = book(
        z, start=dt.datetime(2027, 10, 31, 9, 0, tzinfo=BRUSSELS), email="other@example.org"
    )
    assert spring.start == dt.datetime(2027, 3, 28, 7, 0, tzinfo=dt.UTC)
    assert autumn.start == dt.datetime(2027, 10, 31, 8, 0, tzinfo=dt.UTC)


def test_no_shows_and_retention(zonnedoorn):
    from onthaal.appointments import notify

    z = zonnedoorn
    appointment, _ = book(z)
    assert notify.confirmation(appointment, "https://example.org/manage") is not None
    z["traveller"].move_to(WEDNESDAY_9 + dt.timedelta(minutes=20))
    assert services.mark_no_shows() == 0  # within the grace period
    z["traveller"].move_to(WEDNESDAY_9 + dt.timedelta(minutes=31))
    assert services.mark_no_shows() == 1
    assert Appointment.objects.get().status == Status.NO_SHOW
    z["traveller"].move_to(WEDNESDAY_9 + dt.timedelta(days=31))
    assert retention.anonymise_expired() == 1
    kept = Appointment.objects.get()
    assert (kept.name, kept.email, kept.phone) == ("", "", "")
    assert kept.start == WEDNESDAY_9 and kept.status == Status.NO_SHOW  # the facts stay
    assert kept.items.count() == 1
    # ...and the messages sent about it no longer carry the name or the address.
    messages = list(kept.notifications.values_list("recipient", "subject", "body", "ics"))
    assert messages and all(m == ("", "", "", "") for m in messages)


def test_agenda_and_search_are_consultations_and_respect_departments(client, zonnedoorn):
    from django.urls import reverse

    from onthaal.audit.services import flush_pending_refusals

    z = zonnedoorn
    appointment, _ = book(z)
    url = reverse("appointments:agenda", args=["administratief-centrum"])
    client.force_login(z["users"]["balie"])
    page = client.get(url, {"day": "2027-03-24"}).content.decode()
    assert appointment.reference in page and "Jan Peeters" in page
    assert AuditEvent.objects.filter(action="view", object_type="appointments.agenda").exists()
    found = client.get(url, {"q": "peeters"}).content.decode()
    assert appointment.reference in found
    search = AuditEvent.objects.get(action="search")
    assert search.object_id == appointment.reference and "peeters" not in str(search.details)
    # The social worker (OCMW) sees no Burgerzaken appointment; the mail clerk no agenda.
    client.force_login(z["users"]["mw"])
    assert "Jan Peeters" not in client.get(url, {"day": "2027-03-24"}).content.decode()
    client.force_login(z["users"]["post"])
    assert client.get(url).status_code == 403
    flush_pending_refusals()
    assert AuditEvent.objects.filter(action="permission_denied").exists()


def test_staff_see_the_messages_and_can_send_one_again(client, zonnedoorn, settings):
    from django.urls import reverse

    from onthaal.appointments import notify
    from onthaal.appointments.models import Notification

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    z = zonnedoorn
    appointment, _ = book(z)
    notify.confirmation(appointment, "http://x/m")
    notify.send_due()
    client.force_login(z["users"]["balie"])
    page = client.get(reverse("appointments:outbox")).content.decode()
    assert appointment.reference in page and "verstuurd" in page
    message = Notification.objects.get()
    client.post(reverse("appointments:outbox"), {"message": message.pk})
    assert Notification.objects.get().status == Notification.State.PENDING
    assert notify.send_due() == 1
    client.force_login(z["users"]["mw"])  # the social service does not see Burgerzaken's
    assert appointment.reference not in client.get(reverse("appointments:outbox")).content.decode()


def test_a_hold_keeps_the_time_while_the_form_is_filled_in(zonnedoorn):
    z = zonnedoorn
    req = request(z)
    holds = [
        services.hold(request=req, start=WEDNESDAY_9, client=services.client_key(f"192.0.2.{n}"))
        for n in range(4)
    ]
    with pytest.raises(Conflict):  # four desks, four holds: the time is taken
        book(z)
    held, token = holds[0]
    assert held.status == Status.HELD and held.name == ""
    with pytest.raises(DomainError):
        services.confirm_hold(reference=held.reference, token=token, name="", email="x")
    confirmed, same = services.confirm_hold(
        reference=held.reference, token=token, name="Jan", email="jan@example.org"
    )
    assert confirmed.status == Status.BOOKED and same == token
    # The others expire after 10 minutes and the time is free again.
    z["traveller"].shift(11 * 60)
    other, _ = book(z, email="other@example.org")
    assert other.status == Status.BOOKED
    # An expired hold is booked afresh when the time is still free.
    late, late_token = services.hold(
        request=req, start=WEDNESDAY_9.replace(hour=10), client=services.client_key("192.0.2.9")
    )
    z["traveller"].shift(11 * 60)
    rebooked, new_token = services.confirm_hold(
        reference=late.reference, token=late_token, name="Piet", email="piet@example.org"
    )
    assert rebooked.status == Status.BOOKED and new_token and rebooked.pk != late.pk
