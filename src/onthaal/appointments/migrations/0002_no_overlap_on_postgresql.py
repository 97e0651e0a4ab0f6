"""On PostgreSQL, the database itself refuses two overlapping active appointments at one desk:
an exclusion constraint over (desk, [start, end)) for the active statuses. See ADR 0005."""

from django.db import migrations

ACTIVE = "('held', 'booked', 'checked_in', 'called', 'in_service')"

CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointments_appointment
    ADD CONSTRAINT appointment_no_overlap
    EXCLUDE USING gist (desk_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (status IN {ACTIVE});
"""

DROP = "ALTER TABLE appointments_appointment DROP CONSTRAINT IF EXISTS appointment_no_overlap;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
