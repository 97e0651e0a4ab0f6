"""Newest first within a department (see selectors.search_items): a search with many hits by a
reader of one department reads that department's items in date order until a page is full."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("mail", "0006_search_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="mailitem",
            index=models.Index(
                fields=["department", "registered_at", "id"], name="mail_item_department_recent"
            ),
        ),
    ]
