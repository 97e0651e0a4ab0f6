"""What every outbox of Onthaal does with its messages (the mail register's answers and
reminders, the e-loket's messages to the citizen): claim the due ones for a while, so that a
second worker skips them and a crashed worker's claim runs out; send one; mark it sent, or
count the attempt and retry with back-off until it is given up. Each app keeps its own table
(its messages belong to its records and its retention) and says how a message is delivered.

A model used here has ``status`` (pending, sending, sent, failed), ``attempts``,
``next_attempt_at``, ``claimed_until``, ``last_error`` and ``sent_at``."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q

from onthaal.core import clock

log = logging.getLogger(__name__)

# ONTHAAL_OUTBOX_CLAIM_SECONDS: how long a worker holds the messages it took before another
# may take them again (it crashed between claiming and marking).
CLAIM = dt.timedelta(seconds=int(os.environ.get("ONTHAAL_OUTBOX_CLAIM_SECONDS", "300")))
MAX_ATTEMPTS = 6


def claim(model: Any, limit: int) -> list[Any]:
    """The due messages of ``model``, at most ``limit``, claimed for CLAIM."""
    now = clock.now()
    with transaction.atomic():
        due = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=now)
            .filter(Q(status="pending") | Q(status="sending", claimed_until__lt=now))[:limit]
        )
        model.objects.filter(pk__in=[m.pk for m in due]).update(
            status="sending", claimed_until=now + CLAIM
        )
    return due


def send_one(message: Any, deliver: Callable[[Any], None], *, what: str) -> bool:
    """Deliver one claimed message and mark it; a failure of any kind is retried later."""
    model = type(message)
    try:
        deliver(message)
    except Exception as error:  # any transport failure: retry later
        attempts = message.attempts + 1
        model.objects.filter(pk=message.pk).update(
            status="failed" if attempts >= MAX_ATTEMPTS else "pending",
            attempts=attempts,
            next_attempt_at=clock.now() + dt.timedelta(minutes=2**attempts),
            last_error=str(error)[:500],
            claimed_until=None,
        )
        log.warning("%s message %s not sent: %s", what, message.pk, error)
        return False
    model.objects.filter(pk=message.pk).update(
        status="sent",
        attempts=message.attempts + 1,
        sent_at=clock.now(),
        claimed_until=None,
        last_error="",
    )
    return True
