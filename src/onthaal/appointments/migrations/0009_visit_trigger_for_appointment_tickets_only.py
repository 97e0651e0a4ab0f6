"""The trigger by which an appointment follows its ticket fires only for tickets issued at a
check-in (``source = 'appointment'``): a walk-in ticket's change no longer runs it."""

from django.db import migrations

from onthaal.appointments import visit_trigger


def recreate(apps, schema_editor):
    visit_trigger.drop(apps, schema_editor)
    visit_trigger.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0008_appointment_follows_its_ticket")]

    operations = [migrations.RunPython(recreate, migrations.RunPython.noop)]
