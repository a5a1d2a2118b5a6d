"""The account lists read a page from an index and stop, whatever the number of accounts.

``account_name``, ``account_csm_name``, ``account_segment_name``, ``account_status_name``: the lists'
order (name, then id) whole, and under each filter the page and the API offer (a CS manager's own
accounts, a segment, a status), so the first page is the first rows of an index, not a sort of every
account the filter matches.

``portal_account_name_trgm``, ``portal_account_slug_trgm`` (PostgreSQL): the text search, Django's
``icontains`` (``UPPER(col) LIKE UPPER(%s)``) on the name or the slug, found in trigram indexes
instead of comparing every account. SQLite compares, as it did.

``portal_planned_rows(query)`` (PostgreSQL): the planner's estimate of the rows a query returns
(``EXPLAIN``, not run), for ``portal.paging`` to say "about N" in the same statement that counts a
page, where an exact total would scan every row of the filter.
"""

from django.db import migrations, models

TEXT_INDEXES = {
    "portal_account_name_trgm": "CREATE INDEX IF NOT EXISTS portal_account_name_trgm ON portal_account "
    "USING gin (UPPER(name) gin_trgm_ops)",
    "portal_account_slug_trgm": "CREATE INDEX IF NOT EXISTS portal_account_slug_trgm ON portal_account "
    "USING gin (UPPER(slug) gin_trgm_ops)",
}


PLANNED_ROWS = """
CREATE OR REPLACE FUNCTION portal_planned_rows(query text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
END
$$
"""


def create_postgresql_parts(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for statement in TEXT_INDEXES.values():
            schema_editor.execute(statement)
        schema_editor.execute(PLANNED_ROWS)


def drop_postgresql_parts(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS portal_planned_rows(text)")
        for name in TEXT_INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0018_import_kinds'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['name', 'id'], name='account_name'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['csm', 'name', 'id'], name='account_csm_name'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['segment', 'name', 'id'], name='account_segment_name'),
        ),
        migrations.AddIndex(
            model_name='account',
            index=models.Index(fields=['status', 'name', 'id'], name='account_status_name'),
        ),
        migrations.RunPython(create_postgresql_parts, drop_postgresql_parts, elidable=False),
    ]
