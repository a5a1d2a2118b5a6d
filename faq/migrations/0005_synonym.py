from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("faq", "0004_article_search_columns"),
    ]

    operations = [
        migrations.CreateModel(
            name="Synonym",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "words",
                    models.CharField(
                        help_text="Two or more words or phrases that mean the same, separated by commas: 退会, 解約, キャンセル",
                        max_length=500,
                        verbose_name="words",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
            ],
            options={
                "verbose_name": "synonyms",
                "verbose_name_plural": "synonyms",
                "ordering": ["words"],
            },
        ),
    ]
