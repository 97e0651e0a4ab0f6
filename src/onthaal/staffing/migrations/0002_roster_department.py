"""Rosters per department (issue #15), step 1: the department column (filled by 0003, then
required by 0004)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organisation", "0002_desk_schedule_and_absences"),
        ("staffing", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="roster", name="roster_one_per_week"),
        migrations.AddField(
            model_name="roster",
            name="department",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rosters",
                to="organisation.department",
                verbose_name="department",
            ),
        ),
    ]
