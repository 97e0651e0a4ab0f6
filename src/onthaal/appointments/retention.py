"""Retention: a citizen's name and contact are kept 30 days after the appointment, then removed.

The worker runs ``anonymise_expired`` every minute. It takes every appointment that ended more
than ``RETENTION`` ago, whatever became of it (done, no-show, cancelled, moved, or even left
open by an older version), and removes the name, e-mail
address, phone number, staff's reason for an exception and the idempotency key, and the
address, subject, text and calendar file of every message about it (the survey's invitation
too), and the agreement to that invitation. The anonymous facts stay
for the figures: products, times, desk, channel, outcome (``reporting`` records them).
Expired holds (which never held a contact) are deleted.

One thing is kept of a no-show: the keyed hash of the contact (``contact.contact_key``), for
the no-show rule of its department ("3 no-shows in 6 months"), and only for that rule's
period; then it is emptied too.

The alert contact a citizen may leave on a ticket is forgotten when the ticket closes
(``queue.models.contact_forgotten``), the messages it led to by
``notify.forget_ticket_recipients``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Case, F, Value, When

from onthaal.appointments.models import Appointment, BookingPolicy, Notification, Status
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock

RETENTION = dt.timedelta(days=30)
BATCH = 1000
DEFAULT_NO_SHOW_MONTHS: int = BookingPolicy._meta.get_field("no_show_months").default


def anonymise_expired() -> int:
    """Anonymise (at most ``BATCH``) appointments that ended ``RETENTION`` ago, and forget the
    contact keys of no-shows older than their department's no-show period. Returns the number
    of appointments anonymised. One transaction, with its audit event."""
    now = clock.now()
    cutoff = now - RETENTION
    with transaction.atomic():
        Appointment.objects.filter(status=Status.HELD, hold_expires_at__lt=cutoff).delete()
        ids = list(
            Appointment.objects.filter(end__lt=cutoff, anonymised_at__isnull=True)
            .exclude(status=Status.HELD)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        count = Appointment.objects.filter(pk__in=ids).update(
            name="",
            email="",
            phone="",
            override_reason="",
            idempotency_key=None,
            # The agreement to the survey by e-mail was about that address (``followup``).
            survey_opt_in_at=None,
            anonymised_at=now,
            # The no-show rule still needs to recognise the citizen; nothing else does.
            contact_key=Case(When(status=Status.NO_SHOW, then=F("contact_key")), default=Value("")),
        )
        # The messages about them carried the name and the address too; one not sent by now
        # never will be.
        Notification.objects.filter(
            appointment_id__in=ids, status=Notification.State.PENDING
        ).update(status=Notification.State.FAILED, last_error="anonymised before sending")
        Notification.objects.filter(appointment_id__in=ids).update(
            recipient="", subject="", body="", ics=""
        )
        forgotten = _forget_old_no_show_keys(now)
        if count or forgotten:
            record_event(
                action=Action.UPDATE,
                actor="system:retention",
                object_type="appointments.appointment",
                object_id=f"{count} anonymised",
                details={
                    "anonymised": count,
                    "older_than_days": RETENTION.days,
                    "no_show_keys_forgotten": forgotten,
                },
            )
    return count


def _forget_old_no_show_keys(now: dt.datetime) -> int:
    """Empty the contact key of anonymised no-shows older than their department's no-show
    period: the rule no longer counts them. Two queries plus one per department concerned."""
    kept = (
        Appointment.objects.filter(status=Status.NO_SHOW, anonymised_at__isnull=False)
        .exclude(contact_key="")
        .values_list("department_id", flat=True)
        .distinct()
    )
    departments = set(kept)
    if not departments:
        return 0
    months = dict(
        BookingPolicy.objects.filter(department_id__in=departments).values_list(
            "department_id", "no_show_months"
        )
    )
    forgotten = 0
    for department_id in sorted(departments):
        since = now - dt.timedelta(days=30 * months.get(department_id, DEFAULT_NO_SHOW_MONTHS))
        forgotten += (
            Appointment.objects.filter(
                department_id=department_id,
                status=Status.NO_SHOW,
                anonymised_at__isnull=False,
                start__lt=since,
            )
            .exclude(contact_key="")
            .update(contact_key="")
        )
    return forgotten
