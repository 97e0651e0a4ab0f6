"""Writing the figures: facts from closed visits, and their rollups.

``refresh_facts`` is run by the worker every minute (``core.management.commands.worker``). It
reads closed tickets and appointments through the queue's and the appointments' selectors —
no hook in their write paths — and records each as one anonymous ``Visit`` fact, updating the
hourly rollups in the same transaction. It is idempotent: a visit is recorded once
(``visit_unique_origin``), and the one ``RefreshState`` row, locked for the whole refresh,
serialises workers.

Which visits it looks at: every ticket (and appointment) from the lowest id that was still open
at the last refresh (``RefreshState.ticket_floor``) on. Ids come from a sequence, but a
transaction that took an id may commit after one that took a higher id; so the floor never
passes a ticket issued in the last ``SETTLE`` minutes (its row may not be visible yet).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models.functions import Coalesce

from onthaal.appointments import selectors as appointment_selectors
from onthaal.core import clock
from onthaal.eloket import selectors as eloket_selectors
from onthaal.queue import selectors as queue_selectors
from onthaal.reporting import facts, histogram, statements
from onthaal.reporting.models import (
    COUNTED,
    DailyRollup,
    HourlyRollup,
    Origin,
    RefreshState,
    Rollup,
    Visit,
    VisitProduct,
)
from onthaal.reporting.selectors import fact_measures

if TYPE_CHECKING:
    from onthaal.catalogue.models import Product
    from onthaal.organisation.models import Department, Location

SETTLE = dt.timedelta(minutes=5)
BATCH = 2000


def _locked_state() -> RefreshState:
    state = RefreshState.objects.select_for_update().filter(pk=1).first()
    if state is None:  # the migration creates it; a flushed test database may not have it
        RefreshState.objects.get_or_create(pk=1)
        state = RefreshState.objects.select_for_update().get(pk=1)
    return state


def rollup_key(model: type[Rollup], fact: facts.VisitFact) -> tuple[Any, ...]:
    """The fact's key in ``model`` (``model.KEY``; no queue and no product count as 0)."""
    values = {
        "service_day": fact.service_day,
        "hour": fact.hour,
        "location_id": fact.location_id,
        "department_id": fact.department_id,
        "queue_id": fact.queue_id or 0,
        "product_id": fact.product_id,
        "channel": fact.channel,
    }
    return tuple(values[name] for name in model.KEY)


def rollup_deltas(
    model: type[Rollup], batch: Iterable[facts.VisitFact]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """What ``batch`` adds to each row of ``model``, measure by measure and bucket by bucket."""
    out: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTED, 0))
    for fact in batch:
        row = out[rollup_key(model, fact)]
        row["visits"] += 1
        row["served"] += fact.outcome == facts.SERVED
        row["no_shows"] += fact.outcome == facts.NO_SHOW
        row["cancelled"] += fact.outcome == facts.CANCELLED
        row["transferred"] += fact.outcome == facts.TRANSFERRED
        row["persons"] += fact.persons
        row["items"] += fact.items
        if fact.wait_seconds is not None:
            row["wait_count"] += 1
            row["wait_sum"] += fact.wait_seconds
            row[WAIT_BUCKETS[histogram.bucket(fact.wait_seconds)]] += 1
        if fact.service_seconds is not None:
            row["service_count"] += 1
            row["service_sum"] += fact.service_seconds
            row[SERVICE_BUCKETS[histogram.bucket(fact.service_seconds)]] += 1
        if fact.outcome != facts.CANCELLED:  # a cancelled booking freed its time
            row["booked_minutes"] += fact.booked_minutes or 0
    return out


WAIT_BUCKETS = histogram.field_names("wait")
SERVICE_BUCKETS = histogram.field_names("service")


def rollups_changed() -> None:
    """Give the rollups a new version (``RefreshState.rollups_version``), in the caller's
    transaction: the dashboard's cached figures of the old one are no longer read. Every write
    of the rollups calls it; so must a bulk load that writes them in SQL (the benchmark)."""
    RefreshState.objects.filter(pk=1).update(rollups_version=uuid.uuid4())


def _add_to_rollups(batch: Sequence[facts.VisitFact]) -> None:
    """Add ``batch`` to the hourly and the daily rollups (one upsert per table for all rows,
    ``statements.add_to_rollups``). The caller holds the refresh lock: nobody else writes
    rollups meanwhile."""
    rollups_changed()
    for model in (HourlyRollup, DailyRollup):
        rows = []
        for key, delta in sorted(rollup_deltas(model, batch).items()):
            row = dict(zip(model.KEY, key, strict=True))
            row["weekday"] = row["service_day"].weekday()
            rows.append({**row, **delta})
        statements.add_to_rollups(model, rows)


def _visit_values(fact: facts.VisitFact) -> dict[str, Any]:
    return {
        "origin": fact.origin,
        "origin_id": fact.origin_id,
        "location_id": fact.location_id,
        "department_id": fact.department_id,
        "queue_id": fact.queue_id,
        "product_id": fact.product_id,
        "channel": fact.channel,
        "source": fact.source,
        "service_day": fact.service_day,
        "weekday": fact.weekday,
        "hour": fact.hour,
        "outcome": fact.outcome,
        "arrived_at": fact.arrived_at,
        "called_at": fact.called_at,
        "started_at": fact.started_at,
        "ended_at": fact.ended_at,
        "wait_seconds": fact.wait_seconds,
        "service_seconds": fact.service_seconds,
        "persons": fact.persons,
        "transfers": fact.transfers,
        "items": fact.items,
        "booked_minutes": fact.booked_minutes,
    }


def record_facts(batch: Sequence[facts.VisitFact], *, with_products: bool = True) -> int:
    """Store ``batch`` as visits and add it to the rollups, in the caller's transaction (which
    holds the refresh lock, see ``refresh_facts``). Returns how many were stored.

    Without ``with_products`` (the bulk loads of history: the demo, the benchmark) the visits
    go in through one prepared statement (``statements.insert_rows``) and keep only their main
    product."""
    if not batch:
        return 0
    if not with_products:
        statements.insert_rows(Visit, [_visit_values(f) for f in batch])
        _add_to_rollups(batch)
        return len(batch)
    visits = Visit.objects.bulk_create([Visit(**_visit_values(f)) for f in batch], batch_size=2000)
    if with_products:
        VisitProduct.objects.bulk_create(
            [
                VisitProduct(visit_id=visit.pk, product_id=product_id, quantity=quantity)
                for visit, fact in zip(visits, batch, strict=True)
                for product_id, quantity in fact.products
            ],
            batch_size=2000,
        )
    _add_to_rollups(batch)
    return len(batch)


def _recorded(origin: str, ids: list[int]) -> set[int]:
    return set(
        Visit.objects.filter(origin=origin, origin_id__in=ids).values_list("origin_id", flat=True)
    )


def ticket_records(rows: list[dict[str, Any]]) -> list[facts.TicketRecord]:
    booked = appointment_selectors.for_tickets(
        [r["pk"] for r in rows if r["source"] == "appointment"]
    )
    return [
        facts.TicketRecord(
            pk=r["pk"],
            location_id=r["location_id"],
            department_id=r["queue__department_id"],
            queue_id=r["queue_id"],
            service_day=r["service_day"],
            source=r["source"],
            status=r["status"],
            issued_at=r["issued_at"],
            called_at=r["called_at"],
            started_at=r["started_at"],
            finished_at=r["finished_at"],
            transfers=r["transfers"],
            desk_kind=r["desk__kind"] or "",
            delivered=tuple(r["delivered"]),
            asked=tuple(r["asked"]),
            persons=booked.get(r["pk"], {}).get("persons", 1),
            booked_minutes=booked.get(r["pk"], {}).get("booked_minutes"),
        )
        for r in rows
    ]


def _appointment_records(rows: list[dict[str, Any]]) -> list[facts.AppointmentRecord]:
    return [
        facts.AppointmentRecord(
            pk=r["pk"],
            location_id=r["location_id"],
            department_id=r["department_id"],
            status=r["status"],
            channel=r["channel"],
            start=r["start"],
            end=r["end"],
            persons=r["persons"],
            products=tuple(r["products"]),
        )
        for r in rows
    ]


def _refresh_tickets(floor: int, settled_before: dt.datetime, batch: int) -> tuple[int, int]:
    recorded, cursor = 0, floor
    while True:
        rows = queue_selectors.closed_tickets(pk_from=cursor, limit=batch)
        done = _recorded(Origin.TICKET, [r["pk"] for r in rows])
        fresh = [r for r in rows if r["pk"] not in done]
        recorded += record_facts([facts.from_ticket(t) for t in ticket_records(fresh)])
        if len(rows) < batch:
            break
        cursor = rows[-1]["pk"] + 1
    open_pk = queue_selectors.first_open_ticket(pk_from=floor, settled_before=settled_before)
    end = queue_selectors.last_ticket_id() + 1
    return recorded, max(floor, min(end, open_pk) if open_pk is not None else end)


def _refresh_appointments(floor: int, settled_before: dt.datetime, batch: int) -> tuple[int, int]:
    recorded, cursor = 0, floor
    while True:
        rows = appointment_selectors.closed_appointments(pk_from=cursor, limit=batch)
        done = _recorded(Origin.APPOINTMENT, [r["pk"] for r in rows])
        fresh = [r for r in rows if r["pk"] not in done]
        recorded += record_facts([facts.from_appointment(a) for a in _appointment_records(fresh)])
        if len(rows) < batch:
            break
        cursor = rows[-1]["pk"] + 1
    open_pk = appointment_selectors.first_open_appointment(
        pk_from=floor, settled_before=settled_before
    )
    end = appointment_selectors.last_appointment_id() + 1
    return recorded, max(floor, min(end, open_pk) if open_pk is not None else end)


def _refresh_requests(floor: int, batch: int) -> tuple[int, int]:
    recorded, cursor = 0, floor
    while True:
        rows = eloket_selectors.finished_requests(pk_from=cursor, limit=batch)
        done = _recorded(Origin.ELOKET, [r["pk"] for r in rows])
        fresh = [r for r in rows if r["pk"] not in done and r["location_id"] is not None]
        recorded += record_facts(
            [
                facts.from_request(
                    facts.RequestRecord(
                        pk=r["pk"],
                        location_id=r["location_id"],
                        department_id=r["department_id"],
                        product_id=r["product_id"],
                        status=r["status"],
                        submitted_at=r["submitted_at"],
                        finished_at=r["finished_at"],
                    )
                )
                for r in fresh
            ]
        )
        if len(rows) < batch:
            break
        cursor = rows[-1]["pk"] + 1
    open_pk = eloket_selectors.first_open_request(pk_from=floor)
    end = eloket_selectors.last_request_id() + 1
    return recorded, max(floor, min(end, open_pk) if open_pk is not None else end)


def handled_emails(*, pk_from: int, limit: int) -> list[facts.MailRecord]:
    """Incoming e-mails of the mail register that were answered or closed, with an id from
    ``pk_from`` on, in id order, with the first location of their department (as the e-loket's
    requests) and the time of their first registered answer. Only ids, departments and times
    are read: no correspondent, no subject. (The mail app has no selector for this yet; the
    query reads its table with ``values`` alone.)"""
    from django.db.models import Min

    from onthaal.mail.models import Channel as MailChannel
    from onthaal.mail.models import Direction, MailItem
    from onthaal.mail.models import Status as MailStatus
    from onthaal.organisation.models import Department

    rows = list(
        MailItem.objects.filter(
            pk__gte=pk_from,
            direction=Direction.IN,
            channel=MailChannel.EMAIL,
            status__in=[MailStatus.ANSWERED, MailStatus.CLOSED],
            department__isnull=False,
        )
        .order_by("pk")
        .annotate(answered_at=Min("answered_by__registered_at"))
        .values("pk", "department_id", "registered_at", "answered_at")[:limit]
    )
    first: dict[int, int] = {}
    for department_id, location_id in (
        Department.locations.through.objects.filter(
            department_id__in={r["department_id"] for r in rows}
        )
        .order_by("department_id", "location_id")
        .values_list("department_id", "location_id")
    ):
        first.setdefault(department_id, location_id)
    return [
        facts.MailRecord(
            pk=r["pk"],
            location_id=first[r["department_id"]],
            department_id=r["department_id"],
            received_at=r["registered_at"],
            answered_at=r["answered_at"],
        )
        for r in rows
        if r["department_id"] in first
    ]


def _first_open_email(pk_from: int) -> int | None:
    from onthaal.mail.models import Channel as MailChannel
    from onthaal.mail.models import Direction, MailItem
    from onthaal.mail.models import Status as MailStatus

    return (
        MailItem.objects.filter(pk__gte=pk_from, direction=Direction.IN, channel=MailChannel.EMAIL)
        .exclude(status__in=[MailStatus.ANSWERED, MailStatus.CLOSED])
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _refresh_mail(floor: int, batch: int) -> tuple[int, int]:
    from onthaal.mail.models import MailItem

    recorded, cursor = 0, floor
    while True:
        rows = handled_emails(pk_from=cursor, limit=batch)
        done = _recorded(Origin.EMAIL, [r.pk for r in rows])
        recorded += record_facts([facts.from_mail(r) for r in rows if r.pk not in done])
        if len(rows) < batch:
            break
        cursor = rows[-1].pk + 1
    open_pk = _first_open_email(floor)
    end = (MailItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    return recorded, max(floor, min(end, open_pk) if open_pk is not None else end)


def refresh_facts(*, batch: int = BATCH) -> int:
    """Record every closed ticket, appointment, e-loket request and handled incoming e-mail
    not recorded yet; returns how many.

    One transaction: the facts, their rollups and the new floors commit together, so a crash
    halfway leaves nothing half-counted, and the next run starts where this one started.
    """
    now = clock.now()
    with transaction.atomic():
        state = _locked_state()
        tickets, state.ticket_floor = _refresh_tickets(state.ticket_floor, now - SETTLE, batch)
        appointments, state.appointment_floor = _refresh_appointments(
            state.appointment_floor, now - SETTLE, batch
        )
        requests, state.eloket_floor = _refresh_requests(state.eloket_floor, batch)
        emails, state.mail_floor = _refresh_mail(state.mail_floor, batch)
        state.refreshed_at = now
        # Not the rollups' version: recording changed it in the database, not in ``state``.
        state.save(
            update_fields=[
                "ticket_floor",
                "appointment_floor",
                "eloket_floor",
                "mail_floor",
                "refreshed_at",
            ]
        )
    return tickets + appointments + requests + emails


def rebuild_rollups(days: Iterable[dt.date] | None = None) -> int:
    """Recompute the rollups of ``days`` (all days when None) from the facts: after a bulk
    load of history (the demo) or to repair. Returns the number of hourly rollup rows
    written. (``statements.rebuild_rollups`` does the same in one statement per table, for
    the benchmark's millions; a test holds the two equal.)"""
    day_list = list(days) if days is not None else None
    written = 0
    with transaction.atomic():
        _locked_state()
        for model in (HourlyRollup, DailyRollup):
            visits = Visit.objects.all()
            manager: Any = model.objects  # the two rollup models share their columns
            rollups = manager.all()
            if day_list is not None:
                visits = visits.filter(service_day__in=day_list)
                rollups = rollups.filter(service_day__in=day_list)
            rollups.delete()
            keys = tuple(k for k in model.KEY if k != "queue_id")
            # Annotations may not bear a field's name (persons, items): prefixed, then renamed.
            grouped = (
                visits.annotate(q=Coalesce("queue_id", 0))
                .values(*keys, "weekday", *(("q",) if "queue_id" in model.KEY else ()))
                .annotate(**{f"m_{name}": agg for name, agg in fact_measures().items()})
                .order_by()
            )
            rows = [
                model(
                    **{k: row[k] for k in (*keys, "weekday")},
                    **({"queue_id": row["q"]} if "queue_id" in model.KEY else {}),
                    **{name: row[f"m_{name}"] for name in COUNTED},
                )
                for row in grouped.iterator(chunk_size=5000)
            ]
            manager.bulk_create(rows, batch_size=1000)
            if model is HourlyRollup:
                written = len(rows)
        rollups_changed()
    return written


def contact_register(
    *,
    actor: Any,
    location: Location,
    department: Department,
    product: Product | None = None,
    minutes: int | None = None,
) -> Visit:
    """Reception registers a phone call for ``department`` at ``location``: one fact with
    channel phone (``facts.from_contact``), added to the rollups, and an audit event, in one
    transaction. Nothing about the caller is asked or kept.

    Numbered under the refresh lock (the one row every writer of facts locks): the highest
    phone number plus one, read on the ``(origin, origin_id)`` index."""
    from django.db.models import Max

    from onthaal.accounts import access
    from onthaal.audit.models import Action
    from onthaal.audit.services import record_event

    access.require(
        actor, "queue.issue", department, object_type="reporting.contact", object_id="phone"
    )
    with transaction.atomic():
        _locked_state()
        last = Visit.objects.filter(origin=Origin.PHONE).aggregate(n=Max("origin_id"))["n"] or 0
        fact = facts.from_contact(
            facts.ContactRecord(
                pk=last + 1,
                location_id=location.pk,
                department_id=department.pk,
                at=clock.now(),
                product_id=product.pk if product else None,
                minutes=minutes,
            )
        )
        record_facts([fact])
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="reporting.contact",
            object_id=f"phone:{fact.origin_id}",
            department=department,
            details={
                "channel": facts.PHONE,
                "location": location.pk,
                "product": product.pk if product else None,
                "minutes": minutes,
            },
        )
    return Visit.objects.get(origin=Origin.PHONE, origin_id=fact.origin_id)
