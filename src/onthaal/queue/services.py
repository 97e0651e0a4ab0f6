"""Use cases of customer guidance. Each runs in one transaction and writes its audit event.

Correctness under concurrency is the database's job, on PostgreSQL and SQLite alike:

* a ticket number comes from ``TicketCounter``, incremented with an UPDATE in the issuing
  transaction (the row lock serialises issuers; the unique constraint is the last line);
* a transition is a conditional UPDATE (``WHERE status IN <allowed from>``): of two requests
  that race for the same ticket, exactly one changes a row; the other sees 0 rows;
* call-next ranks the waiting tickets with the pure routing function and claims the first one
  whose conditional UPDATE succeeds — two desks calling at the same instant never get the same
  ticket, and a desk that loses a race takes the next, so none is skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Field, Q
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import change_with_event, lock_chain, record_event
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError, NotFound
from onthaal.core.sql import Columns, is_key, split
from onthaal.hours import compute as hours_compute
from onthaal.hours.selectors import hours_data
from onthaal.organisation.models import Department, Desk, Location
from onthaal.queue import broker, routing
from onthaal.queue.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    DeliveredProduct,
    DeskSession,
    HandoffNote,
    Queue,
    Source,
    Status,
    Ticket,
    TicketCounter,
    contact_forgotten,
)

POLICY = routing.Policy()
CLAIM_BATCH = 16  # ranked candidates one claim chooses from (it locks one of them)
MAX_QUANTITY = 20


def _event_args(ticket: Ticket, action: str, actor: Any, **details: Any) -> dict[str, Any]:
    return {
        "action": Action.CREATE if action == "issue" else Action.TRANSITION,
        "actor": actor,
        "object_type": "queue.ticket",
        "object_id": ticket.pk,
        "department": ticket.queue.department,
        "details": {"transition": action, "code": ticket.code, "status": ticket.status, **details},
    }


def _event(ticket: Ticket, action: str, actor: Any, **details: Any) -> None:
    record_event(**_event_args(ticket, action, actor, **details))


def _live(ticket: Ticket, kind: str) -> None:
    """Tell the location's screens and desks, after commit. Numbers only, never a name."""
    desk = ticket.desk
    broker.publish(
        ticket.location_id,
        {
            "type": kind,
            "ticket": ticket.public_id,
            "code": ticket.code,
            "queue": ticket.queue.prefix,
            "desk": desk.name if desk is not None and kind in ("called", "recalled") else "",
            "status": ticket.status,
            "at": clock.now().isoformat(),
        },
    )


# --- walk-in channel -----------------------------------------------------------------------


def walk_in_hours(location: Location) -> hours_compute.HoursData:
    """The location's hours for the coming month: what ``walk_in_status`` needs (2 queries)."""
    today = clock.today()
    return hours_data(location, today, today + dt.timedelta(days=31))


def walk_in_status(
    location: Location, queue: Queue, data: hours_compute.HoursData | None = None
) -> tuple[bool, dt.datetime | None]:
    """Is the walk-in channel of ``queue``'s department open now, and if not, when next?
    Pass ``data`` (``walk_in_hours``) to ask for several queues of a location."""
    now = clock.now()
    if data is None:
        data = walk_in_hours(location)
    is_open = hours_compute.is_open(
        data, now, channel=hours_compute.WALK_IN, department_id=queue.department_id
    )
    if is_open:
        return True, None
    return False, hours_compute.next_opening(
        data,
        now,
        channel=hours_compute.WALK_IN,
        department_id=queue.department_id,
        horizon_days=30,
    )


# --- issuing -------------------------------------------------------------------------------


NUMBER_SQL = (
    'UPDATE "queue_ticketcounter" SET "last_number" = "last_number" + 1 '
    'WHERE "location_id" = %s AND "service_day" = %s RETURNING "last_number"'
)


def _next_number(location: Location, service_day: dt.date) -> int:
    """The next number of the day, in the caller's transaction: one UPDATE ... RETURNING (the
    row lock serialises issuers); the day's counter row is created by the first ticket of the
    day. On PostgreSQL the chain lock is taken first: the issue of ``_issue_and_record`` locks
    the counter while it holds the chain lock, and both must lock in the same order."""
    if connection.vendor == "postgresql":
        lock_chain()
    params = [location.pk, connection.ops.adapt_datefield_value(service_day)]
    with connection.cursor() as cursor:
        cursor.execute(NUMBER_SQL, params)
        row = cursor.fetchone()
        if row is None:
            TicketCounter.objects.get_or_create(location=location, service_day=service_day)
            cursor.execute(NUMBER_SQL, params)
            row = cursor.fetchone()
    return int(row[0])


# PostgreSQL, outside a transaction: the day's number, the ticket and its products in one
# statement, after the chain lock and with the audit event (change_with_event): one round
# trip. The database numbers the ticket and writes its code as issue_ticket does in Python.
ISSUE_CHANGES = """
counter AS (
    UPDATE "queue_ticketcounter" SET "last_number" = "last_number" + 1
     WHERE "location_id" = %(location)s AND "service_day" = %(service_day)s
    RETURNING "last_number"
),
issued AS (
    INSERT INTO "queue_ticket" ({columns})
    SELECT {values} FROM counter
    RETURNING {returning}
),
ticket_products AS (
    INSERT INTO "queue_ticket_products" ("ticket_id", "product_id")
    SELECT issued."id", product FROM issued, unnest(%(products)s::bigint[]) AS product
)
"""
ISSUED = Columns(Ticket, "issued")
ISSUE_COMPUTED = {
    "number": 'counter."last_number"',
    "code": """%(prefix)s || CASE WHEN counter."last_number" < 1000
        THEN lpad(counter."last_number"::text, 3, '0') ELSE counter."last_number"::text END""",
}
ISSUE_WRITTEN = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
ISSUE_SQL_CHANGES = ISSUE_CHANGES.format(
    columns=", ".join(f'"{f.column}"' for f in ISSUE_WRITTEN),
    values=", ".join(
        ISSUE_COMPUTED.get(f.attname, f"%(ticket_{f.column})s") for f in ISSUE_WRITTEN
    ),
    returning=", ".join(f'"{f.column}"' for f in ISSUED.fields),
)


def _issue_and_record(
    ticket: Ticket, products: list[Product], actor: Any, details: dict[str, Any]
) -> Ticket | None:
    """Write ``ticket`` (without its number and code) as the next of its day; None when the
    day's counter does not exist yet."""
    params: dict[str, Any] = {
        "location": ticket.location_id,
        "service_day": ticket.service_day,
        "products": [p.pk for p in products],
        "prefix": ticket.queue.prefix,
    }
    for field in ISSUE_WRITTEN:
        if field.attname not in ISSUE_COMPUTED:
            value = field.get_db_prep_save(field.pre_save(ticket, True), connection)
            params[f"ticket_{field.column}"] = value
    row = change_with_event(
        ISSUE_SQL_CHANGES,
        params,
        subject="issued",
        filled={"object_id": 'issued."id"::text', "details.code": 'issued."code"'},
        returning=ISSUED.sql,
        action=Action.CREATE,
        actor=actor,
        object_type="queue.ticket",
        department=ticket.queue.department,
        details={"transition": "issue", "status": Status.WAITING, **details},
    )
    if row is None:
        return None
    issued = ISSUED.required(row, 0, connection)
    issued.location, issued.queue = ticket.location, ticket.queue
    return issued


def issue_ticket(
    *,
    location: Location,
    queue: Queue,
    source: str,
    actor: Any,
    products: Iterable[Product] = (),
    priority: bool = False,
    appointment_at: dt.datetime | None = None,
    check_hours: bool = True,
) -> Ticket:
    """Issue a numbered ticket in ``queue``.

    From the kiosk the walk-in channel must be open (``check_hours``); reception may issue at
    any time the building is staffed.
    """
    errors: dict[str, list[str]] = {}
    if queue.location_id != location.pk or not queue.active:
        errors["queue"] = [_("This queue does not exist at this location.")]
    product_list = list(products)
    if product_list and not errors:
        offered = set(queue.products.values_list("pk", flat=True))
        if any(p.pk not in offered for p in product_list):
            errors["products"] = [_("This product is not served in this queue.")]
    if source not in Source.values:
        errors["source"] = [_("Unknown source.")]
    if errors:
        raise DomainError(_("The ticket cannot be issued."), fields=errors)
    if check_hours:
        is_open, opens = walk_in_status(location, queue)
        if not is_open:
            when = (
                opens.astimezone(clock.BRUSSELS).strftime("%d/%m %H:%M") if opens else _("unknown")
            )
            raise DomainError(
                _("Walk-in is closed now. It opens again on %(when)s.") % {"when": when},
                code="closed",
                fields={"queue": [_("Walk-in is closed now.")]},
            )
    now = clock.now()
    service_day = now.astimezone(clock.BRUSSELS).date()
    ticket = Ticket(
        location=location,
        queue=queue,
        service_day=service_day,
        source=source,
        priority=priority,
        appointment_at=appointment_at,
        issued_at=now,
        waiting_since=now,
    )
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        details = {"source": source, "priority": priority}
        issued = _issue_and_record(ticket, product_list, actor, details)
        if issued is None:  # the first ticket of the day: its counter first
            TicketCounter.objects.get_or_create(location=location, service_day=service_day)
            issued = _issue_and_record(ticket, product_list, actor, details)
        assert issued is not None
        ticket = issued
    else:
        with transaction.atomic():
            ticket.number = _next_number(location, service_day)
            ticket.code = f"{queue.prefix}{ticket.number:03d}"
            ticket.save(force_insert=True)
            if product_list:
                ticket.products.set(product_list)
            _event(ticket, "issue", actor, source=source, priority=priority)
    _live(ticket, "issued")
    return ticket


# --- transitions ---------------------------------------------------------------------------


def _with_status(action: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """What ``action`` writes: its status, ``changes``, and, when it closes the ticket, the
    alert contact forgotten (it ends with the ticket)."""
    to = TRANSITIONS[action][1]
    return {"status": to, **changes, **(contact_forgotten() if to in CLOSED_STATUSES else {})}


def _apply(ticket: Ticket, action: str, **changes: Any) -> Ticket:
    """Apply a transition with a conditional UPDATE; Conflict when the ticket has moved on."""
    allowed_from = TRANSITIONS[action][0]
    updated = Ticket.objects.filter(pk=ticket.pk, status__in=allowed_from).update(
        **_with_status(action, changes)
    )
    if updated != 1:
        raise _moved_on(ticket)
    # Read back with what the event and the screens need, in one query.
    return Ticket.objects.select_related("queue", "queue__department", "desk").get(pk=ticket.pk)


def _moved_on(ticket: Ticket, allowed_from: tuple[str, ...] = ()) -> Conflict:
    """The refusal of a transition that changed nothing; ``allowed_from``: the statuses it
    starts from, when it skips a ticket that another request is changing."""
    current = Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).first()
    if current in allowed_from:
        return Conflict(
            _("Ticket %(code)s is being changed elsewhere right now. Try again.")
            % {"code": ticket.code},
            code="ticket_busy",
        )
    label = Status(current).label if current else _("unknown")
    return Conflict(
        _("Ticket %(code)s is %(status)s; this is no longer possible.")
        % {"code": ticket.code, "status": label},
        code="invalid_state",
    )


def _transition(
    ticket: Ticket,
    action: str,
    actor: Any,
    *,
    live: str,
    details: Mapping[str, Any],
    delivered: Iterable[tuple[Product, int]] = (),
    **changes: Any,
) -> Ticket:
    """Apply ``action`` to ``ticket`` (loaded with its queue, department and desk), record
    what was ``delivered`` and the audit event (with ``details``), and tell the screens."""
    items = list(delivered)
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and not any(hasattr(value, "resolve_expression") for value in changes.values())
    ):
        changed = _transition_and_record(ticket, action, actor, details, items, changes)
    else:
        with transaction.atomic():
            changed = _apply(ticket, action, **changes)
            DeliveredProduct.objects.bulk_create(
                [DeliveredProduct(ticket=changed, product=p, quantity=q) for p, q in items]
            )
            _event(changed, action, actor, **details)
    _live(changed, live)
    return changed


# PostgreSQL, outside a transaction: a desk's transition, what was delivered and the audit
# event in one statement after the chain lock (change_with_event): one round trip. The
# statement never waits for the ticket's row while it holds the chain lock: a transaction of
# the ORM path (a transfer, say) locks the row first and the chain lock after, and waiting
# for it would deadlock. A ticket another request is changing right now is refused instead.
TRANSITION_CHANGES = """
changed AS (
    UPDATE "queue_ticket" SET {sets}
     WHERE "status" = ANY(%(allowed)s::text[]) AND "id" = (
           SELECT "id" FROM "queue_ticket"
            WHERE "id" = %(ticket)s AND "status" = ANY(%(allowed)s::text[])
              FOR UPDATE SKIP LOCKED)
    RETURNING {columns}
),
delivered AS (
    INSERT INTO "{delivered_table}" ("ticket_id", "product_id", "quantity")
    SELECT changed."id", item.product, item.quantity
      FROM changed, unnest(%(products)s::bigint[], %(quantities)s::int[]) AS item(product, quantity)
)
"""
CHANGED = Columns(Ticket, "changed")


def _transition_and_record(
    ticket: Ticket,
    action: str,
    actor: Any,
    details: Mapping[str, Any],
    items: list[tuple[Product, int]],
    changes: dict[str, Any],
) -> Ticket:
    allowed_from, to = TRANSITIONS[action]
    changes = _with_status(action, changes)
    params: dict[str, Any] = {
        "ticket": ticket.pk,
        "allowed": list(allowed_from),
        "products": [p.pk for p, _ in items],
        "quantities": [q for _, q in items],
    }
    sets = []
    for name in sorted(changes):  # one statement text per action: it is prepared
        field = Ticket._meta.get_field(name)
        assert isinstance(field, Field)
        params[f"set_{field.column}"] = field.get_db_prep_save(changes[name], connection)
        sets.append(f'"{field.column}" = %(set_{field.column})s')
    event = _event_args(ticket, action, actor, **details)
    event["details"]["status"] = to
    row = change_with_event(
        TRANSITION_CHANGES.format(
            sets=", ".join(sets),
            columns=", ".join(f'"{f.column}"' for f in CHANGED.fields),
            delivered_table=DeliveredProduct._meta.db_table,
        ),
        params,
        subject="changed",
        filled={},
        returning=CHANGED.sql,
        **event,
    )
    if row is None:
        raise _moved_on(ticket, allowed_from)
    changed = CHANGED.required(row, 0, connection)
    changed.queue = ticket.queue  # what the screens need; the transitions keep queue and desk
    changed.desk = ticket.desk
    return changed


# A desk with its location, its session, the active queues it serves and the departments it
# serves, in one hand-written statement: every desk request starts with it (ADR 0006). Table
# and column names come from the models' metadata; the desk's id is a parameter. The queues
# and departments come as rows of the desk: a queue (with its department) or, with the
# queue's columns empty, a department of the desk.
DESK_SQL = """
SELECT {desk}, {location}, {session}, {served_queue}, {served_department}
  FROM "{desk_table}" k
  JOIN "{location_table}" l ON l."id" = k."location_id"
  LEFT JOIN "{session_table}" s ON s."desk_id" = k."id"
  LEFT JOIN (
       SELECT x."desk_id" AS "served_by", {queue}, {department}
         FROM "{queue_desks}" x
         JOIN "{queue_table}" q ON q."id" = x."queue_id"
         JOIN "{department_table}" d ON d."id" = q."department_id"
        WHERE q."active"
       UNION ALL
       SELECT x."desk_id", {no_queue}, {department}
         FROM "{desk_departments}" x
         JOIN "{department_table}" d ON d."id" = x."department_id"
  ) served ON served."served_by" = k."id"
 WHERE k."id" = %s
"""


@dataclass(frozen=True)
class _Served:
    queues: dict[int, Queue]
    departments: list[Department]


class _DeskQuery:
    @cached_property
    def parts(self) -> tuple[list[Columns[Any]], str]:
        queue, department = Columns(Queue, "q"), Columns(Department, "d")
        columns: list[Columns[Any]] = [
            Columns(Desk, "k"),
            Columns(Location, "l"),
            Columns(DeskSession, "s"),
            Columns(Queue, "served", "q_"),
            Columns(Department, "served", "d_"),
        ]
        sql = DESK_SQL.format(
            desk=columns[0].sql,
            location=columns[1].sql,
            session=columns[2].sql,
            served_queue=columns[3].sql,
            served_department=columns[4].sql,
            queue=queue.renamed("q_"),
            department=department.renamed("d_"),
            no_queue=", ".join(["NULL"] * len(queue)),
            desk_table=Desk._meta.db_table,
            location_table=Location._meta.db_table,
            session_table=DeskSession._meta.db_table,
            queue_table=Queue._meta.db_table,
            department_table=Department._meta.db_table,
            queue_desks=Queue.desks.through._meta.db_table,
            desk_departments=Desk.departments.through._meta.db_table,
        )
        return columns, sql

    def __call__(self, pk: int) -> Desk | None:
        columns, sql = self.parts
        if not is_key(pk):
            return None
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            rows = cursor.fetchall()
        if not rows:
            return None
        desk, location, session, _, _ = split(rows[0], columns, connection)
        desk.location = location
        # As select_related("session") leaves it: desk_session() asks no query.
        Desk.session.related.set_cached_value(desk, session)
        queues: dict[int, Queue] = {}
        departments: dict[int, Department] = {}
        for row in rows:
            *_, queue, department = split(row, columns, connection)
            if queue is not None and department is not None:
                queue.department = department
                queues[queue.pk] = queue
            elif department is not None:
                departments[department.pk] = department
        desk._served = _Served(
            queues=dict(sorted(queues.items())),
            departments=[departments[pk] for pk in sorted(departments)],
        )
        return desk


load_desk = _DeskQuery()
"""The desk with that id (None when there is none), with what the desk requests need of it:
``desk_session``, ``desk_departments`` and ``served_queues`` then ask no query."""


def desk_departments(desk: Desk) -> list[Department]:
    served: _Served | None = getattr(desk, "_served", None)
    return served.departments if served is not None else list(desk.departments.all())


def _require_serve(user: Any, desk: Desk) -> None:
    """The user serves one of the departments of ``desk`` (else refused, and audited)."""
    departments = desk_departments(desk)
    if not any(access.can(user, "queue.serve", d) for d in departments):
        access.require(
            user,
            "queue.serve",
            departments[0] if departments else None,
            object_type="organisation.desk",
            object_id=str(desk.pk),
        )


def desk_session(desk: Desk) -> DeskSession | None:
    """Who works at ``desk`` now: read with the desk when it was loaded with ``load_desk`` or
    ``select_related("session")``, else one query."""
    if not Desk.session.is_cached(desk):
        return DeskSession.objects.filter(desk=desk).first()
    try:
        return desk.session
    except DeskSession.DoesNotExist:
        return None


def _require_desk(user: Any, desk: Desk) -> DeskSession:
    """The user may serve at ``desk`` and has it open."""
    _require_serve(user, desk)
    session = desk_session(desk)
    if session is None or session.state == DeskSession.State.CLOSED:
        raise DomainError(_("Open the desk first."), code="desk_closed")
    if session.user_id != getattr(user, "pk", None):
        raise Conflict(_("Another staff member works at this desk."), code="desk_taken")
    return session


def _require_own(ticket: Ticket, desk: Desk) -> None:
    if ticket.desk_id != desk.pk:
        raise Conflict(
            _("Ticket %(code)s is not at this desk.") % {"code": ticket.code}, code="other_desk"
        )


def current_ticket(desk: Desk) -> Ticket | None:
    return (
        Ticket.objects.select_related("queue", "queue__department", "desk")
        .filter(desk=desk, status__in=[Status.CALLED, Status.SERVING])
        .order_by("-called_at")
        .first()
    )


def current_ticket_desk(ticket: Ticket, user: Any) -> Desk | None:
    """The desk where ``user`` is serving ``ticket`` now, if any (a transfer from a desk)."""
    if ticket.desk_id is None or ticket.status not in (Status.CALLED, Status.SERVING):
        return None
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return None
    at_desk = DeskSession.objects.filter(desk_id=ticket.desk_id, user_id=user_id).exclude(
        state=DeskSession.State.CLOSED
    )
    return ticket.desk if at_desk.exists() else None


def served_queues(desk: Desk) -> dict[int, Queue]:
    """The active queues ``desk`` serves, with their department, by id."""
    served: _Served | None = getattr(desk, "_served", None)
    if served is not None:
        return served.queues
    return {q.pk: q for q in desk.queues.filter(active=True).select_related("department")}


def desk_view(
    desk: Desk, user_id: int | None, queues: Mapping[int, Queue] | None = None
) -> routing.DeskView:
    if queues is None:
        queues = served_queues(desk)
    return routing.DeskView(desk_id=desk.pk, user_id=user_id, queue_ids=frozenset(queues))


CANDIDATE_FIELDS = (
    "pk",
    "queue_id",
    "waiting_since",
    "priority",
    "appointment_at",
    "assigned_user_id",
    "assigned_desk_id",
)


def _rows_to_candidates(
    rows: Iterable[tuple[Any, ...]], products: Mapping[int, set[int]]
) -> list[routing.Candidate]:
    return [
        routing.Candidate(
            id=pk,
            queue_id=queue_id,
            product_ids=frozenset(products.get(pk, ())),
            issued_at=waiting_since,
            priority=priority,
            appointment_at=appointment_at,
            assigned_user_id=assigned_user_id,
            assigned_desk_id=assigned_desk_id,
        )
        for pk, queue_id, waiting_since, priority, appointment_at, assigned_user_id, assigned_desk_id in rows
    ]


# PostgreSQL: the head of a desk's queues in one statement of plain SQL (the ORM's compilation
# of the same UNION costs more than the database's work). Each part is an index range over
# the partial indexes of migration 0003, which hold only the waiting tickets.
HEAD_SQL = """
(SELECT "id", "queue_id", "waiting_since", "priority", "appointment_at", "assigned_user_id",
        "assigned_desk_id"
   FROM "queue_ticket"
  WHERE "location_id" = %(location)s AND "service_day" = %(day)s AND "status" = 'waiting'
    AND "queue_id" = ANY(%(queues)s::bigint[])
    AND "assigned_user_id" IS NULL AND "assigned_desk_id" IS NULL AND NOT "priority"
  ORDER BY "waiting_since", "id" LIMIT %(k)s)
UNION ALL
(SELECT "id", "queue_id", "waiting_since", "priority", "appointment_at", "assigned_user_id",
        "assigned_desk_id"
   FROM "queue_ticket"
  WHERE "location_id" = %(location)s AND "service_day" = %(day)s AND "status" = 'waiting'
    AND "queue_id" = ANY(%(queues)s::bigint[])
    AND "assigned_user_id" IS NULL AND "assigned_desk_id" IS NULL AND "priority"
  ORDER BY "waiting_since", "id" LIMIT %(k)s)
UNION ALL
(SELECT "id", "queue_id", "waiting_since", "priority", "appointment_at", "assigned_user_id",
        "assigned_desk_id"
   FROM "queue_ticket"
  WHERE "location_id" = %(location)s AND "service_day" = %(day)s AND "status" = 'waiting'
    AND "queue_id" = ANY(%(queues)s::bigint[])
    AND "assigned_user_id" IS NULL AND "assigned_desk_id" IS NULL
    AND "appointment_at" BETWEEN %(due_from)s AND %(due_to)s)
UNION ALL
(SELECT "id", "queue_id", "waiting_since", "priority", "appointment_at", "assigned_user_id",
        "assigned_desk_id"
   FROM "queue_ticket"
  WHERE "location_id" = %(location)s AND "service_day" = %(day)s AND "status" = 'waiting'
    AND ("assigned_desk_id" = %(desk)s OR "assigned_user_id" = %(user)s))
"""


def head_candidates(
    location_id: int, service_day: dt.date, view: routing.DeskView, now: dt.datetime, k: int
) -> list[routing.Candidate]:
    """A superset of the desk's ``k`` best candidates, without reading the whole queue.

    The routing orders the tiers aged → hand-off → appointment due → effective wait, where
    effective wait is the waiting time plus a credit for priority. So the ``k`` best are among:
    the tickets handed over to this desk or its staff member, the appointments due now, and
    the ``k`` longest-waiting unassigned tickets of its queues with and without priority (the
    aged ones are the longest-waiting). Only for desks without a product restriction.
    """
    due_from, due_to = now - POLICY.punctuality_after, now + POLICY.punctuality_before
    if connection.vendor == "postgresql":
        params: dict[str, Any] = {
            "location": location_id,
            "day": service_day,
            "queues": sorted(view.queue_ids),
            "k": k,
            "due_from": due_from,
            "due_to": due_to,
            "desk": view.desk_id,
            "user": view.user_id,
        }
        with connection.cursor() as cursor:
            cursor.execute(HEAD_SQL, params)
            rows = {row[0]: row for row in cursor.fetchall()}
        return _rows_to_candidates(rows.values(), {})
    # SQLite cannot limit the parts of a UNION: four queries.
    waiting = Ticket.objects.filter(
        location_id=location_id, service_day=service_day, status=Status.WAITING
    )
    unassigned = waiting.filter(
        queue_id__in=view.queue_ids, assigned_user__isnull=True, assigned_desk__isnull=True
    )
    personal = Q(assigned_desk_id=view.desk_id)
    if view.user_id is not None:
        personal |= Q(assigned_user_id=view.user_id)
    parts = [
        unassigned.filter(priority=False).order_by("waiting_since", "pk")[:k],
        unassigned.filter(priority=True).order_by("waiting_since", "pk")[:k],
        unassigned.filter(appointment_at__range=(due_from, due_to)),
        waiting.filter(personal),
    ]
    found = {row[0]: row for part in parts for row in part.values_list(*CANDIDATE_FIELDS)}
    return _rows_to_candidates(found.values(), {})


def waiting_candidates(
    location_id: int,
    service_day: dt.date,
    *,
    view: routing.DeskView | None = None,
    with_products: bool = False,
) -> list[routing.Candidate]:
    """Waiting tickets of a location's service day as routing candidates, in one query (two
    with products). With ``view``, only those the desk might serve: its queues, or handed
    over to it or its staff member — the routing function still decides."""
    tickets = Ticket.objects.filter(
        location_id=location_id, service_day=service_day, status=Status.WAITING
    )
    if view is not None:
        mine = Q(queue_id__in=view.queue_ids) | Q(assigned_desk_id=view.desk_id)
        if view.user_id is not None:
            mine |= Q(assigned_user_id=view.user_id)
        tickets = tickets.filter(mine)
    rows = list(tickets.values_list(*CANDIDATE_FIELDS))
    products: dict[int, set[int]] = {}
    if with_products and rows:
        through = Ticket.products.through.objects.filter(ticket_id__in=[r[0] for r in rows])
        for ticket_id, product_id in through.values_list("ticket_id", "product_id"):
            products.setdefault(ticket_id, set()).add(product_id)
    return _rows_to_candidates(rows, products)


def call_next(*, desk: Desk, actor: Any) -> Ticket | None:
    """Call the next visitor to ``desk``; None when nobody is waiting for it.

    A desk serves one visitor at a time, and the database holds it to that (a unique index on
    the desk's called or served ticket): of a double-clicked "call next", one click calls a
    visitor and the other is told to finish that visitor first.
    """
    session = _require_desk(actor, desk)
    if session.state != DeskSession.State.OPEN:
        raise DomainError(_("The desk is paused. Resume it first."), code="desk_paused")
    try:
        ticket = _call_next(desk, actor)
    except IntegrityError:
        busy = current_ticket(desk)
        if busy is None:  # not the one-visitor-per-desk index
            raise
    else:
        if ticket is not None:
            return ticket
        busy = current_ticket(desk)
    if busy is not None:
        raise Conflict(_("Finish ticket %(code)s first.") % {"code": busy.code}, code="desk_busy")
    return None


def _call_next(desk: Desk, actor: Any) -> Ticket | None:
    queues = served_queues(desk)
    view = desk_view(desk, actor.pk, queues)
    now = clock.now()
    today = clock.today()
    if view.product_ids is None:
        # Usually the first claim succeeds: rank only the head of the queue.
        head = routing.rank(
            view, head_candidates(desk.location_id, today, view, now, CLAIM_BATCH), now, POLICY
        )
        ticket = _claim(desk, actor, [c.id for c in head[:CLAIM_BATCH]], now, queues)
        if ticket is not None or not head:
            return ticket
    candidates = waiting_candidates(
        desk.location_id, today, view=view, with_products=view.product_ids is not None
    )
    ranked = routing.rank(view, candidates, now, POLICY)
    return _claim(desk, actor, [c.id for c in ranked], now, queues)


# PostgreSQL: lock the best still-waiting ticket of a batch (in rank order), skipping those
# another desk is claiming right now, and call it: one statement. Desks calling at the same
# instant each get a different ticket of the same head of the queue; none waits for another.
CLAIM_UPDATE = """
UPDATE "queue_ticket"
   SET "status" = 'called', "desk_id" = %(desk)s, "served_by_id" = %(user)s,
       "called_at" = %(now)s, "assigned_user_id" = NULL, "assigned_desk_id" = NULL
 WHERE "status" = 'waiting' AND "id" = (
       SELECT "id" FROM "queue_ticket"
        WHERE "id" = ANY(%(batch)s::bigint[]) AND "status" = 'waiting'
        ORDER BY array_position(%(batch)s::bigint[], "id")
        LIMIT 1 FOR UPDATE SKIP LOCKED)
   AND NOT EXISTS (
       SELECT 1 FROM "queue_ticket"
        WHERE "desk_id" = %(desk)s AND "status" IN ('called', 'serving'))
RETURNING {columns}
"""
# The model's columns by name, not "*": the statement is prepared, and a prepared statement
# whose result changes shape (a column added by a migration while this process runs) fails.
# The desk's open ticket is checked in the statement too (the unique index is the last line):
# a busy desk claims nothing, and never waits on another transaction's index entry while it
# holds the audit chain's lock (_claim_and_record).
CLAIM_SQL = CLAIM_UPDATE.format(
    columns=", ".join(f'"{field.column}"' for field in Ticket._meta.concrete_fields)
)
CLAIMED = Columns(Ticket, "claimed")
CLAIM_CHANGE = "claimed AS ({update})".format(
    update=CLAIM_UPDATE.format(columns=", ".join(f'"{f.column}"' for f in CLAIMED.fields))
)
CLAIM_SUBJECT = """claimed
  JOIN "queue_queue" q ON q."id" = claimed."queue_id"
  JOIN "organisation_department" d ON d."id" = q."department_id"
"""
CLAIM_FILLED = {
    "object_id": 'claimed."id"::text',
    "organisation_id": 'd."organisation_id"',
    "department_id": 'q."department_id"',
    "details.code": 'claimed."code"',
}


def _claim(
    desk: Desk, actor: Any, ranked: list[int], now: dt.datetime, queues: Mapping[int, Queue]
) -> Ticket | None:
    """Claim the first of ``ranked`` that no other desk holds; None when all are gone.
    ``queues``: the desk's queues by id (a handed-over ticket may be of another queue)."""
    for start in range(0, len(ranked), CLAIM_BATCH):
        batch = ranked[start : start + CLAIM_BATCH]
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            ticket = _claim_and_record(desk, actor, batch, now)
        else:
            with transaction.atomic():
                ticket = _claim_in_transaction(desk, actor, batch, now, queues)
        if ticket is None:
            continue  # all taken by other desks: try the next ones
        ticket.desk = desk
        if not Ticket.queue.is_cached(ticket):
            ticket.queue = _queue_of(ticket, queues)
        _live(ticket, "called")
        return ticket
    return None


def _queue_of(ticket: Ticket, queues: Mapping[int, Queue]) -> Queue:
    return queues.get(ticket.queue_id) or Queue.objects.select_related("department").get(
        pk=ticket.queue_id
    )


def _claim_and_record(desk: Desk, actor: Any, batch: list[int], now: dt.datetime) -> Ticket | None:
    """PostgreSQL, outside a transaction: the claim and its audit event in one round trip."""
    params = {"desk": desk.pk, "user": actor.pk, "now": now, "batch": batch}
    row = change_with_event(
        CLAIM_CHANGE,
        params,
        subject=CLAIM_SUBJECT,
        filled=CLAIM_FILLED,
        returning=CLAIMED.sql,
        action=Action.TRANSITION,
        actor=actor,
        object_type="queue.ticket",
        details={"transition": "call", "status": Status.CALLED, "desk": desk.pk},
    )
    return None if row is None else CLAIMED.required(row, 0, connection)


def _claim_in_transaction(
    desk: Desk, actor: Any, batch: list[int], now: dt.datetime, queues: Mapping[int, Queue]
) -> Ticket | None:
    if connection.vendor == "postgresql":
        params = {"desk": desk.pk, "user": actor.pk, "now": now, "batch": batch}
        ticket = next(iter(Ticket.objects.raw(CLAIM_SQL, params)), None)
    else:
        # The write lock of the IMMEDIATE transaction serialises desks.
        ticket = _claim_first_waiting(desk, actor, batch, now)
    if ticket is not None:
        ticket.queue = _queue_of(ticket, queues)
        _event(ticket, "call", actor, desk=desk.pk)
    return ticket


def _claim_first_waiting(
    desk: Desk, actor: Any, batch: list[int], now: dt.datetime
) -> Ticket | None:
    changes = {
        "status": Status.CALLED,
        "desk": desk,
        "served_by": actor,
        "called_at": now,
        "assigned_user": None,
        "assigned_desk": None,
    }
    for pk in batch:
        if Ticket.objects.filter(pk=pk, status=Status.WAITING).update(**changes):
            return Ticket.objects.get(pk=pk)
    return None


def recall(*, ticket: Ticket, desk: Desk, actor: Any) -> Ticket:
    _require_desk(actor, desk)
    _require_own(ticket, desk)
    return _transition(
        ticket,
        "recall",
        actor,
        live="recalled",
        details={"desk": desk.pk},
        recalled_at=clock.now(),
        recalls=F("recalls") + 1,
    )


def start(*, ticket: Ticket, desk: Desk, actor: Any) -> Ticket:
    _require_desk(actor, desk)
    _require_own(ticket, desk)
    return _transition(
        ticket, "start", actor, live="started", details={"desk": desk.pk}, started_at=clock.now()
    )


def _clean_delivered(ticket: Ticket, delivered: Mapping[int, int]) -> list[tuple[Product, int]]:
    wanted = {int(k): int(v) for k, v in delivered.items() if int(v) != 0}
    if not wanted:
        return []
    if any(q < 0 or q > MAX_QUANTITY for q in wanted.values()):
        raise DomainError(
            _("The quantities are not valid."),
            fields={
                "products": [_("A quantity is between 0 and %(max)s.") % {"max": MAX_QUANTITY}]
            },
        )
    products = {p.pk: p for p in Product.objects.filter(pk__in=wanted)}
    if len(products) != len(wanted):
        raise DomainError(
            _("The products are not valid."), fields={"products": [_("Unknown product.")]}
        )
    return [(products[pk], qty) for pk, qty in wanted.items()]


def finish(
    *, ticket: Ticket, desk: Desk, actor: Any, delivered: Mapping[int, int] | None = None
) -> Ticket:
    """Close the service and record what was delivered (product -> quantity)."""
    _require_desk(actor, desk)
    _require_own(ticket, desk)
    items = _clean_delivered(ticket, delivered or {})
    now = clock.now()
    return _transition(
        ticket,
        "finish",
        actor,
        live="finished",
        details={"delivered": {p.slug: q for p, q in items}},
        delivered=items,
        finished_at=now,
        started_at=ticket.started_at or now,
    )


def no_show(*, ticket: Ticket, desk: Desk, actor: Any) -> Ticket:
    _require_desk(actor, desk)
    _require_own(ticket, desk)
    return _transition(
        ticket, "no_show", actor, live="no_show", details={}, finished_at=clock.now()
    )


def transfer(
    *,
    ticket: Ticket,
    actor: Any,
    queue: Queue | None = None,
    to_desk: Desk | None = None,
    to_user: Any = None,
    note: str = "",
    from_desk: Desk | None = None,
) -> Ticket:
    """Hand the visitor over to a queue, a desk or a named staff member, keeping the number.

    A note goes only to the receiving department. Refused when the receiving desk is closed.
    """
    if from_desk is not None:
        _require_desk(actor, from_desk)
        _require_own(ticket, from_desk)
    else:
        access.require(
            actor,
            "queue.issue",
            object_type="queue.ticket",
            object_id=str(ticket.pk),
        )
    target_queue = queue or ticket.queue
    errors: dict[str, list[str]] = {}
    if queue is None and to_desk is None and to_user is None:
        errors["queue"] = [_("Choose a queue, a desk or a staff member.")]
    if target_queue.location_id != ticket.location_id or not target_queue.active:
        errors["queue"] = [_("This queue does not exist at this location.")]
    if to_desk is not None:
        open_session = DeskSession.objects.filter(
            desk=to_desk, state=DeskSession.State.OPEN
        ).exists()
        if to_desk.location_id != ticket.location_id:
            errors["desk"] = [_("This desk is at another location.")]
        elif not open_session:
            errors["desk"] = [_("This desk is closed now.")]
        elif queue is None:
            served = list(to_desk.queues.filter(active=True))
            target_queue = served[0] if served else target_queue
    if to_user is not None:
        member_of = set(access.memberships(to_user))
        if not any(m.department_id == target_queue.department_id for m in member_of):
            errors["user"] = [_("This staff member does not work in the receiving department.")]
    note = note.strip()
    if len(note) > 500:
        errors["note"] = [_("Keep the note under 500 characters.")]
    if errors:
        raise DomainError(_("The hand-off is not possible."), fields=errors)
    now = clock.now()
    with transaction.atomic():
        ticket = _apply(
            ticket,
            "transfer",
            queue=target_queue,
            assigned_user=to_user,
            assigned_desk=to_desk,
            waiting_since=now,
            desk=None,
            called_at=None,
            started_at=None,
            transfers=F("transfers") + 1,
        )
        if note:
            HandoffNote.objects.create(
                ticket=ticket,
                department=target_queue.department,
                author=actor,
                text=note,
                created_at=now,
            )
        _event(
            ticket,
            "transfer",
            actor,
            queue=target_queue.pk,
            desk=to_desk.pk if to_desk else None,
            user=to_user.pk if to_user else None,
            with_note=bool(note),
        )
        _live(ticket, "transferred")
    return ticket


def set_priority(*, ticket: Ticket, actor: Any, priority: bool) -> Ticket:
    access.require(
        actor,
        "queue.issue",
        object_type="queue.ticket",
        object_id=str(ticket.pk),
    )
    with transaction.atomic():
        updated = Ticket.objects.filter(pk=ticket.pk, status=Status.WAITING).update(
            priority=priority
        )
        if updated != 1:
            raise Conflict(_("Only a waiting ticket can get priority."), code="invalid_state")
        ticket.refresh_from_db()
        _event(ticket, "priority", actor, priority=priority)
        _live(ticket, "updated")
    return ticket


def cancel(*, ticket: Ticket, actor: Any, reason: str) -> Ticket:
    with transaction.atomic():
        ticket = _apply(ticket, "cancel", finished_at=clock.now(), close_reason=reason[:200])
        _event(ticket, "cancel", actor, reason=reason[:200])
        _live(ticket, "cancelled")
    return ticket


# --- desks ---------------------------------------------------------------------------------


def open_desk(*, desk: Desk, actor: Any) -> DeskSession:
    """Sign in at a desk. Refused when someone else works there."""
    _require_serve(actor, desk)
    with transaction.atomic():
        session, _created = DeskSession.objects.select_for_update().get_or_create(
            desk=desk, defaults={"since": clock.now(), "user": actor}
        )
        if session.state != DeskSession.State.CLOSED and session.user_id not in (None, actor.pk):
            raise Conflict(_("Another staff member works at this desk."), code="desk_taken")
        # One desk per person: close any other desk this user had open.
        DeskSession.objects.filter(user=actor).exclude(desk=desk).update(
            state=DeskSession.State.CLOSED, since=clock.now()
        )
        session.user = actor
        session.state = DeskSession.State.OPEN
        session.since = clock.now()
        session.save()
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="organisation.desk",
            object_id=desk.pk,
            details={"state": "open"},
        )
    broker.publish(desk.location_id, {"type": "desk", "desk": desk.name, "state": "open"})
    return session


def set_desk_state(*, desk: Desk, actor: Any, state: str) -> DeskSession:
    """Pause, resume or close one's own desk. Closing needs the current ticket finished."""
    session = _require_desk(actor, desk)
    if state == DeskSession.State.CLOSED and current_ticket(desk) is not None:
        raise Conflict(_("Finish the current ticket first."), code="desk_busy")
    with transaction.atomic():
        DeskSession.objects.filter(pk=session.pk).update(state=state, since=clock.now())
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="organisation.desk",
            object_id=desk.pk,
            details={"state": state},
        )
    session.refresh_from_db()
    broker.publish(desk.location_id, {"type": "desk", "desk": desk.name, "state": state})
    return session


# --- end of day ----------------------------------------------------------------------------


CLOSING_GRACE = dt.timedelta(minutes=30)


def close_day(
    *,
    before: dt.date | None = None,
    at_closing: bool = False,
    location: Location | None = None,
) -> int:
    """Close tickets still open from earlier service days (and, with ``at_closing``, today's):
    waiting ones are cancelled, called ones are no-shows, ones in service are finished."""
    day = before or clock.today()
    condition = Q(service_day__lt=day) | (Q(service_day=day) if at_closing else Q(pk__in=[]))
    if location is not None:
        condition &= Q(location=location)
    now = clock.now()
    closed = 0
    for ticket in Ticket.objects.select_related("queue__department").filter(
        condition, status__in=OPEN_STATUSES
    ):
        action = {
            Status.WAITING: "cancel",
            Status.CALLED: "no_show",
            Status.SERVING: "finish",
        }[Status(ticket.status)]
        try:
            with transaction.atomic():
                ticket = _apply(
                    ticket, action, finished_at=now, close_reason=_("closed at end of day")
                )
                _event(ticket, action, None, reason="end of day")
                closed += 1
        except (Conflict, IntegrityError):
            continue  # a desk closed it at the same moment
    return closed


def closing_time(location: Location, day: dt.date) -> dt.datetime | None:
    """The end of the location's last opening (any channel) on ``day``; None when closed."""
    data = hours_data(location, day, day)
    ends = [
        interval.end
        for channel in hours_compute.CHANNELS
        if channel != hours_compute.PHONE
        for interval in hours_compute.channel_day(data, day, channel, None).intervals
    ]
    return max(ends) if ends else None


def housekeeping() -> int:
    """The worker's periodic job: close what earlier days left open, and today's tickets of
    each location once it has been closed for ``CLOSING_GRACE``."""
    closed = close_day()
    now = clock.now()
    today = clock.today()
    open_today = Location.objects.filter(
        tickets__service_day=today, tickets__status__in=OPEN_STATUSES
    ).distinct()
    for location in open_today:
        closes = closing_time(location, today)
        if closes is not None and now >= closes + CLOSING_GRACE:
            closed += close_day(at_closing=True, location=location)
    return closed


def get_ticket(pk: Any) -> Ticket:
    try:
        return Ticket.objects.select_related("queue", "queue__department", "desk").get(pk=int(pk))
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This ticket does not exist.")) from None
