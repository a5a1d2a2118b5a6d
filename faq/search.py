"""Searching the help centre.

For now a plain ``icontains`` over title, summary and body of the articles the reader may
see; a trigram or full-text backend replaces the body of ``search_articles`` later
without changing its signature or callers.
"""

from __future__ import annotations

from functools import reduce
from operator import add, or_

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from faq.models import Article
from faq.selectors import in_language, visible_articles
from portal.models import User

MAX_QUERY_CHARS = 200
MAX_WORDS = 10
TITLE_WEIGHT = 3  # a word in the title counts three times a word in the summary or body


def search_articles(query: str, *, user: User, language: str) -> QuerySet[Article]:
    """Articles ``user`` may read that contain any word of ``query``, those matching more words (and in
    their title) first. An empty query finds nothing."""
    words = list(dict.fromkeys((query or "").strip()[:MAX_QUERY_CHARS].split()))[:MAX_WORDS]
    if not words:
        return Article.objects.none()
    matches = [Q(title__icontains=w) | Q(summary__icontains=w) | Q(body__icontains=w) for w in words]
    score = reduce(
        add,
        [
            Case(When(title__icontains=w, then=Value(TITLE_WEIGHT)), default=Value(0), output_field=IntegerField())
            + Case(When(matches[i], then=Value(1)), default=Value(0), output_field=IntegerField())
            for i, w in enumerate(words)
        ],
    )
    return (
        in_language(visible_articles(user), language=language)
        .filter(reduce(or_, matches))
        .select_related("category__parent")
        .annotate(score=score)
        .order_by("-score", "-view_count", "title")
    )
