"""The e-loket's outbox: e-mails to the citizen written in the transaction that decides them
(``services._queue``) and sent by the worker, as the appointments' and the mail register's
outboxes: claimed for a while, sent, marked; retried with back-off; a stable Message-ID."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q

from onthaal.core import clock
from onthaal.eloket.models import Notification

log = logging.getLogger(__name__)

CLAIM = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 6
State = Notification.State


def _claim(limit: int) -> list[Notification]:
    now = clock.now()
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=now)
            .filter(Q(status=State.PENDING) | Q(status=State.SENDING, claimed_until__lt=now))[
                :limit
            ]
        )
        Notification.objects.filter(pk__in=[m.pk for m in due]).update(
            status=State.SENDING, claimed_until=now + CLAIM
        )
    return due


def send_one(message: Notification) -> bool:
    try:
        EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"Message-ID": f"<eloket-{message.pk}@onthaal>"},
        ).send()
    except Exception as error:  # any transport failure: retry later
        attempts = message.attempts + 1
        Notification.objects.filter(pk=message.pk).update(
            status=State.FAILED if attempts >= MAX_ATTEMPTS else State.PENDING,
            attempts=attempts,
            next_attempt_at=clock.now() + dt.timedelta(minutes=2**attempts),
            last_error=str(error)[:500],
            claimed_until=None,
        )
        log.warning("e-loket message %s not sent: %s", message.pk, error)
        return False
    Notification.objects.filter(pk=message.pk).update(
        status=State.SENT,
        attempts=message.attempts + 1,
        sent_at=clock.now(),
        claimed_until=None,
        last_error="",
    )
    return True


def send_due(limit: int = 50) -> int:
    """Send what is due; the worker calls this every few seconds."""
    return sum(send_one(m) for m in _claim(limit))
