"""The e-loket's outbox: e-mails to the citizen written in the transaction that decides them
(``services._queue``) and sent by the worker with what every outbox does (``core.outbox``):
claimed for a while, sent, marked; retried with back-off; a stable Message-ID."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from onthaal.core import outbox
from onthaal.eloket.models import Notification


def _deliver(message: Notification) -> None:
    EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": f"<eloket-{message.pk}@onthaal>"},
    ).send()


def send_one(message: Notification) -> bool:
    return outbox.send_one(message, _deliver, what="e-loket")


def send_due(limit: int = 50) -> int:
    """Send what is due; the worker calls this every few seconds."""
    return sum(send_one(m) for m in outbox.claim(Notification, limit))
