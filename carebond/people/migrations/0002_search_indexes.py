"""Trigram indexes for one-typo name search: pg_trgm GIN on PostgreSQL, FTS5 on SQLite.

PostgreSQL also gets a pattern-ops index so that prefix LIKE/range scans on search terms use an
index whatever the database's collation.
"""

from django.db import migrations

POSTGRES_CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS name_term_trgm ON people_nameterm USING gin (term gin_trgm_ops);
CREATE INDEX IF NOT EXISTS search_term_pattern
    ON people_searchterm (organization_id, term varchar_pattern_ops);
"""
POSTGRES_DROP = """
DROP INDEX IF EXISTS search_term_pattern;
DROP INDEX IF EXISTS name_term_trgm;
"""
SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS people_nameterm_fts "
    "USING fts5(term, organization_id UNINDEXED, tokenize='trigram')"
)
SQLITE_DROP = "DROP TABLE IF EXISTS people_nameterm_fts"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE, params=None)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
