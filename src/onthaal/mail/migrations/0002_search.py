"""Full-text search of the mail register (see onthaal.mail.search): on PostgreSQL a tsvector
column with a GIN index and the text search configuration onthaal_dutch (unaccent, then Dutch
stemming); on SQLite an FTS5 table. Not model fields: the model is the same on both."""

from django.db import migrations

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    DO $$ BEGIN
        CREATE TEXT SEARCH CONFIGURATION onthaal_dutch (COPY = pg_catalog.dutch);
        ALTER TEXT SEARCH CONFIGURATION onthaal_dutch
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, dutch_stem;
    EXCEPTION WHEN duplicate_object THEN NULL;
    END $$
    """,
    "ALTER TABLE mail_mailitem ADD COLUMN search_vector tsvector",
    "CREATE INDEX mail_item_search ON mail_mailitem USING gin (search_vector)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS mail_item_search",
    "ALTER TABLE mail_mailitem DROP COLUMN IF EXISTS search_vector",
]
SQLITE = [
    "CREATE VIRTUAL TABLE mail_search USING fts5(heading, body,"
    " tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS mail_search"]


def forwards(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    statements = (
        POSTGRESQL_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("mail", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
