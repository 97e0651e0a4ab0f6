"""The keyed hash of an appointment's contact (``contact.contact_key``), by which the no-show
rule counts; filled in for the appointments that still have their contact."""

from django.conf import settings
from django.db import migrations, models


def fill(apps, schema_editor):
    from onthaal.appointments.contact import contact_key

    appointment = apps.get_model("appointments", "Appointment")
    rows = appointment.objects.filter(anonymised_at__isnull=True).exclude(email="", phone="")
    for pk, email, phone in rows.values_list("pk", "email", "phone").iterator():
        appointment.objects.filter(pk=pk).update(contact_key=contact_key(email, phone))


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0006_hold_client'),
        ('organisation', '0002_desk_schedule_and_absences'),
        ('queue', '0006_kept_live_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='appointment',
            name='contact_key',
            field=models.CharField(blank=True, default='', editable=False, max_length=64),
        ),
        migrations.AddIndex(
            model_name='appointment',
            index=models.Index(condition=models.Q(('status', 'no_show')), fields=['department', 'contact_key', 'start'], name='appt_no_show_key_idx'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
