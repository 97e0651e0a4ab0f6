"""From check-in on, an appointment follows its ticket: a trigger on the ticket's status (ADR
0012, ``onthaal.appointments.visit_trigger``); the appointments that older versions left at
their visit are brought in line with their tickets."""

from django.db import migrations

from onthaal.appointments import visit_trigger


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0007_contact_key"),
        ("queue", "0006_kept_live_events"),
    ]

    operations = [
        migrations.RunPython(visit_trigger.create, visit_trigger.drop),
        migrations.RunPython(visit_trigger.catch_up, migrations.RunPython.noop),
    ]
