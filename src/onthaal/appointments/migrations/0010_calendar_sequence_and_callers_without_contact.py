"""The calendar SEQUENCE of an appointment (a move keeps the appointment and raises it), and a
booking by staff for a caller (phone, desk) may leave the contact empty.

SQLite changes a constraint by rebuilding the table, which the trigger of 0008 and 0009 on the ticket
table (it names this table) does not survive: it is dropped before and made again after."""

from django.conf import settings
from django.db import migrations, models

from onthaal.appointments import visit_trigger


def _on_sqlite(step):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            step(apps, schema_editor)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0009_visit_trigger_for_appointment_tickets_only'),
        ('organisation', '0002_desk_schedule_and_absences'),
        ('queue', '0006_kept_live_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_on_sqlite(visit_trigger.drop), _on_sqlite(visit_trigger.create)),
        migrations.RemoveConstraint(
            model_name='appointment',
            name='appt_contact_when_booked',
        ),
        migrations.AddField(
            model_name='appointment',
            name='sequence',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='calendar sequence'),
        ),
        migrations.AddConstraint(
            model_name='appointment',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'held'), ('anonymised_at__isnull', False), models.Q(models.Q(('name', ''), _negated=True), models.Q(models.Q(('email', ''), _negated=True), models.Q(('phone', ''), _negated=True), ('channel__in', ('phone', 'desk')), _connector='OR')), _connector='OR'), name='appt_contact_when_booked'),
        ),
        migrations.RunPython(_on_sqlite(visit_trigger.create), _on_sqlite(visit_trigger.drop)),
    ]
