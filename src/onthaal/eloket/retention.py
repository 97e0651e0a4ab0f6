"""Retention: 30 days after a request is closed or rejected, what names or reaches the citizen
is removed from it — the answers, the e-mail address, the national register number, the
messages' texts and the e-mails about it — and its status link stops working. The anonymous
facts stay for the figures (``reporting`` records them: product, department, day, outcome).

The files the citizen uploaded and the produced document are documents of the request's mail
items: the mail register keeps them as long as their document type says (``mail.retention``).

The worker runs ``anonymise_expired`` every minute, as for appointments.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.eloket.models import FINAL_STATUSES, Notification, Request, RequestMessage

RETENTION = dt.timedelta(days=30)
BATCH = 1000


def anonymise_expired() -> int:
    """Anonymise (at most ``BATCH``) requests finished ``RETENTION`` ago. Returns how many;
    one transaction with its audit event."""
    now = clock.now()
    with transaction.atomic():
        ids = list(
            Request.objects.filter(
                status__in=FINAL_STATUSES,
                finished_at__lt=now - RETENTION,
                anonymised_at__isnull=True,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return 0
        count = Request.objects.filter(pk__in=ids).update(
            answers={},
            email="",
            national_number="",
            reason="",
            client_key="",
            idempotency_key=None,
            token_hash="",
            anonymised_at=now,
        )
        RequestMessage.objects.filter(request_id__in=ids).update(body="")
        Notification.objects.filter(request_id__in=ids, status=Notification.State.PENDING).update(
            status=Notification.State.FAILED, last_error="anonymised before sending"
        )
        Notification.objects.filter(request_id__in=ids).update(recipient="", subject="", body="")
        record_event(
            action=Action.UPDATE,
            actor="system:retention",
            object_type="eloket.request",
            object_id=f"{count} anonymised",
            details={"anonymised": count, "older_than_days": RETENTION.days},
        )
    return count
