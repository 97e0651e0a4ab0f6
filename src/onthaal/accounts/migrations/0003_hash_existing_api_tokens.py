"""Move the tokens of Django REST framework's token app (stored in clear) into ApiToken as
hashes, and remove them from its table, which the project no longer uses. A kiosk or
integration keeps working with the token it has."""

import datetime as dt
import hashlib

from django.db import migrations
from django.utils.dateparse import parse_datetime


def hash_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return  # a database that never had the old token app
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute('SELECT "key", "user_id", "created" FROM "authtoken_token"')
        rows = cursor.fetchall()
        for key, user_id, created in rows:
            if isinstance(created, str):  # SQLite
                created = parse_datetime(created)
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.UTC)
            ApiToken.objects.create(
                user_id=user_id,
                name=f"token {key[:8]}",
                key_hash=hashlib.sha256(key.encode()).hexdigest(),
                prefix=key[:8],
                created_at=created,
            )
        cursor.execute('DELETE FROM "authtoken_token"')


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_api_tokens_and_membership_requests")]

    operations = [migrations.RunPython(hash_tokens, migrations.RunPython.noop)]
