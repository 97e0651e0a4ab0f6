"""Indexes for searches with many hits (see selectors.search_items): the newest first by
(registered_at, id), which replaces the index on registered_at alone, and the register number
on its own for a search by number."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("mail", "0005_destruction_per_organisation")]

    operations = [
        migrations.AddIndex(
            model_name="mailitem",
            index=models.Index(fields=["registered_at", "id"], name="mail_item_recent"),
        ),
        migrations.AddIndex(
            model_name="mailitem",
            index=models.Index(fields=["register_number"], name="mail_item_number"),
        ),
        migrations.RemoveIndex(model_name="mailitem", name="mail_item_registered"),
    ]
