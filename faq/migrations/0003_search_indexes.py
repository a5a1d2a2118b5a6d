"""Trigram indexes for the help-centre search, which Meta.indexes cannot express.

PostgreSQL: pg_trgm and GIN ``UPPER(col) gin_trgm_ops`` indexes, the form Django's ``icontains``
(``UPPER(col) LIKE UPPER(%s)``) can use. They find Japanese only in a database whose ctype is
UTF-8 (C.UTF-8 is fine; ctype C silently matches nothing).
SQLite: an FTS5 table with the ``trigram`` tokenizer over title, summary and body, with its
content in ``faq_article`` and kept in step by triggers.
Other databases: nothing; the search falls back to plain ``icontains``.
"""

from django.db import migrations

PG_COLUMNS = ["title", "summary", "body"]

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS faq_article_fts USING fts5(
        title, summary, body, content='faq_article', content_rowid='id', tokenize='trigram'
    )""",
    """CREATE TRIGGER IF NOT EXISTS faq_article_fts_insert AFTER INSERT ON faq_article BEGIN
        INSERT INTO faq_article_fts(rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS faq_article_fts_delete AFTER DELETE ON faq_article BEGIN
        INSERT INTO faq_article_fts(faq_article_fts, rowid, title, summary, body)
        VALUES ('delete', old.id, old.title, old.summary, old.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS faq_article_fts_update AFTER UPDATE OF title, summary, body ON faq_article BEGIN
        INSERT INTO faq_article_fts(faq_article_fts, rowid, title, summary, body)
        VALUES ('delete', old.id, old.title, old.summary, old.body);
        INSERT INTO faq_article_fts(rowid, title, summary, body) VALUES (new.id, new.title, new.summary, new.body);
    END""",
    "INSERT INTO faq_article_fts(faq_article_fts) VALUES ('rebuild')",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS faq_article_fts_insert",
    "DROP TRIGGER IF EXISTS faq_article_fts_delete",
    "DROP TRIGGER IF EXISTS faq_article_fts_update",
    "DROP TABLE IF EXISTS faq_article_fts",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in PG_COLUMNS:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS faq_article_{column}_upper_trgm "
                f"ON faq_article USING gin (UPPER({column}) gin_trgm_ops)"
            )
    elif vendor == "sqlite":
        for sql in SQLITE_CREATE:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for column in PG_COLUMNS:
            schema_editor.execute(f"DROP INDEX IF EXISTS faq_article_{column}_upper_trgm")
    elif vendor == "sqlite":
        for sql in SQLITE_DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("faq", "0002_search_log"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
