"""Trigram indexes that let substring search (icontains) use an index on PostgreSQL.

Django compiles ``company_name__icontains=q`` to ``UPPER(company_name::text) LIKE
UPPER('%q%')``; a GIN index over ``UPPER(col) gin_trgm_ops`` serves exactly that
expression. SQLite has neither GIN nor pg_trgm, so this migration does nothing there.
"""

from django.db import migrations

SEARCH_COLUMNS = ["company_name", "name", "email", "city"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCH_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS prospect_{column}_trgm ON prospects_prospect "
            f"USING gin (UPPER({column}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS prospect_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("prospects", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
