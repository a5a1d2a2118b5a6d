"""Fill the search index of the articles that exist (later saves keep it): the same as
``manage.py rebuild_search_index``."""

from django.db import migrations

BATCH = 200


def build(apps, schema_editor):
    from faq.analysis import Synonyms, article_index

    alias = schema_editor.connection.alias
    articles = apps.get_model("faq", "Article").objects.using(alias)
    synonyms = Synonyms.from_lists(apps.get_model("faq", "Synonym").objects.using(alias).values_list("words", flat=True))
    batch = []
    for article in articles.only("pk", "title", "summary", "body").order_by("pk").iterator(chunk_size=BATCH):
        article.search_title, article.search_body = article_index(
            title=article.title, summary=article.summary, body=article.body, synonyms=synonyms
        )
        batch.append(article)
        if len(batch) == BATCH:
            articles.bulk_update(batch, ["search_title", "search_body"])
            batch = []
    articles.bulk_update(batch, ["search_title", "search_body"])


class Migration(migrations.Migration):

    dependencies = [
        ("faq", "0005_synonym"),
    ]

    operations = [
        migrations.RunPython(build, migrations.RunPython.noop, elidable=False),
    ]
