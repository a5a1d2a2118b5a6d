"""PostgreSQL: a GIN index of the words of the articles' index, in place of the trigram indexes of
0004.

The index is on ``faq_article_words(search_title, search_body)``, the words of both columns as an
array (see ``faq.search.IndexWords``, which must stay the same expression), so it holds the words the
columns hold whoever writes them: nothing to fill or keep in step. The search finds an article with
``@>`` on it rather than ``LIKE '% word %'`` through trigrams, which for an everyday word meant
comparing thousands of long texts. Nothing reads the trigram indexes after this.

The function is PL/pgSQL, which PostgreSQL never inlines, so that its COST stands: splitting an
article's text is far dearer than the one operator the planner assumes of ``string_to_array``, and
at that price it read the whole table (splitting every article) to find a word that half the
articles hold, 300 ms, rather than the index (a few ms).
SQLite: nothing; the search reads the columns.
"""

import importlib

from django.db import migrations

CREATE = [
    """CREATE OR REPLACE FUNCTION faq_article_words(title text, body text) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000
    AS $$ BEGIN RETURN string_to_array(title || body, ' '); END $$""",
    "CREATE INDEX IF NOT EXISTS faq_article_search_words ON faq_article "
    "USING gin (faq_article_words(search_title, search_body))",
]
DROP = [
    "DROP INDEX IF EXISTS faq_article_search_words",
    "DROP FUNCTION IF EXISTS faq_article_words(text, text)",
]


def _columns():
    return importlib.import_module("faq.migrations.0004_article_search_columns")


def create_words_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)
        _columns().drop_search_indexes(apps, schema_editor)


def drop_words_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _columns().create_search_indexes(apps, schema_editor)
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("faq", "0006_build_search_index"),
    ]

    operations = [
        migrations.RunPython(create_words_index, drop_words_index, elidable=False),
    ]
