"""The mail register's outbox: answers by e-mail and reminders before the due date, written in
the transaction that decides them and sent by the worker, with what every outbox does
(``onthaal.core.outbox``): claimed for a while, sent, marked; retried with back-off; a
stable Message-ID lets a receiving server drop the rare duplicate of a crash between sending
and marking."""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import translation

from onthaal.core import clock, outbox
from onthaal.mail import documents
from onthaal.mail.models import OPEN_STATUSES, MailItem, OutgoingMessage

# ONTHAAL_MAIL_REMIND_DAYS: a handler is reminded this many days before an item is due.
REMIND_BEFORE = dt.timedelta(days=int(os.environ.get("ONTHAAL_MAIL_REMIND_DAYS", "3")))


def queue_answer(item: MailItem, *, recipient: str, subject: str, body: str) -> OutgoingMessage:
    """Queue the e-mail of outgoing ``item`` (its documents attached), in the caller's
    transaction."""
    now = clock.now()
    return OutgoingMessage.objects.create(
        item=item,
        kind=OutgoingMessage.Kind.ANSWER,
        recipient=recipient,
        subject=subject[:300],
        body=body,
        next_attempt_at=now,
        created_at=now,
    )


def schedule_reminders() -> int:
    """Queue one reminder per open, assigned item due within REMIND_BEFORE, to its handler.
    The unique constraint makes it once per item and due date, however often the job runs."""
    today = clock.today()
    due = (
        MailItem.objects.filter(
            status__in=OPEN_STATUSES,
            handler__isnull=False,
            due_date__isnull=False,
            due_date__lte=today + REMIND_BEFORE,
            due_date__gte=today,
        )
        .exclude(handler__email="")
        .exclude(messages__kind=OutgoingMessage.Kind.REMINDER, messages__due_date=F("due_date"))
        .select_related("handler")
    )
    created = 0
    for item in due[:500]:
        with translation.override("nl"):
            context = {"item": item, "url": item.get_absolute_url()}
            subject = render_to_string("mail/reminder_subject.txt", context).strip()
            body = render_to_string("mail/reminder.txt", context)
        now = clock.now()
        try:
            with transaction.atomic():
                assert item.handler is not None
                OutgoingMessage.objects.create(
                    item=item,
                    kind=OutgoingMessage.Kind.REMINDER,
                    recipient=item.handler.email,
                    subject=subject[:300],
                    body=body,
                    due_date=item.due_date,
                    next_attempt_at=now,
                    created_at=now,
                )
        except IntegrityError:
            continue  # another worker queued it
        created += 1
    return created


def _deliver(message: OutgoingMessage) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": f"<mail-{message.pk}@onthaal>"},
    )
    if message.kind == OutgoingMessage.Kind.ANSWER:
        for document in message.item.documents.filter(destroyed_at__isnull=True):
            email.attach(document.filename, documents.get(document.sha256), document.content_type)
    email.send()


def send_one(message: OutgoingMessage) -> bool:
    return outbox.send_one(message, _deliver, what="mail")


def send_due(limit: int = 50) -> int:
    """Send what is due; the worker calls this every few seconds."""
    return sum(send_one(m) for m in outbox.claim(OutgoingMessage, limit))
