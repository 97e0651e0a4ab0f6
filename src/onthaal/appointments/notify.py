"""Messages to citizens through the outbox: written in the booking's transaction (or just
after), sent by the worker, retried with back-off, visible to staff with their status.

Sending is at least once by design of SMTP, and made *once* in practice: a message is claimed
for a few minutes before it is sent and marked sent right after, each in its own short
transaction; a worker killed mid-batch leaves its claimed-but-unsent messages to expire and be
sent by the next run, and the ones it had sent are marked. Each message carries a stable
Message-ID, so a receiving server can drop the rare duplicate of a crash between send and mark.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence

import icalendar
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation

from onthaal.appointments import sms
from onthaal.appointments.models import Appointment, AppointmentProduct, Notification, Status
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.organisation import theme

log = logging.getLogger(__name__)

# How long a worker holds the messages it claimed before another may take them over.
CLAIM = dt.timedelta(seconds=int(os.environ.get("ONTHAAL_OUTBOX_CLAIM_SECONDS", "300")))
MAX_ATTEMPTS = 6
REMINDER_BEFORE = dt.timedelta(hours=int(getattr(settings, "ONTHAAL_REMINDER_HOURS", 24)))


def ics(
    appointment: Appointment,
    *,
    cancelled: bool = False,
    items: Sequence[AppointmentProduct] | None = None,
) -> str:
    """The appointment as an iCalendar event (times in UTC, shown locally by any calendar).
    One entry for the appointment's whole life: its UID is the reference, which a move keeps,
    and its SEQUENCE goes up with every move and with the cancellation, so a calendar
    replaces the entry it has (a cancellation is METHOD:CANCEL with the same UID)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Onthaal//Zonnedoorn//NL")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{appointment.reference}@onthaal")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", clock.now())
    event.add("organizer", f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    event.add("dtstart", appointment.start.astimezone(dt.UTC))
    event.add("dtend", appointment.end.astimezone(dt.UTC))
    if items is None:
        items = list(appointment.items.select_related("product"))
    products = ", ".join(i.product.name for i in items)
    event.add("summary", f"{products} — {appointment.location.name}")
    event.add("location", f"{appointment.location.name}, {appointment.location.address}")
    event.add("description", f"Referentie {appointment.reference}")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode()


def _queue(appointment: Appointment, kind: str, manage_url: str = "") -> Notification | None:
    if not appointment.email and not appointment.phone:
        return None  # anonymised
    if not appointment.email:
        return _queue_sms(appointment, kind, manage_url)
    items = list(appointment.items.select_related("product"))
    with translation.override("nl"):
        context = {
            "appointment": appointment,
            "manage_url": manage_url,
            "kind": kind,
            "items": items,
            "site": theme.site(),  # who signs: the install's own organisations
        }
        subject = render_to_string("appointments/email_subject.txt", context).strip()
        body = render_to_string("appointments/email.txt", context)
    now = clock.now()
    return Notification.objects.create(
        appointment=appointment,
        kind=kind,
        recipient=appointment.email,
        subject=subject[:200],
        body=body,
        ics=ics(appointment, cancelled=kind == Notification.Kind.CANCELLATION, items=items),
        next_attempt_at=now,
        created_at=now,
    )


def _queue_sms(appointment: Appointment, kind: str, manage_url: str) -> Notification:
    with translation.override("nl"):
        context = {"appointment": appointment, "manage_url": manage_url, "kind": kind}
        text = render_to_string("appointments/sms.txt", context).strip()
    now = clock.now()
    return Notification.objects.create(
        appointment=appointment,
        kind=kind,
        channel="sms",
        recipient=appointment.phone,
        subject=text[:200],
        body=text,
        next_attempt_at=now,
        created_at=now,
    )


def confirmation(appointment: Appointment, manage_url: str) -> Notification | None:
    return _queue(appointment, Notification.Kind.CONFIRMATION, manage_url)


def change(appointment: Appointment, manage_url: str = "") -> Notification | None:
    """The appointment moved: the new time, the updated calendar entry, and the manage link
    (the same one as before: a move keeps it)."""
    return _queue(appointment, Notification.Kind.CHANGE, manage_url)


def rebook(appointment: Appointment, manage_url: str) -> Notification | None:
    """The person of the appointment is absent and no colleague is free then: the citizen
    picks another time through the manage link."""
    return _queue(appointment, Notification.Kind.REBOOK, manage_url)


def cancellation(appointment: Appointment) -> Notification | None:
    return _queue(appointment, Notification.Kind.CANCELLATION)


def schedule_reminders() -> int:
    """Queue the reminder of every booked appointment that starts within REMINDER_BEFORE.
    The unique constraint makes this exactly once per appointment."""
    now = clock.now()
    due = (
        Appointment.objects.filter(
            status=Status.BOOKED, start__gt=now, start__lte=now + REMINDER_BEFORE
        )
        .exclude(notifications__kind=Notification.Kind.REMINDER)
        .exclude(email="", phone="")
    )
    created = 0
    for appointment in due.select_related("location"):
        with transaction.atomic():
            if not Notification.objects.filter(
                appointment=appointment, kind=Notification.Kind.REMINDER
            ).exists():
                _queue(appointment, Notification.Kind.REMINDER)
                created += 1
    return created


def turn(*, ticket_id: int, email: str, phone: str, subject: str, text: str) -> int:
    """Queue "your turn is coming" for a ticket: by e-mail and/or SMS (one per channel; a
    unique constraint keeps it so). Called by ``onthaal.queue.alerts`` in its transaction.
    The text names the ticket number only, never a person."""
    now = clock.now()
    rows = [
        Notification(
            ticket_id=ticket_id,
            kind=Notification.Kind.TURN,
            channel=channel,
            recipient=recipient,
            subject=subject[:200],
            body=text,
            next_attempt_at=now,
            created_at=now,
        )
        for channel, recipient in (("email", email), ("sms", phone))
        if recipient
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def forget_ticket_recipients() -> int:
    """Clear the recipient of ticket messages once their ticket is closed or its day is over:
    the contact was only for that visit (``anonymise_expired`` covers appointments only).
    A message still unsent then is pointless: it is marked failed. Not the ones being sent
    right now; the next run takes those."""
    from onthaal.queue.models import OPEN_STATUSES

    today = clock.today()
    over = (
        Notification.objects.filter(ticket__isnull=False)
        .exclude(recipient="")
        .exclude(status=Notification.State.SENDING)
        .filter(~Q(ticket__status__in=OPEN_STATUSES) | Q(ticket__service_day__lt=today))
    )
    with transaction.atomic():
        ids = list(over.values_list("pk", flat=True)[:1000])
        if not ids:
            return 0
        Notification.objects.filter(pk__in=ids, status=Notification.State.PENDING).update(
            status=Notification.State.FAILED, last_error="ticket closed before sending"
        )
        count = Notification.objects.filter(pk__in=ids).update(recipient="")
        record_event(
            action=Action.UPDATE,
            actor="system:retention",
            object_type="appointments.notification",
            object_id=f"{count} anonymised",
            details={"anonymised": count, "about": "ticket"},
        )
    return count


def _claim(limit: int) -> list[Notification]:
    now = clock.now()
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=now)
            .filter(
                Q(status=Notification.State.PENDING)
                | Q(status=Notification.State.SENDING, claimed_until__lt=now)
            )[:limit]
        )
        ids = [n.pk for n in due]
        Notification.objects.filter(pk__in=ids).update(
            status=Notification.State.SENDING, claimed_until=now + CLAIM
        )
    return due


def _deliver(notification: Notification) -> None:
    if notification.channel == "sms":
        sms.gateway().send(notification.recipient, notification.body)
        return
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        to=[notification.recipient],
        headers={"Message-ID": f"<notification-{notification.pk}@onthaal>"},
    )
    if notification.ics:
        message.attach("afspraak.ics", notification.ics, "text/calendar")
    message.send()


def send_one(notification: Notification) -> bool:
    try:
        _deliver(notification)
    except Exception as error:  # any transport failure: retry later
        attempts = notification.attempts + 1
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.State.FAILED
            if attempts >= MAX_ATTEMPTS
            else Notification.State.PENDING,
            attempts=attempts,
            next_attempt_at=clock.now() + dt.timedelta(minutes=2**attempts),
            last_error=str(error)[:500],
            claimed_until=None,
        )
        log.warning("message %s not sent: %s", notification.pk, error)
        return False
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.State.SENT,
        attempts=notification.attempts + 1,
        sent_at=clock.now(),
        claimed_until=None,
        last_error="",
    )
    return True


def send_due(limit: int = 50) -> int:
    """Send what is due; the worker calls this every few seconds."""
    return sum(send_one(n) for n in _claim(limit))


def resend(notification: Notification) -> None:
    """Staff asked to send it again (not once its recipient is forgotten)."""
    if not notification.recipient:
        return
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.State.PENDING, next_attempt_at=clock.now(), claimed_until=None
    )
