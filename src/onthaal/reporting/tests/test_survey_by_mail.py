"""The survey by e-mail, across the apps: a citizen who agreed when booking gets one invitation
through the appointments' outbox once the visit was served — a link to the ticket's survey that
answers it —, and nobody else does: no agreement, a withdrawn one, a missed visit, a visit
rated already on the ticket's page, an anonymised appointment. Exactly once, however often the
worker's step runs; the retention job erases the address and the invitation's text."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.db.models import F

from onthaal.appointments import followup, notify, retention
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.appointments.tests.test_booking import WEDNESDAY_9
from onthaal.appointments.tests.test_visit_lifecycle import called, checked_in
from onthaal.catalogue.models import Product
from onthaal.queue import services as queue
from onthaal.reporting import facts, survey
from onthaal.reporting.models import SurveyAnswer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def served(z: dict[str, Any], **kw: Any) -> Appointment:
    """Jan's appointment of Wednesday 09:00: checked in, called, served (five minutes)."""
    appointment = checked_in(z, **kw)
    ticket = called(z)
    agent = z["users"]["balie"]
    queue.start(ticket=queue.get_ticket(ticket.pk), desk=z["balie1"], actor=agent)
    z["traveller"].shift(dt.timedelta(minutes=5))
    eid = Product.objects.get(slug="eid-aanvragen")
    queue.finish(
        ticket=queue.get_ticket(ticket.pk), desk=z["balie1"], actor=agent, delivered={eid.pk: 1}
    )
    done = Appointment.objects.get(pk=appointment.pk)
    assert done.status == Status.DONE
    return done


def invitations() -> list[Notification]:
    return list(Notification.objects.filter(kind=Notification.Kind.SURVEY))


def test_one_invitation_after_the_visit_whose_link_answers_the_survey(client, zonnedoorn, settings):
    settings.ONTHAAL_PUBLIC_URL = "https://onthaal.example.org/"
    appointment = served(zonnedoorn, survey_opt_in=True)

    assert survey.invite_opted_in() == 1
    assert survey.invite_opted_in() == 0  # the worker's next minute: nothing more
    assert notify.send_due() == 1

    (invitation,) = invitations()
    assert (invitation.appointment_id, invitation.recipient) == (appointment.pk, "jan@example.org")
    assert invitation.status == Notification.State.SENT
    (message,) = mail.outbox
    assert message.to == ["jan@example.org"]
    assert "Hoe was uw bezoek?" in message.subject
    found = re.search(r"https://onthaal\.example\.org(/survey/[^/\s]+/)", message.body)
    assert found, message.body
    assert "14 dagen" in message.body
    form = client.get(found.group(1), HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200 and 'name="score"' in form.content.decode()

    answered = client.post(found.group(1), {"score": "5", "comment": "Vlot geholpen"})

    assert answered.status_code == 200
    answer = SurveyAnswer.objects.get()
    assert (answer.score, answer.channel, answer.department_id) == (
        5,
        facts.APPOINTMENT,
        appointment.department_id,
    )
    # The visit is rated once, from the mail or from the ticket's page.
    assert client.post(found.group(1), {"score": "1"}).status_code == 409
    assert survey.invite_opted_in() == 0 and len(invitations()) == 1


def test_no_invitation_without_the_agreement(zonnedoorn):
    served(zonnedoorn)

    assert survey.invite_opted_in() == 0
    assert invitations() == []


def test_no_invitation_once_withdrawn(zonnedoorn):
    appointment = served(zonnedoorn, survey_opt_in=True)
    followup.set_survey_opt_in(appointment=appointment, agreed=False)

    assert survey.invite_opted_in() == 0
    assert invitations() == []


def test_withdrawing_stops_an_invitation_not_sent_yet(zonnedoorn):
    appointment = served(zonnedoorn, survey_opt_in=True)
    assert survey.invite_opted_in() == 1

    followup.set_survey_opt_in(appointment=appointment, agreed=False)

    assert notify.send_due() == 0
    assert mail.outbox == []
    assert invitations()[0].status == Notification.State.FAILED


def test_no_invitation_for_a_missed_visit(zonnedoorn):
    z = zonnedoorn
    appointment = checked_in(z, survey_opt_in=True)
    ticket = called(z)
    queue.no_show(ticket=queue.get_ticket(ticket.pk), desk=z["balie1"], actor=z["users"]["balie"])
    assert Appointment.objects.get(pk=appointment.pk).status == Status.NO_SHOW

    assert survey.invite_opted_in() == 0


def test_no_invitation_for_a_visit_rated_on_the_ticket_page(zonnedoorn):
    appointment = served(zonnedoorn, survey_opt_in=True)
    token = survey.token_for(facts.TICKET, appointment.ticket_id)
    survey.survey_answer(token=token, score=4, comment="", address="192.0.2.1")

    assert survey.invite_opted_in() == 0
    assert invitations() == []


def test_no_invitation_once_anonymised_or_too_late(zonnedoorn):
    z = zonnedoorn
    late = served(z, survey_opt_in=True)
    z["traveller"].move_to(WEDNESDAY_9 + survey.INVITE_WITHIN + dt.timedelta(hours=1))
    assert survey.invite_opted_in() == 0  # the worker was down too long: not sent at all

    z["traveller"].move_to(WEDNESDAY_9 + retention.RETENTION + dt.timedelta(days=1))
    assert retention.anonymise_expired() == 1
    # Even were it recent: anonymised, it has no address and no agreement any more.
    shift = retention.RETENTION
    Appointment.objects.filter(pk=late.pk).update(start=F("start") + shift, end=F("end") + shift)
    assert Appointment.objects.get(pk=late.pk).survey_opt_in_at is None
    assert survey.invite_opted_in() == 0
    assert invitations() == []


def test_two_workers_queue_one_invitation(zonnedoorn):
    """The second worker finds the first one's invitation (and the unique constraint would
    refuse a second)."""
    appointment = served(zonnedoorn, survey_opt_in=True)
    due = followup.invitations_due(since=WEDNESDAY_9 - dt.timedelta(days=1))
    assert due == [{"pk": appointment.pk, "ticket_id": appointment.ticket_id}]

    first = followup.queue_survey_invitation(
        appointment_id=appointment.pk, survey_url="https://x/survey/a/", valid_days=14
    )
    second = followup.queue_survey_invitation(
        appointment_id=appointment.pk, survey_url="https://x/survey/a/", valid_days=14
    )

    assert (first, second) == (True, False)
    assert len(invitations()) == 1
    assert followup.invitations_due(since=WEDNESDAY_9 - dt.timedelta(days=1)) == []
