"""Refusals of anonymous requests: counted, and written once per client and minute.

Anyone can send requests without credentials. When each refusal was a chained event, the
review wrote 1,430 of them in 10 seconds, each taking the chain's lock, and the tickets issued
per second fell from 148 to 88. Now the refusal of an anonymous request adds one to its
client's tally for the minute (one row update, no chain lock). Once the minute has ended, the
tally becomes one ``permission_denied`` event with the count, the minute and the client's
address, plus what the first refusal of that minute was about. The refusals of authenticated
users (staff, devices) stay one event each: they name a person and are rare.

The minutes that have ended are written by the first refusal of any client in a later minute
and by the worker once a minute (``write_ended``). A refusal that is counted after its minute
was written (a request that began just before the minute ended) adds a tally for that minute
again. It is written later as a second event, so no refusal is lost.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest

from onthaal.audit.models import Action, RefusalTally
from onthaal.core import client, clock

# Tallies written per transaction by ``write_ended``.
BATCH = 200


def _minute(moment: Any) -> Any:
    return moment.replace(second=0, microsecond=0)


def count(event: dict[str, Any]) -> None:
    """Count an anonymous refusal (an event as ``record_refusal`` describes it) in its client's
    tally for this minute. Outside a transaction (or inside the caller's in tests)."""
    request = event.get("request")
    address = (client.address(request) if request is not None else None) or ""
    minute = _minute(clock.now())
    tally = RefusalTally.objects.filter(minute=minute, client=address)
    if tally.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            RefusalTally.objects.create(
                minute=minute,
                client=address,
                count=1,
                object_type=str(event.get("object_type") or "")[:100],
                object_id=str(event.get("object_id") or "")[:100],
                reason=str((event.get("details") or {}).get("reason", ""))[:100],
            )
    except IntegrityError:  # another request of this client made the tally meanwhile
        tally.update(count=F("count") + 1)
        return
    # The first refusal of this client's minute: write the minutes that have ended.
    write_ended()


def write_ended() -> int:
    """Write the tallies of the minutes that have ended as one event each; the number
    written. Tallies another process is writing are skipped (PostgreSQL)."""
    from onthaal.audit.services import record_event

    written = 0
    while True:
        with transaction.atomic():
            tallies = list(
                RefusalTally.objects.select_for_update(skip_locked=True)
                .filter(minute__lt=_minute(clock.now()))
                .order_by("minute", "pk")[:BATCH]
            )
            for tally in tallies:
                record_event(
                    action=Action.PERMISSION_DENIED,
                    actor=AnonymousUser(),
                    object_type=tally.object_type,
                    object_id=tally.object_id,
                    details={
                        "count": tally.count,
                        "minute": tally.minute.isoformat(),
                        "reason": tally.reason,
                    },
                    request=_from(tally.client),
                )
            RefusalTally.objects.filter(pk__in=[tally.pk for tally in tallies]).delete()
        written += len(tallies)
        if len(tallies) < BATCH:
            return written


def _from(address: str) -> HttpRequest:
    """A request from ``address``, for the event's address (there is no request now)."""
    request = HttpRequest()
    if address:
        request.META["REMOTE_ADDR"] = address
    return request
