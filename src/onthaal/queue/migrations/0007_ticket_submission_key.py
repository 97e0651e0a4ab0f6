"""The kiosk's submission key on a ticket: one ticket per submission (issue_ticket).

On SQLite adding the column rebuilds ``queue_ticket``, which drops the trigger by which an
appointment follows its ticket: it is dropped before and made again after (see
``onthaal.appointments.visit_trigger``)."""

from django.db import migrations, models

from onthaal.appointments import visit_trigger


class Migration(migrations.Migration):
    dependencies = [
        ("queue", "0006_kept_live_events"),
        ("appointments", "0009_visit_trigger_for_appointment_tickets_only"),
    ]

    operations = [
        migrations.RunPython(visit_trigger.drop, visit_trigger.create),
        migrations.AddField(
            model_name="ticket",
            name="submission_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(
                condition=models.Q(("submission_key", ""), _negated=True),
                fields=("location", "submission_key"),
                name="ticket_unique_submission",
            ),
        ),
        migrations.RunPython(visit_trigger.create, visit_trigger.drop),
    ]
