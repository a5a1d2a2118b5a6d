"""The search index columns of articles (their words, see faq.analysis), in place of the trigram
indexes on the raw text.

PostgreSQL: GIN ``gin_trgm_ops`` indexes on ``search_title`` and ``search_body``, which serve the
search's ``LIKE '% word %'``; the ``UPPER(col)`` trigram indexes of 0003 go (nothing reads them now).
SQLite: the FTS5 table of 0003 and its triggers go; the search reads the columns.
Filled by 0006.
"""

import importlib

from django.db import migrations, models

SEARCH_COLUMNS = ["search_title", "search_body"]


def _initial():
    return importlib.import_module("faq.migrations.0003_search_indexes")


def drop_text_indexes(apps, schema_editor):
    _initial().drop(apps, schema_editor)


def create_text_indexes(apps, schema_editor):
    _initial().create(apps, schema_editor)


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in SEARCH_COLUMNS:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS faq_article_{column}_trgm ON faq_article USING gin ({column} gin_trgm_ops)"
            )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for column in SEARCH_COLUMNS:
            schema_editor.execute(f"DROP INDEX IF EXISTS faq_article_{column}_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("faq", "0003_search_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_text_indexes, create_text_indexes, elidable=False),
        migrations.AddField(
            model_name="article",
            name="search_title",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="search words of the title"),
        ),
        migrations.AddField(
            model_name="article",
            name="search_body",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="search words of the text"),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
