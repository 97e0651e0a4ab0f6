"""Moving and cancelling: a moved appointment keeps its reference, its manage link and its
calendar entry (same UID, higher SEQUENCE); cancelling asks first; and reception books, moves
and cancels for a caller on the phone with the same services, audited as the staff member."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
from django.urls import reverse

from onthaal.appointments import notify, services
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import flush_pending_refusals
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.core.errors import Conflict, DomainError

pytestmark = pytest.mark.django_db

WEDNESDAY_9 = dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS)
WEDNESDAY_10 = WEDNESDAY_9.replace(hour=10)


def _request(z: dict[str, Any], slug: str = "eid-aanvragen") -> services.Request:
    location = z["sh"] if slug == "sociale-intake" else z["ac"]
    return services.build_request(location=location, products=[Product.objects.get(slug=slug)])


def book(z: dict[str, Any], start: dt.datetime = WEDNESDAY_9, **kw: Any):
    kw.setdefault("name", "Jan Peeters")
    kw.setdefault("email", "jan@example.org")
    return services.book(request=kw.pop("req", None) or _request(z), start=start, **kw)


def _event_of(text: str) -> icalendar.Event:
    calendar = icalendar.Calendar.from_ical(text)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def _manage(appointment: Appointment, token: str) -> str:
    return reverse("appointments:manage", args=[appointment.reference]) + f"?token={token}"


def _choose_for_move(appointment: Appointment, token: str = "") -> str:
    query = (
        f"product=eid-aanvragen&persons=1&location={appointment.location.slug}"
        f"&move={appointment.reference}&day=2027-03-24"
    )
    return reverse("appointments:choose") + "?" + query + (f"&token={token}" if token else "")


def test_a_moved_appointment_keeps_its_reference_link_and_calendar_uid(zonnedoorn):
    appointment, token = book(zonnedoorn)
    first = notify.confirmation(appointment, "https://example.org/manage")
    _, booked = _event_of(first.ics)

    moved = services.reschedule(appointment=appointment, start=WEDNESDAY_10)

    assert (moved.pk, moved.reference) == (appointment.pk, appointment.reference)
    assert services.by_token(appointment.reference, token).start == WEDNESDAY_10
    assert Appointment.objects.count() == 1 and moved.status == Status.BOOKED
    _, changed = _event_of(notify.change(moved, "https://example.org/manage").ics)
    assert str(changed["uid"]) == str(booked["uid"]) == f"{appointment.reference}@onthaal"
    assert (int(booked["sequence"]), int(changed["sequence"])) == (0, 1)
    assert changed.decoded("dtstart") == WEDNESDAY_10
    # Cancelled: METHOD:CANCEL for the same entry, with a higher sequence still.
    cancelled = services.cancel(appointment=moved)
    calendar, gone = _event_of(notify.cancellation(cancelled).ics)
    assert str(calendar["method"]) == "CANCEL" and str(gone["status"]) == "CANCELLED"
    assert str(gone["uid"]) == str(booked["uid"]) and int(gone["sequence"]) == 2
    move = AuditEvent.objects.get(details__transition="reschedule")
    assert move.details["reference"] == appointment.reference
    assert move.details["moved_to"] == WEDNESDAY_10.isoformat()


def test_moving_into_a_taken_time_changes_nothing(zonnedoorn):
    for n in range(4):  # Balie 1-4: the four desks of Burgerzaken at 10:00
        book(zonnedoorn, start=WEDNESDAY_10, email=f"c{n}@example.org")
    appointment, _token = book(zonnedoorn)
    with pytest.raises(Conflict) as refused:
        services.reschedule(appointment=appointment, start=WEDNESDAY_10)
    assert refused.value.code == "slot_taken"
    kept = Appointment.objects.get(pk=appointment.pk)
    assert (kept.start, kept.desk_id, kept.sequence) == (WEDNESDAY_9, appointment.desk_id, 0)
    assert not AuditEvent.objects.filter(details__transition="reschedule").exists()
    with pytest.raises(DomainError):  # without an offset: refused, not guessed
        services.reschedule(appointment=appointment, start=WEDNESDAY_10.replace(tzinfo=None))


def test_a_move_may_overlap_its_own_old_time(zonnedoorn):
    """The old time is given up by the same UPDATE that takes the new one: a move ten minutes
    later on a day where only this desk is free is not refused as taken by itself."""
    req = _request(zonnedoorn)
    appointment, _token = book(zonnedoorn)
    for n in range(3):  # the other three desks are busy at 09:00-09:30
        book(zonnedoorn, email=f"c{n}@example.org")
    later = WEDNESDAY_9 + dt.timedelta(minutes=10)
    assert req.duration > dt.timedelta(minutes=10)
    moved = services.reschedule(appointment=appointment, start=later)
    assert (moved.start, moved.desk_id) == (later, appointment.desk_id)


def test_the_citizen_moves_by_the_link_and_the_mail_carries_the_same_link(client, zonnedoorn):
    appointment, token = book(zonnedoorn)
    manage = _manage(appointment, token)
    choose = client.get(_choose_for_move(appointment, token)).content.decode()
    # "Back" while moving returns to the appointment, not to a new booking.
    assert f'href="{manage.replace("&", "&amp;")}">Terug</a>' in choose or (
        f'href="{manage}">Terug</a>' in choose
    )
    assert reverse("appointments:move", args=[appointment.reference]) in choose

    response = client.post(
        reverse("appointments:move", args=[appointment.reference]),
        {"token": token, "start": WEDNESDAY_10.isoformat()},
    )

    assert response.status_code == 302 and response["Location"] == manage
    page = client.get(manage).content.decode()
    assert "10:00" in page and "geannuleerd" not in page.lower()
    change = Notification.objects.get(kind=Notification.Kind.CHANGE)
    assert f"http://testserver{manage}" in change.body
    assert f"{appointment.reference}@onthaal" in change.ics
    # A second click on the same time moves nothing and sends nothing.
    client.post(
        reverse("appointments:move", args=[appointment.reference]),
        {"token": token, "start": WEDNESDAY_10.isoformat()},
    )
    assert Notification.objects.filter(kind=Notification.Kind.CHANGE).count() == 1
    assert Appointment.objects.get().sequence == 1


def test_cancelling_asks_first_and_is_not_the_main_button(client, zonnedoorn):
    appointment, token = book(zonnedoorn)
    cancel = reverse("appointments:cancel", args=[appointment.reference])
    manage = client.get(_manage(appointment, token)).content.decode()
    assert f'<a href="{cancel}?token={token}">' in manage  # a plain link, not a button
    assert f'action="{cancel}"' not in manage

    question = client.get(cancel, {"token": token})

    assert question.status_code == 200
    assert Appointment.objects.get().status == Status.BOOKED  # asking cancels nothing
    assert f'action="{cancel}"' in question.content.decode()
    client.post(cancel, {"token": token})
    assert Appointment.objects.get().status == Status.CANCELLED
    assert client.get(cancel, {"token": "wrong"}).status_code == 404


def _staff_form(**extra: str) -> dict[str, str]:
    return {
        "product": "eid-aanvragen",
        "persons": "1",
        "location": "administratief-centrum",
        "start": WEDNESDAY_9.isoformat(),
        "channel": "phone",
        "name": "Beller",
        **extra,
    }


def test_reception_books_for_a_caller_without_contact_and_reads_out_the_reference(
    client, zonnedoorn
):
    receptionist = zonnedoorn["users"]["onthaal"]
    client.force_login(receptionist)

    response = client.post(reverse("appointments:details"), _staff_form())

    appointment = Appointment.objects.get()
    page_url = reverse("appointments:staff-appointment", args=[appointment.reference])
    assert response.status_code == 302 and response["Location"] == page_url
    assert (appointment.email, appointment.phone, appointment.channel) == ("", "", "phone")
    assert appointment.created_by == receptionist
    assert not Notification.objects.exists()  # nowhere to send it: the reference is read out
    page = client.get(page_url).content.decode()
    assert appointment.reference in page and "lees de referentie" in page.lower()
    assert "Wat brengt u mee" in page and "pasfoto" in page  # read out too
    booked = AuditEvent.objects.get(action="create", object_type="appointments.appointment")
    assert booked.actor_id == str(receptionist.pk)
    viewed = AuditEvent.objects.get(action="view", object_type="appointments.appointment")
    assert viewed.actor_id == str(receptionist.pk)


def test_without_staff_a_contact_is_still_required(client, zonnedoorn):
    with pytest.raises(DomainError) as refused:
        book(zonnedoorn, email="", channel="phone")  # no actor: not staff
    assert "email" in refused.value.fields
    with pytest.raises(DomainError):  # staff, but online (the API): the citizen's rules
        book(zonnedoorn, email="", actor=zonnedoorn["users"]["onthaal"])
    response = client.post(reverse("appointments:details"), _staff_form())  # anonymous
    assert response.status_code == 400 and not Appointment.objects.exists()


def test_reception_moves_and_cancels_for_a_caller_audited_as_the_staff_member(client, zonnedoorn):
    receptionist = zonnedoorn["users"]["onthaal"]
    appointment, token = book(zonnedoorn)  # booked online by the citizen
    client.force_login(receptionist)
    page_url = reverse("appointments:staff-appointment", args=[appointment.reference])
    page = client.get(page_url).content.decode()
    assert "Jan Peeters" in page and "jan@example.org" in page
    choose = client.get(_choose_for_move(appointment)).content.decode()
    move_url = reverse("appointments:staff-move", args=[appointment.reference])
    assert f'action="{move_url}"' in choose and f'href="{page_url}">Terug</a>' in choose

    moved = client.post(move_url, {"start": WEDNESDAY_10.isoformat()})

    assert moved.status_code == 302 and moved["Location"] == page_url
    again = Appointment.objects.get()
    assert (again.reference, again.start, again.sequence) == (
        appointment.reference,
        WEDNESDAY_10,
        1,
    )
    assert again.token_matches(token)  # the citizen's link still works
    event = AuditEvent.objects.get(details__transition="reschedule")
    assert event.actor_id == str(receptionist.pk)
    # The citizen learns the new time with their own manage link.
    change = Notification.objects.get(kind=Notification.Kind.CHANGE)
    assert f"?token={token}" in change.body

    cancel_url = reverse("appointments:staff-cancel", args=[appointment.reference])
    assert client.get(cancel_url).status_code == 200
    assert Appointment.objects.get().status == Status.BOOKED  # asking cancels nothing
    assert client.post(cancel_url).status_code == 302
    assert Appointment.objects.get().status == Status.CANCELLED
    cancelled = AuditEvent.objects.get(details__transition="cancel")
    assert cancelled.actor_id == str(receptionist.pk)
    assert Notification.objects.filter(kind=Notification.Kind.CANCELLATION).count() == 1


def test_a_move_by_staff_into_a_taken_time_is_refused_and_moves_nothing(client, zonnedoorn):
    for n in range(4):
        book(zonnedoorn, start=WEDNESDAY_10, email=f"c{n}@example.org")
    appointment, _token = book(zonnedoorn)
    client.force_login(zonnedoorn["users"]["onthaal"])
    url = reverse("appointments:staff-move", args=[appointment.reference])
    assert client.post(url, {"start": WEDNESDAY_10.isoformat()}).status_code == 302
    assert client.post(url, {"start": "tomorrow"}).status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).start == WEDNESDAY_9
    assert not Notification.objects.filter(kind=Notification.Kind.CHANGE).exists()


@pytest.mark.parametrize("username", ["post", "mw"])
def test_staff_without_access_to_the_department_find_nothing_and_are_audited(
    client, zonnedoorn, username
):
    appointment, _token = book(zonnedoorn)
    client.force_login(zonnedoorn["users"][username])
    for name in ("staff-appointment", "staff-cancel"):
        assert (
            client.get(reverse(f"appointments:{name}", args=[appointment.reference])).status_code
            == 404
        )
    move = reverse("appointments:staff-move", args=[appointment.reference])
    assert client.post(move, {"start": WEDNESDAY_10.isoformat()}).status_code == 404
    assert Appointment.objects.get().start == WEDNESDAY_9
    flush_pending_refusals()
    assert AuditEvent.objects.filter(action="permission_denied").count() == 3


def test_reception_does_not_see_the_social_service_appointments(client, zonnedoorn):
    """Reception books for every department, but an OCMW appointment stays with the
    social service's own members (confidential)."""
    req = _request(zonnedoorn, "sociale-intake")
    day = WEDNESDAY_9.date()
    first = services.availability(req, day, day + dt.timedelta(days=7))[0].start
    appointment, _token = book(zonnedoorn, req=req, start=first)
    url = reverse("appointments:staff-appointment", args=[appointment.reference])
    client.force_login(zonnedoorn["users"]["onthaal"])
    assert client.get(url).status_code == 404
    client.force_login(zonnedoorn["users"]["mw"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("junk", ["a/b", "../../x", "%00", "Z" * 500])
def test_a_junk_move_parameter_is_no_error(client, zonnedoorn, junk):
    response = client.get(
        reverse("appointments:choose"),
        {
            "product": "eid-aanvragen",
            "persons": "1",
            "location": "administratief-centrum",
            "move": junk,
            "token": "x",
        },
    )
    assert response.status_code == 200
