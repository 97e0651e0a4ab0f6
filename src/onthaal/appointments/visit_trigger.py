"""The trigger by which an appointment follows its ticket (ADR 0012), as SQL for PostgreSQL and
SQLite, with the functions a migration runs to create or drop it.

From check-in on, whatever changes a ticket's status — the desk's one-round-trip statements
on PostgreSQL (``queue.statements``), the ORM path, the end of the day, the admin — the
appointment checked in with it changes in the same statement, so in the same transaction.
Ticket status -> appointment status as ``models.FOLLOWS_TICKET`` says (a test holds the two
equal); the ticket's end is a cancelled appointment's ``cancelled_at``. Only an appointment
still at its visit (checked in, called, in service) follows. The trigger fires only for a
ticket issued at a check-in (``source = 'appointment'``): a walk-in's change costs nothing.

On SQLite, a migration that rebuilds ``queue_ticket`` or ``appointments_appointment`` (most
``AlterField``/``AddField`` do) must run ``drop`` before and ``create`` after: rebuilding the
ticket table drops the trigger, rebuilding the appointment table fails on it. The tests,
which run every migration, fail when the trigger is missing.
"""

from __future__ import annotations

from typing import Any

CASE = """CASE NEW."status"
        WHEN 'waiting' THEN 'checked_in'
        WHEN 'called' THEN 'called'
        WHEN 'serving' THEN 'in_service'
        WHEN 'done' THEN 'done'
        WHEN 'no_show' THEN 'no_show'
        WHEN 'cancelled' THEN 'cancelled'
        ELSE "status" END"""
SETS = f"""
   SET "status" = {CASE},
       "cancelled_at" = CASE WHEN NEW."status" = 'cancelled'
                        THEN NEW."finished_at" ELSE "cancelled_at" END
 WHERE "ticket_id" = NEW."id" AND "status" IN ('checked_in', 'called', 'in_service')"""

POSTGRESQL = [
    f"""
CREATE FUNCTION appointment_follows_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE "appointments_appointment" {SETS};
    RETURN NULL;
END
$$""",
    """
CREATE TRIGGER appointment_follows_ticket
AFTER UPDATE OF "status" ON "queue_ticket"
FOR EACH ROW
WHEN (OLD."status" IS DISTINCT FROM NEW."status" AND NEW."source" = 'appointment')
EXECUTE FUNCTION appointment_follows_ticket()""",
]
POSTGRESQL_DROP = [
    'DROP TRIGGER IF EXISTS appointment_follows_ticket ON "queue_ticket"',
    "DROP FUNCTION IF EXISTS appointment_follows_ticket()",
]
SQLITE = [
    f"""
CREATE TRIGGER appointment_follows_ticket
AFTER UPDATE OF "status" ON "queue_ticket"
FOR EACH ROW
WHEN OLD."status" IS NOT NEW."status" AND NEW."source" = 'appointment'
BEGIN
    UPDATE "appointments_appointment" {SETS};
END""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS appointment_follows_ticket"]

# The appointments an older version left at their visit while their ticket moved on.
CATCH_UP = """
UPDATE "appointments_appointment"
   SET "status" = (SELECT CASE t."status"
                          WHEN 'waiting' THEN 'checked_in'
                          WHEN 'serving' THEN 'in_service'
                          ELSE t."status" END
                     FROM "queue_ticket" t WHERE t."id" = "ticket_id"),
       "cancelled_at" = CASE WHEN (SELECT t."status" FROM "queue_ticket" t
                                    WHERE t."id" = "ticket_id") = 'cancelled'
                        THEN (SELECT t."finished_at" FROM "queue_ticket" t
                               WHERE t."id" = "ticket_id")
                        ELSE "cancelled_at" END
 WHERE "ticket_id" IS NOT NULL AND "status" IN ('checked_in', 'called', 'in_service')
"""


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in POSTGRESQL if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []:
        schema_editor.execute(sql, params=None)


def drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in POSTGRESQL_DROP if vendor == "postgresql" else SQLITE_DROP:
        schema_editor.execute(sql, params=None)


def catch_up(apps: Any, schema_editor: Any) -> None:
    """Bring the appointments an older version left at their visit in line with their tickets."""
    schema_editor.execute(CATCH_UP, params=None)
