"""The citizen's agreement to one question about the visit by e-mail after it
(``followup``): given when booking (the details form) or on the manage page, withdrawn there,
refused without an e-mail address, audited, and erased with the contact by retention. The
invitation itself and its link are reporting's (``reporting/tests/test_survey_by_mail.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from onthaal.appointments import followup, retention, services
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.appointments.tests.test_booking import WEDNESDAY_9, book
from onthaal.audit.models import AuditEvent
from onthaal.core.errors import Conflict, DomainError

pytestmark = pytest.mark.django_db

FORM = {
    "product": "eid-aanvragen",
    "persons": "1",
    "location": "administratief-centrum",
    "start": WEDNESDAY_9.isoformat(),
    "name": "Jan",
}


def test_a_booking_keeps_the_agreement_only_when_asked_for(zonnedoorn):
    asked, _token = book(zonnedoorn, survey_opt_in=True)
    plain, _token = book(zonnedoorn, email="piet@example.org")

    assert asked.survey_opt_in_at is not None
    assert Appointment.objects.get(pk=plain.pk).survey_opt_in_at is None


def test_the_agreement_needs_an_e_mail_address_and_nothing_is_booked_without(zonnedoorn):
    with pytest.raises(DomainError) as refused:
        book(zonnedoorn, email="", phone="0470123456", survey_opt_in=True)

    assert list(refused.value.fields) == ["survey"]
    assert Appointment.objects.count() == 0


def test_the_details_form_asks_and_keeps_the_choice(client, zonnedoorn, solved):
    details = reverse("appointments:details")
    page = client.get(details, {k: v for k, v in FORM.items() if k != "name"})
    assert 'name="survey" value="1"' in page.content.decode()

    refused = client.post(
        details, {**FORM, "phone": "0470123456", "survey": "1", "altcha": solved()}
    )
    assert refused.status_code == 400
    assert 'id="survey-error"' in refused.content.decode()
    assert Appointment.objects.count() == 0

    booked = client.post(
        details,
        {**FORM, "email": "jan@example.org", "survey": "1", "altcha": solved()},
        follow=True,
    )
    assert booked.status_code == 200
    assert Appointment.objects.get().survey_opt_in_at is not None


def _manage(client: Any, appointment: Appointment, token: str) -> str:
    url = reverse("appointments:manage", args=[appointment.reference])
    return client.get(url, {"token": token}, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_manage_page_gives_and_withdraws_the_agreement_audited(client, zonnedoorn):
    appointment, token = book(zonnedoorn)
    url = reverse("appointments:survey", args=[appointment.reference])
    assert "Yes, send me the question" in _manage(client, appointment, token)

    client.post(url, {"token": token, "survey": "1"})
    assert Appointment.objects.get(pk=appointment.pk).survey_opt_in_at is not None
    assert "Do not send me the question" in _manage(client, appointment, token)

    client.post(url, {"token": token, "survey": "0"})
    assert Appointment.objects.get(pk=appointment.pk).survey_opt_in_at is None
    events = AuditEvent.objects.filter(
        object_type="appointments.appointment", details__survey_opt_in__isnull=False
    ).order_by("pk")
    assert [e.details["survey_opt_in"] for e in events] == [True, False]
    assert all(e.details["reference"] == appointment.reference for e in events)
    assert "jan@" not in str([e.details for e in events])


def test_a_wrong_token_changes_nothing(client, zonnedoorn):
    appointment, _token = book(zonnedoorn)
    url = reverse("appointments:survey", args=[appointment.reference])

    response = client.post(url, {"token": "wrong", "survey": "1"})

    assert response.status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).survey_opt_in_at is None


def test_a_cancelled_appointment_or_one_without_e_mail_cannot_be_asked(zonnedoorn):
    phone_only, _token = book(zonnedoorn, email="", phone="0470123456")
    with pytest.raises(DomainError):
        followup.set_survey_opt_in(appointment=phone_only, agreed=True)
    cancelled = services.cancel(appointment=book(zonnedoorn, email="an@example.org")[0])
    with pytest.raises(Conflict):
        followup.set_survey_opt_in(appointment=cancelled, agreed=True)

    assert not Appointment.objects.filter(survey_opt_in_at__isnull=False).exists()


def test_retention_erases_the_agreement_and_the_invitation_with_the_contact(zonnedoorn):
    appointment, _token = book(zonnedoorn, survey_opt_in=True)
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.DONE)
    assert followup.queue_survey_invitation(
        appointment_id=appointment.pk, survey_url="https://example.org/survey/x/", valid_days=14
    )
    zonnedoorn["traveller"].move_to(WEDNESDAY_9 + dt.timedelta(days=31))

    assert retention.anonymise_expired() == 1

    kept = Appointment.objects.get(pk=appointment.pk)
    assert (kept.email, kept.survey_opt_in_at) == ("", None)
    invitation = Notification.objects.get(kind=Notification.Kind.SURVEY)
    assert (invitation.recipient, invitation.subject, invitation.body) == ("", "", "")
    assert invitation.status == Notification.State.FAILED  # never sent: it will not be now
