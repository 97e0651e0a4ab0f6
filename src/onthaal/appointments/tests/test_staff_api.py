"""The staff API to move and cancel an appointment for a caller: what reception does in the
pages, for an integration (a phone system, a contact centre). The same services as the pages
and the citizen's link: the reference, the manage link and the calendar UID are kept; the
staff member is the actor of the audit event; a refusal is audited and changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from onthaal.accounts.tests.factories import api_token
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.appointments.tests.test_moving import WEDNESDAY_9, WEDNESDAY_10, _request, book
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import flush_pending_refusals

pytestmark = pytest.mark.django_db


def _move(reference: str) -> str:
    return reverse("api-appointment-move", args=[reference])


def _cancel(reference: str) -> str:
    return reverse("api-appointment-cancel", args=[reference])


def _as(client: Any, user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {api_token(user)}"}


def test_reception_moves_an_appointment_by_the_api_keeping_reference_link_and_uid(
    client, zonnedoorn
):
    receptionist = zonnedoorn["users"]["onthaal"]
    appointment, token = book(zonnedoorn)

    response = client.post(
        _move(appointment.reference.lower()),
        {"start": WEDNESDAY_10.isoformat()},
        content_type="application/json",
        **_as(client, receptionist),
    )

    assert response.status_code == 200, response.content
    assert response.json()["reference"] == appointment.reference
    assert response.json()["start"] == WEDNESDAY_10.isoformat()
    moved = Appointment.objects.get()
    assert (moved.reference, moved.start, moved.sequence) == (
        appointment.reference,
        WEDNESDAY_10,
        1,
    )
    assert moved.token_matches(token)  # the citizen's link still works
    event = AuditEvent.objects.get(details__transition="reschedule")
    assert event.actor_id == str(receptionist.pk)
    change = Notification.objects.get(kind=Notification.Kind.CHANGE)
    assert f"?token={token}" in change.body
    assert f"UID:{appointment.reference}" in change.ics.replace("\r\n ", "")


def test_a_desk_agent_cancels_by_the_api_without_the_citizens_token(client, zonnedoorn):
    agent = zonnedoorn["users"]["balie"]
    appointment, _token = book(zonnedoorn)

    response = client.post(
        _cancel(appointment.reference), {}, content_type="application/json", **_as(client, agent)
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.CANCELLED
    assert Appointment.objects.get().status == Status.CANCELLED
    assert AuditEvent.objects.get(details__transition="cancel").actor_id == str(agent.pk)
    assert Notification.objects.filter(kind=Notification.Kind.CANCELLATION).count() == 1


def test_the_citizen_still_cancels_with_the_token_and_anonymous_needs_it(client, zonnedoorn):
    appointment, token = book(zonnedoorn)
    anonymous = client.post(_cancel(appointment.reference), {}, content_type="application/json")
    assert anonymous.status_code == 400
    assert set(anonymous.json()["fields"]) == {"token"}
    assert Appointment.objects.get().status == Status.BOOKED

    response = client.post(
        _cancel(appointment.reference), {"token": token}, content_type="application/json"
    )
    assert response.status_code == 200
    assert AuditEvent.objects.get(details__transition="cancel").actor_id == appointment.reference


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "start"),
        ({"start": "tomorrow"}, "start"),
        ({"start": "2027-03-24T10:00:00"}, "start"),  # no offset: refused, not guessed
    ],
)
def test_a_bad_move_is_a_400_on_the_field_and_moves_nothing(client, zonnedoorn, body, field):
    appointment, _token = book(zonnedoorn)
    response = client.post(
        _move(appointment.reference),
        body,
        content_type="application/json",
        **_as(client, zonnedoorn["users"]["onthaal"]),
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["fields"]) == {field}
    assert Appointment.objects.get().start == WEDNESDAY_9


def test_a_move_into_a_taken_time_is_a_409_with_where_to_find_free_times(client, zonnedoorn):
    for n in range(4):
        book(zonnedoorn, start=WEDNESDAY_10, email=f"c{n}@example.org")
    appointment, _token = book(zonnedoorn)
    response = client.post(
        _move(appointment.reference),
        {"start": WEDNESDAY_10.isoformat()},
        content_type="application/json",
        **_as(client, zonnedoorn["users"]["onthaal"]),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "slot_taken"
    assert response.json()["next_slots_url"].startswith(reverse("api-availability"))
    assert Appointment.objects.get(pk=appointment.pk).start == WEDNESDAY_9
    assert not Notification.objects.filter(kind=Notification.Kind.CHANGE).exists()


def test_a_cancelled_appointment_cannot_be_moved_or_cancelled_again(client, zonnedoorn):
    appointment, _token = book(zonnedoorn)
    headers = _as(client, zonnedoorn["users"]["onthaal"])
    assert client.post(_cancel(appointment.reference), **headers).status_code == 200
    again = client.post(_cancel(appointment.reference), **headers)
    moved = client.post(
        _move(appointment.reference),
        {"start": WEDNESDAY_10.isoformat()},
        content_type="application/json",
        **headers,
    )
    assert (again.status_code, moved.status_code) == (409, 409)
    assert Appointment.objects.get().start == WEDNESDAY_9


def test_roles_that_do_not_book_are_refused_audited_and_nothing_changes(client, zonnedoorn):
    appointment, _token = book(zonnedoorn)
    for username in ("post", "auditor", "manager"):
        if username not in zonnedoorn["users"]:
            continue
        headers = _as(client, zonnedoorn["users"][username])
        moved = client.post(
            _move(appointment.reference),
            {"start": WEDNESDAY_10.isoformat()},
            content_type="application/json",
            **headers,
        )
        cancelled = client.post(_cancel(appointment.reference), **headers)
        assert (moved.status_code, cancelled.status_code) == (403, 403), username
    anonymous = client.post(
        _move(appointment.reference),
        {"start": WEDNESDAY_10.isoformat()},
        content_type="application/json",
    )
    assert anonymous.status_code in (401, 403)
    assert Appointment.objects.get().start == WEDNESDAY_9
    assert Appointment.objects.get().status == Status.BOOKED
    flush_pending_refusals()
    refused = AuditEvent.objects.filter(action="permission_denied")
    assert refused.count() >= 3


def test_staff_of_another_department_find_nothing_and_are_audited(client, zonnedoorn):
    """Reception books for every department, but an OCMW social-service appointment stays
    with the social service's own members: for reception it does not exist (404, as an
    unknown reference), and the refusal is audited."""
    req = _request(zonnedoorn, "sociale-intake")
    day = WEDNESDAY_9.date()
    free = [s.start for s in services_availability(req, day)]
    appointment, _token = book(zonnedoorn, req=req, start=free[0])
    reception = _as(client, zonnedoorn["users"]["onthaal"])
    moved = client.post(
        _move(appointment.reference),
        {"start": free[1].isoformat()},
        content_type="application/json",
        **reception,
    )
    cancelled = client.post(_cancel(appointment.reference), **reception)
    unknown = client.post(_cancel("ZZZZZZZZ"), **reception)
    assert (moved.status_code, cancelled.status_code, unknown.status_code) == (404, 404, 404)
    assert moved.json()["message"] == unknown.json()["message"]
    assert Appointment.objects.get().start == free[0]
    assert Appointment.objects.get().status == Status.BOOKED
    flush_pending_refusals()
    refused = AuditEvent.objects.filter(action="permission_denied")
    assert refused.count() == 2
    assert {e.object_id for e in refused} == {str(appointment.pk)}

    social_worker = _as(client, zonnedoorn["users"]["mw"])
    response = client.post(
        _move(appointment.reference),
        {"start": free[1].isoformat()},
        content_type="application/json",
        **social_worker,
    )
    assert response.status_code == 200, response.content


def services_availability(req: Any, day: dt.date) -> list[Any]:
    from onthaal.appointments import services

    return services.availability(req, day, day + dt.timedelta(days=7))
