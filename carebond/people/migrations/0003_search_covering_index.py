"""Search indexes, second edition (measured at 1 M people, docs/benchmarks.md).

- Prefix scans read person_id from the index itself (a covering index): no table lookups.
- One-typo matching now looks generated candidates up in the vocabulary's unique index, so the
  trigram indexes of 0002 (pg_trgm GIN, SQLite FTS5) are no longer used and go.
"""

from django.db import migrations

POSTGRES_FORWARD = """
DROP INDEX IF EXISTS name_term_trgm;
DROP INDEX IF EXISTS search_term_pattern;
CREATE INDEX IF NOT EXISTS search_term_pattern
    ON people_searchterm (organization_id, term varchar_pattern_ops) INCLUDE (person_id);
"""
POSTGRES_BACKWARD = """
DROP INDEX IF EXISTS search_term_pattern;
CREATE INDEX IF NOT EXISTS search_term_pattern
    ON people_searchterm (organization_id, term varchar_pattern_ops);
CREATE INDEX IF NOT EXISTS name_term_trgm ON people_nameterm USING gin (term gin_trgm_ops);
"""
SQLITE_FORWARD = [
    "DROP TABLE IF EXISTS people_nameterm_fts",
    "CREATE INDEX IF NOT EXISTS search_term_covering "
    "ON people_searchterm (organization_id, term, person_id)",
]
SQLITE_BACKWARD = [
    "DROP INDEX IF EXISTS search_term_covering",
    "CREATE VIRTUAL TABLE IF NOT EXISTS people_nameterm_fts "
    "USING fts5(term, organization_id UNINDEXED, tokenize='trigram')",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("people", "0002_search_indexes")]
    operations = [migrations.RunPython(forward, backward)]
