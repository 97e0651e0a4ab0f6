"""Reading the audit log: only for auditors, and every search is itself an event."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from django.db import connection, connections, router, transaction
from django.db.models import Q, QuerySet

from onthaal.accounts import access
from onthaal.audit import chain
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import CHAINS, record_event
from onthaal.core.clock import BRUSSELS


def _names_object(object_id: str) -> Q:
    """The events about ``object_id``: those of the object itself, and the reads that showed
    it among others (a list, a search hit list, an export name their items in
    ``details["items"]`` by number and ``details["ids"]`` by id): "who saw item X" finds both,
    by the item's register number or by its id. (A register number repeats across
    organisations; the id is unique.)"""
    if connection.vendor == "postgresql":  # jsonb containment
        listed = Q(details__items__contains=[object_id]) | Q(details__ids__contains=[object_id])
    else:  # SQLite has no JSON containment: the list's JSON text holds the quoted value
        quoted = json.dumps(object_id)
        listed = Q(details__items__icontains=quoted) | Q(details__ids__icontains=quoted)
    return Q(object_id=object_id) | Q(details__id=object_id) | listed


def _events(
    *,
    object_type: str = "",
    object_id: str = "",
    actor_name: str = "",
    action: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[QuerySet[AuditEvent], dict[str, str]]:
    """The events that match, newest first, and the filters as the reading's event names
    them."""
    events = AuditEvent.objects.all().order_by("-pk")
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(_names_object(object_id))
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
    return events, filters


def search_events(*, actor: Any, **criteria: Any) -> QuerySet[AuditEvent]:
    """The auditor's search (``_events``' criteria): itself a ``search`` event."""
    access.require(actor, "audit.view", object_type="audit_event")
    events, filters = _events(**criteria)
    record_event(
        action=Action.SEARCH, actor=actor, object_type="audit_event", details={"filters": filters}
    )
    return events


MAX_EXPORT = 10_000


def export_events(*, actor: Any, **criteria: Any) -> list[AuditEvent]:
    """The events of a search, at most ``MAX_EXPORT``, for a CSV file: one ``export`` event
    with the filters and the number of rows."""
    access.require(actor, "audit.view", object_type="audit_event")
    events, filters = _events(**criteria)
    rows = list(events[:MAX_EXPORT])
    record_event(
        action=Action.EXPORT,
        actor=actor,
        object_type="audit_event",
        details={"filters": filters, "rows": len(rows)},
    )
    return rows


ROW_FIELDS = ("pk", "hash", "chain", *chain.CHAINED_FIELDS)

# PostgreSQL: the rows as verification reads them, written by hand (verify walks a million
# events in seconds). The database writes the time as the canonical bytes hold it and the
# details as JSON text; a test holds the rows equal to the ORM's.
VERIFY_SQL = """
SELECT {columns} FROM "audit_auditevent" ORDER BY "id"
""".format(
    columns=", ".join(
        {
            "pk": '"id"',
            "at": """to_char("at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
            "details": '"details"::text',
        }.get(name, f'"{name}"')
        for name in ROW_FIELDS
    )
)


def _loads(text: str) -> Any:
    """JSON text as Python values: orjson, or json where orjson refuses (an integer beyond
    64 bits)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def event_rows() -> Iterator[dict[str, Any]]:
    """Every event as verification reads it, in primary-key order, streamed."""
    using = router.db_for_read(AuditEvent)
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield from (
            AuditEvent.objects.using(using)
            .order_by("pk")
            .values(*ROW_FIELDS)
            .iterator(chunk_size=5000)
        )
        return
    loads = _loads
    with transaction.atomic(using=using):
        connection.ensure_connection()
        with connection.connection.cursor(name="audit_verify") as cursor:
            cursor.itersize = 10_000
            cursor.execute(VERIFY_SQL)
            for row in cursor:
                fields = dict(zip(ROW_FIELDS, row, strict=True))
                fields["details"] = loads(fields["details"])
                yield fields


def verify(anchor: Mapping[int, tuple[int, str]] | None = None) -> chain.VerifyResult:
    """Verify every chain, streaming the log in primary-key order; with ``anchor`` (chain ->
    pk and hash, from ``onthaal.audit.anchors``), also that the anchored events are unchanged
    and still there."""
    return chain.verify_chain(event_rows(), anchor)


def heads() -> dict[int, tuple[int, str]]:
    """Each chain's last event: chain -> (pk, hash)."""
    found = {}
    for number in range(CHAINS):
        last = (
            AuditEvent.objects.filter(chain=number).order_by("-pk").values_list("pk", "hash")
        ).first()
        if last is not None:
            found[number] = (last[0], last[1])
    return found


def contains_hash(value: str) -> bool:
    return AuditEvent.objects.filter(hash=value).exists()
