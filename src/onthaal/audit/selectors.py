"""Reading the audit log: only for auditors, and every search is itself an event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from onthaal.accounts import access
from onthaal.audit import chain
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import record_event
from onthaal.core.clock import BRUSSELS


def search_events(
    *,
    actor: Any,
    object_type: str = "",
    object_id: str = "",
    actor_name: str = "",
    action: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    access.require(actor, "audit.view", object_type="audit_event")
    events = AuditEvent.objects.all().order_by("-pk")
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if actor_name:
        events = events.filter(actor_label=actor_name)
    if action:
        events = events.filter(action=action)
    if start:
        events = events.filter(at__gte=dt.datetime.combine(start, dt.time(), tzinfo=BRUSSELS))
    if end:
        next_day = end + dt.timedelta(days=1)
        events = events.filter(at__lt=dt.datetime.combine(next_day, dt.time(), tzinfo=BRUSSELS))
    filters = {
        k: str(v)
        for k, v in {
            "object_type": object_type,
            "object_id": object_id,
            "actor": actor_name,
            "action": action,
            "start": start,
            "end": end,
        }.items()
        if v
    }
    record_event(
        action=Action.SEARCH, actor=actor, object_type="audit_event", details={"filters": filters}
    )
    return events


def verify() -> chain.VerifyResult:
    """Verify the whole chain, streaming it in primary-key order."""
    fields = ("pk", "hash", *chain.CHAINED_FIELDS)
    rows = AuditEvent.objects.order_by("pk").values(*fields).iterator(chunk_size=5000)
    return chain.verify_chain(rows)


def contains_hash(value: str) -> bool:
    return AuditEvent.objects.filter(hash=value).exists()
