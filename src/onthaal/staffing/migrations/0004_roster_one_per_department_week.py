import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organisation", "0002_desk_schedule_and_absences"),
        ("staffing", "0003_roster_split_per_department"),
    ]

    operations = [
        migrations.AlterField(
            model_name="roster",
            name="department",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rosters",
                to="organisation.department",
                verbose_name="department",
            ),
        ),
        migrations.AlterModelOptions(
            name="roster",
            options={
                "ordering": ["-week", "location", "department"],
                "verbose_name": "roster",
                "verbose_name_plural": "rosters",
            },
        ),
        migrations.AddConstraint(
            model_name="roster",
            constraint=models.UniqueConstraint(
                fields=("location", "week", "department"), name="roster_one_per_department_week"
            ),
        ),
    ]
