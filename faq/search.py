"""Searching the help centre.

For now a plain ``icontains`` over title, summary and body of the articles the reader may
see; a trigram or full-text backend replaces the body of ``search_articles`` later
without changing its signature or callers.
"""

from __future__ import annotations

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from faq.models import Article
from faq.selectors import in_language, visible_articles
from portal.models import User

MAX_QUERY_CHARS = 200


def search_articles(query: str, *, user: User, language: str) -> QuerySet[Article]:
    """Articles ``user`` may read matching every word of ``query``, best matches first
    (title hits before body hits). An empty query finds nothing."""
    words = (query or "").strip()[:MAX_QUERY_CHARS].split()
    if not words:
        return Article.objects.none()
    articles = in_language(visible_articles(user), language=language)
    for word in words[:10]:
        articles = articles.filter(Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word))
    title_hit = Q()
    for word in words[:10]:
        title_hit &= Q(title__icontains=word)
    return (
        articles.select_related("category__parent")
        .annotate(title_hit=Case(When(title_hit, then=Value(True)), default=Value(False), output_field=BooleanField()))
        .order_by("-title_hit", "-view_count", "title")
    )
