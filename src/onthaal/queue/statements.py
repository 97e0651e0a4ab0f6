"""The hand-written SQL statements of customer guidance, in one place.

Each is on the path of a kiosk or desk request that a benchmark measured (ADR 0006, ADR 0007):
there the ORM's compilation, or a second round trip, costs more than the database's work.
Each says which plain ORM path it must equal, and which test holds the two equal. Table and
column names come from the models' metadata; every value is a parameter.

A ticket's change of status also changes the appointment checked in with it, in the same
statement, on every path: a trigger in the database does it (ADR 0012), so these statements
and their ORM paths need nothing for it; ``tests/concurrency/test_visit_lifecycle_pg.py``
holds the two paths equal there too.

A statement that returns model rows names its columns (``onthaal.core.sql.Columns``), never
``*``: statements are prepared, and a prepared statement whose result changes shape (a column
added by a migration while the app runs) fails.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from onthaal.core.sql import Columns
from onthaal.organisation.models import Department, Desk, Location
from onthaal.queue.models import DeliveredProduct, DeskSession, Queue, Ticket

# --- issuing -------------------------------------------------------------------------------

# The next number of a location's service day, in the caller's transaction (the row lock
# serialises issuers). Params: location id, service day.
# ORM path: TicketCounter.objects.filter(location=, service_day=).update(
#     last_number=F("last_number") + 1), then read last_number back.
# Held equal by: queue/tests/test_issue_in_one_round_trip.py::
#     test_the_ticket_its_products_and_its_event_are_written_as_in_a_transaction (the ticket
#     issued in a transaction is numbered by it; so is every ticket on SQLite).
NUMBER_SQL = (
    'UPDATE "queue_ticketcounter" SET "last_number" = "last_number" + 1 '
    'WHERE "location_id" = %s AND "service_day" = %s RETURNING "last_number"'
)

# PostgreSQL, outside a transaction: the day's number, the ticket and its products in one
# statement, after the chain lock and with the audit event (``change_with_event``): one round
# trip. The database numbers the ticket and writes its code as ``issue_ticket`` does in Python.
# ORM path: issue_ticket in a transaction (NUMBER_SQL, Ticket.save, ticket.products.set,
# record_event). Held equal by: queue/tests/test_issue_in_one_round_trip.py::
#     test_the_ticket_its_products_and_its_event_are_written_as_in_a_transaction.
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
# The ticket's columns the database computes; every other one is a parameter ticket_<column>.
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

# --- a desk's transitions ------------------------------------------------------------------

# PostgreSQL, outside a transaction: a desk's transition, what was delivered and the audit
# event in one statement after the chain lock (``change_with_event``): one round trip. The
# statement never waits for the ticket's row while it holds the chain lock: a transaction of
# the ORM path (a transfer, say) locks the row first and the chain lock after, and waiting for
# it would deadlock. A ticket another request is changing right now is refused instead.
# ``sets``: one assignment per changed column, sorted by name (one text per action: it is
# prepared). ORM path: transitions._apply (a conditional UPDATE ... WHERE status IN <from>),
# DeliveredProduct.objects.bulk_create, record_event, in one transaction. Held equal by:
# tests/concurrency/test_queue_pg.py::
#     test_creating_a_ticket_takes_3_round_trips_calling_next_4_and_finishing_5 (the event and
#     what was delivered) and test_a_finish_never_waits_for_a_ticket_another_request_is_changing.
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


def transition_changes(sets: list[str]) -> str:
    """TRANSITION_CHANGES with its assignments (``"column" = %(set_column)s``)."""
    return TRANSITION_CHANGES.format(
        sets=", ".join(sets),
        columns=", ".join(f'"{f.column}"' for f in CHANGED.fields),
        delivered_table=DeliveredProduct._meta.db_table,
    )


# --- a desk and what it serves -------------------------------------------------------------

# A desk with its location, its session, the active queues it serves and the departments it
# serves, in one statement: every desk request starts with it (ADR 0006). The queues and
# departments come as rows of the desk: a queue (with its department) or, with the queue's
# columns empty, a department of the desk. Param: the desk's id.
# ORM path: Desk.objects.select_related("location", "session"), desk.queues.filter(
# active=True).select_related("department"), desk.departments.all().
# Held equal by: queue/tests/test_hand_written_reads.py::
#     test_a_desk_comes_with_its_place_session_queues_and_departments.
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


@cache
def desk_statement() -> tuple[list[Columns[Any]], str]:
    """DESK_SQL and the columns of its rows: desk, location, session, queue, department."""
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


# A queue with its department and location: the kiosk and reception issue every ticket
# through it. Param: the queue's id.
# ORM path: Queue.objects.select_related("department", "location").get(pk=).
# Held equal by: queue/tests/test_hand_written_reads.py::
#     test_a_queue_with_its_place_is_the_queue_the_orm_reads.
QUEUE_SQL = """
SELECT {queue}, {department}, {location}
  FROM "{queue_table}" q
  JOIN "{department_table}" d ON d."id" = q."department_id"
  JOIN "{location_table}" l ON l."id" = q."location_id"
 WHERE q."id" = %s
"""


@cache
def queue_statement() -> tuple[list[Columns[Any]], str]:
    """QUEUE_SQL and the columns of its row: queue, department, location."""
    queue, department, location = (
        Columns(Queue, "q"),
        Columns(Department, "d"),
        Columns(Location, "l"),
    )
    sql = QUEUE_SQL.format(
        queue=queue.sql,
        department=department.sql,
        location=location.sql,
        queue_table=Queue._meta.db_table,
        department_table=Department._meta.db_table,
        location_table=Location._meta.db_table,
    )
    return [queue, department, location], sql


# --- calling the next visitor --------------------------------------------------------------

# PostgreSQL: the head of a desk's queues in one statement (the ORM's compilation of the same
# UNION costs more than the database's work). Each part is an index range over the partial
# indexes of migration 0003, which hold only the waiting tickets.
# ORM path: calling.head_candidates_orm (four querysets; SQLite cannot limit the parts of a
# UNION). Held equal by: queue/tests/test_statements.py::
#     test_the_head_of_the_queue_is_what_the_four_querysets_give.
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

# PostgreSQL: lock the best still-waiting ticket of a batch (in rank order), skipping those
# another desk is claiming right now, and call it: one statement. Desks calling at the same
# instant each get a different ticket of the same head of the queue; none waits for another.
# The desk's open ticket is checked in the statement too (the unique index is the last line):
# a busy desk claims nothing, and never waits on another transaction's index entry while it
# holds the audit chain's lock (calling._claim_and_record).
# ORM path: calling._claim_first_waiting (a conditional UPDATE per ticket of the batch, in
# rank order) and record_event. Held equal by: tests/concurrency/test_queue_pg.py::
#     test_a_claim_and_its_event_go_in_one_message_with_the_usual_content,
#     test_16_desks_calling_at_once_call_every_ticket_exactly_once and
#     test_a_busy_desk_claims_nothing_and_records_nothing.
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
# In a transaction (the caller's): the claim alone, read back as a Ticket (Ticket.objects.raw).
CLAIM_SQL = CLAIM_UPDATE.format(
    columns=", ".join(f'"{field.column}"' for field in Ticket._meta.concrete_fields)
)
# Outside a transaction: the claim with its audit event (change_with_event).
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
