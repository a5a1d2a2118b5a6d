"""Help-centre search relevance: how often the article that answers a customer's question comes first.

    .venv/bin/python bench/search_relevance.py [--verbose]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_search .venv/bin/python bench/search_relevance.py

Runs on a throw-away test database, as the test suite does (``test_<name>`` beside the database
DATABASE_URL names on PostgreSQL, a temporary file on SQLite without DATABASE_URL), migrated and
destroyed afterwards; the database DATABASE_URL names itself is never written. Seeds the demo help
centre (``faq.demo.seed_help_centre``: its articles and synonyms), then searches as a CS manager
(who reads every published article) with ``faq.search.search_articles``, as the search page does,
and prints for each set of questions the hit rate at 1 (the expected article first) and at 3
(within the first three):

- the questions customers ask of the demo help centre (``tests/faq/customer_questions.py``);
- the relevance set of the test suite on its own e-mail marketing articles
  (``tests/faq/search_fixture.py``);
- the questions the demo has no article for, which should find nothing.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.scratch  # noqa: E402, F401 - takes this folder off the path (see there)


def setup_django() -> None:
    """Django as production runs it (DEBUG off), anything enqueued sent to a throw-away broker."""
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))  # a throw-away key for this process
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["CELERY_BROKER_URL"] = "filesystem://"
    os.environ["BROKER_FOLDER"] = tempfile.mkdtemp(prefix="kachi-bench-broker-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='kachi-bench-')}/relevance.sqlite3"

    import django

    django.setup()


def rank(found: list[str], expected: str) -> int | None:
    return found.index(expected) + 1 if expected in found else None


def measure(name: str, questions: list[tuple[str, str, str]], *, user: object, verbose: bool) -> None:
    from faq.search import search_articles

    at_1 = at_3 = 0
    misses: list[str] = []
    for query, language, expected in questions:
        found = list(search_articles(query, user=user, language=language).values_list("slug", flat=True)[:10])
        place = rank(found, expected)
        at_1 += place == 1
        at_3 += place is not None and place <= 3
        if place != 1:
            misses.append(f"    {query!r} ({language}): {expected} at {place or '-'}; first {found[:3]}")
    total = len(questions)
    print(f"{name:<44} {total:>9} {at_1 / total:>8.0%} {at_3 / total:>8.0%}   ({at_1} and {at_3} of {total})")
    if verbose and misses:
        print("\n".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every question whose article is not first")
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    from tests.faq.customer_questions import QUESTIONS, UNANSWERED
    from tests.faq.search_fixture import EN, ENGLISH_QUERIES, JA, JAPANESE_QUERIES, TRANSLATION_OF

    creation = connection.creation
    test_name = creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from django.utils import timezone

        from faq.demo import seed_help_centre
        from faq.models import Article, Category
        from faq.search import search_articles
        from portal.models import User

        csm = User.objects.create_user(email="relevance-bench@kachi.example", password=None, role=User.Role.CSM)
        seed_help_centre(by=None, step_playbooks={})
        print(f"{connection.vendor} ({test_name}): {Article.objects.count()} demo articles\n")
        print(f"{'questions':<44} {'questions':>9} {'hit@1':>8} {'hit@3':>8}")
        measure("customers' questions of the demo help centre", QUESTIONS, user=csm, verbose=args.verbose)

        # The test suite's own help centre, in a category of its own.
        category = Category.objects.create(slug="relevance-fixture", name="メール配信", name_en="Email")
        articles: dict[str, Article] = {}
        Article.objects.all().delete()
        for language, rows in [("ja", JA), ("en", EN)]:
            for slug, title, summary, body, views in rows:
                articles[slug] = Article.objects.create(
                    category=category,
                    language=language,
                    slug=slug,
                    title=title,
                    summary=summary,
                    body=body,
                    view_count=views,
                    visibility=Article.Visibility.PUBLIC,
                    status=Article.Status.PUBLISHED,
                    published_at=timezone.now(),
                    translation_of=articles.get(TRANSLATION_OF.get(slug, "")),
                )
        fixture = [(q, "ja", slug) for q, slug in JAPANESE_QUERIES] + [(q, "en", slug) for q, slug in ENGLISH_QUERIES]
        measure("the test suite's relevance set", fixture, user=csm, verbose=args.verbose)

        Article.objects.all().delete()
        seed_help_centre(by=None, step_playbooks={})
        nothing = [(q, lang) for q, lang in UNANSWERED if not search_articles(q, user=csm, language=lang).exists()]
        print(f"\nquestions without an article that found nothing: {len(nothing)} of {len(UNANSWERED)}")
        if args.verbose:
            for query, language in UNANSWERED:
                found = list(search_articles(query, user=csm, language=language).values_list("slug", flat=True)[:3])
                print(f"    {query!r} ({language}): {found or 'nothing'}")
    finally:
        creation.destroy_test_db(test_name, verbosity=0)


if __name__ == "__main__":
    main()
