"""After the visit: one question about it (the satisfaction survey), by e-mail, to a citizen who
agreed to it — and to nobody else.

The citizen agrees when booking (a check box on the details form) or later on the manage page,
where they can also withdraw; ``Appointment.survey_opt_in_at`` holds when (empty: no). Which
survey and which link is reporting's business: ``reporting.survey.invite_opted_in``, run by the
worker every minute, asks ``invitations_due`` for the appointments whose visit was served, and
queues each message with ``queue_survey_invitation``; the outbox sends it (``notify``).

Exactly once: one invitation per appointment, held by a unique constraint
(``notification_one_survey``) and taken under the appointment's row lock, whatever the number
of workers. The contact, the agreement and the message's address and text go with the rest of
the appointment's personal data (``retention.anonymise_expired``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.organisation import theme

# An appointment may be asked (again) for the survey while it is neither a hold nor closed
# without a visit; once done, until its invitation is queued.
NOT_ASKED = (Status.HELD, Status.CANCELLED, Status.NO_SHOW)


def no_email_error() -> DomainError:
    message = _("Give an e-mail address to receive the question after your visit.")
    return DomainError(message, code="survey_needs_email", fields={"survey": [message]})


def set_survey_opt_in(*, appointment: Appointment, agreed: bool, actor: Any = None) -> Appointment:
    """The citizen agrees (``agreed``) to receive the survey by e-mail after the visit, or
    withdraws; an audit event either way. A withdrawal also stops an invitation that is queued
    but not sent yet. ``DomainError`` (field ``survey``) without an e-mail address;
    ``Conflict`` for a hold, a cancelled or missed appointment, or one anonymised already."""
    if agreed and not appointment.email:
        raise no_email_error()
    now = clock.now()
    with transaction.atomic():
        changed = (
            Appointment.objects.filter(pk=appointment.pk, anonymised_at__isnull=True)
            .exclude(status__in=NOT_ASKED)
            .update(survey_opt_in_at=now if agreed else None)
        )
        if changed != 1:
            raise Conflict(
                _("This appointment can no longer be changed this way."), code="invalid_state"
            )
        stopped = 0
        if not agreed:
            stopped = Notification.objects.filter(
                appointment_id=appointment.pk,
                kind=Notification.Kind.SURVEY,
                status=Notification.State.PENDING,
            ).update(status=Notification.State.FAILED, last_error="withdrawn before sending")
        record_event(
            action=Action.UPDATE,
            actor=actor or f"citizen:{appointment.reference}",
            object_type="appointments.appointment",
            object_id=appointment.pk,
            department=appointment.department,
            details={
                "reference": appointment.reference,
                "survey_opt_in": agreed,
                **({"invitation_stopped": stopped} if stopped else {}),
            },
        )
    appointment.refresh_from_db()
    return appointment


def invitations_due(
    *, since: dt.datetime, pk_from: int = 0, limit: int = 200
) -> list[dict[str, int]]:
    """Appointments to invite: served (``done``, through their ticket), agreed, with an e-mail
    address, not anonymised, starting from ``since`` on, without an invitation yet. Ids only:
    ``{"pk", "ticket_id"}``, from ``pk_from`` on, in id order, at most ``limit``."""
    return [
        {"pk": row["pk"], "ticket_id": row["ticket_id"]}
        for row in Appointment.objects.filter(
            pk__gte=pk_from,
            status=Status.DONE,
            survey_opt_in_at__isnull=False,
            anonymised_at__isnull=True,
            ticket__isnull=False,
            start__gte=since,
        )
        .exclude(email="")
        .exclude(notifications__kind=Notification.Kind.SURVEY)
        .order_by("pk")
        .values("pk", "ticket_id")[:limit]
    ]


def queue_survey_invitation(*, appointment_id: int, survey_url: str, valid_days: int) -> bool:
    """Queue the survey's invitation for the appointment: True when queued now, False when it
    was queued before (by this or another worker) or the appointment is no longer one to ask
    (withdrawn, anonymised). Under the appointment's row lock, so two workers queue once; the
    unique constraint is the last line."""
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .filter(
                pk=appointment_id,
                status=Status.DONE,
                survey_opt_in_at__isnull=False,
                anonymised_at__isnull=True,
            )
            .exclude(email="")
            .first()
        )
        if appointment is None:
            return False
        if Notification.objects.filter(
            appointment_id=appointment_id, kind=Notification.Kind.SURVEY
        ).exists():
            return False
        with translation.override("nl"):
            context = {
                "appointment": appointment,
                "location": appointment.location,
                "survey_url": survey_url,
                "valid_days": valid_days,
                "site": theme.site(),  # who signs: the install's own organisations
            }
            subject = render_to_string("appointments/survey_subject.txt", context).strip()
            body = render_to_string("appointments/survey_email.txt", context)
        now = clock.now()
        try:
            with transaction.atomic():
                Notification.objects.create(
                    appointment=appointment,
                    kind=Notification.Kind.SURVEY,
                    recipient=appointment.email,
                    subject=subject[:200],
                    body=body,
                    next_attempt_at=now,
                    created_at=now,
                )
        except IntegrityError:  # queued meanwhile (SQLite has no row lock)
            return False
    return True
