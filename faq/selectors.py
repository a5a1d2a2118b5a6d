"""Every read of the knowledge base, starting from who may see what.

``visible_articles`` is the one place that decides it: anonymous visitors see
published public articles; customers also those for signed-in customers and
those for their account's segment; CS managers and admins every published
article (admins also drafts, where a page asks for them). An article someone
may not see answers exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from faq.models import Article, ArticleStep, ArticleVote, Category, SearchLog
from portal.models import Account, User

LIST_FIELDS = ["category__parent"]
TRANSLATION_KEY = Coalesce("translation_of_id", "pk")  # an original's id, shared by its translations


def visible_articles(user: User | AnonymousUser | None, *, include_drafts: bool = False) -> QuerySet[Article]:
    """Articles ``user`` may read. ``include_drafts`` only widens the set for admins."""
    articles = Article.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return articles.filter(status=Article.Status.PUBLISHED, visibility=Article.Visibility.PUBLIC)
    if user.is_admin:
        return articles if include_drafts else articles.filter(status=Article.Status.PUBLISHED)
    published = articles.filter(status=Article.Status.PUBLISHED)
    if user.is_csm:
        return published
    # The account's segment as a subquery, not a join (which would repeat articles of several
    # segments) and not a query of its own (pages call this several times).
    their_segment = Account.objects.filter(memberships__user=user).values("segment_id")[:1]
    in_segment = Article.segments.through.objects.filter(segment_id=Subquery(their_segment)).values("article_id")
    return published.filter(
        Q(visibility__in=[Article.Visibility.PUBLIC, Article.Visibility.CUSTOMERS])
        | Q(visibility=Article.Visibility.SEGMENTS, pk__in=in_segment)
    )


def in_language(articles: QuerySet[Article], *, language: str) -> QuerySet[Article]:
    """Articles in ``language``, and those in another language that have no visible translation in it."""
    # An original and its translations share one key: the original's id. An article in another
    # language is left out when an article of ``language`` shares its key (the original, or a
    # translation of the same original). One uncorrelated subquery, which PostgreSQL hashes once:
    # three correlated ones made it cost a search at 500,000, where its JIT compiles for seconds.
    translated = articles.filter(language=language).annotate(original=TRANSLATION_KEY).values("original")
    return articles.alias(original=TRANSLATION_KEY).filter(Q(language=language) | ~Q(original__in=translated))


def article_for_reading(*, user: User | AnonymousUser, language: str, slug: str) -> Article:
    """The article page's article, or the 404 of a missing one; admins may preview drafts."""
    articles = (
        visible_articles(user, include_drafts=True)
        .select_related("category__parent", "translation_of")
        .prefetch_related("tags")
    )
    try:
        return articles.get(language=language, slug=slug)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


def public_article_pk(*, language: str, slug: str) -> int | None:
    """The id of the published public article at this address (what anyone may read), or None."""
    return visible_articles(None).filter(language=language, slug=slug).values_list("pk", flat=True).first()


def article_by_id(*, user: User | AnonymousUser, pk: int) -> Article:
    try:
        return visible_articles(user, include_drafts=True).get(pk=pk)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


def article_translations(*, article: Article, user: User | AnonymousUser) -> list[Article]:
    """The visible versions of ``article`` in other languages."""
    root = article.translation_of_id or article.pk
    return list(
        visible_articles(user)
        .filter(Q(pk=root) | Q(translation_of_id=root))
        .exclude(pk=article.pk)
        .only("pk", "slug", "language", "title")
    )


def related_articles(*, article: Article, user: User | AnonymousUser, limit: int = 5) -> list[Article]:
    """Same category or a shared tag, same language; the most read first."""
    tag_ids = [tag.pk for tag in article.tags.all()]
    return list(
        visible_articles(user)
        .filter(language=article.language)
        .filter(Q(category_id=article.category_id) | Q(tags__in=tag_ids))
        .exclude(pk=article.pk)
        .distinct()
        .order_by("-view_count", "position", "title")
        .only("pk", "slug", "language", "title", "kind", "summary")[:limit]
    )


def user_vote(*, article: Article, user: User | AnonymousUser, session_key: str | None) -> ArticleVote | None:
    if user.is_authenticated:
        return ArticleVote.objects.filter(article=article, user=user).first()
    if not session_key:
        return None
    return ArticleVote.objects.filter(article=article, user__isnull=True, session_key=session_key).first()


@dataclass(frozen=True)
class CategoryNode:
    category: Category
    children: list[Category]
    article_count: int


def category_tree(*, user: User | AnonymousUser, language: str) -> list[CategoryNode]:
    """Top-level categories with their sub-categories, counting the articles the reader can see."""
    visible = in_language(visible_articles(user), language=language)
    counts = dict(visible.order_by().values("category_id").annotate(n=Count("pk")).values_list("category_id", "n"))
    categories = list(Category.objects.order_by("position", "name"))
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    nodes = []
    for category in categories:
        if category.parent_id is not None:
            continue
        subs = children.get(category.pk, [])
        total = counts.get(category.pk, 0) + sum(counts.get(sub.pk, 0) for sub in subs)
        if total:
            shown = [sub for sub in subs if counts.get(sub.pk)]
            nodes.append(CategoryNode(category=category, children=shown, article_count=total))
    return nodes


def popular_articles(*, user: User | AnonymousUser, language: str, limit: int = 6) -> list[Article]:
    return list(
        in_language(visible_articles(user), language=language)
        .select_related(*LIST_FIELDS)
        .order_by("-view_count", "position", "title")[:limit]
    )


def recent_articles(*, user: User | AnonymousUser, language: str, limit: int = 6) -> list[Article]:
    return list(
        in_language(visible_articles(user), language=language)
        .select_related(*LIST_FIELDS)
        .order_by("-updated_at", "title")[:limit]
    )


def category_for_reading(*, slug: str, user: User | AnonymousUser) -> Category:
    """The category, if ``user`` may read at least one of its articles (or of its sub-categories', in
    any language); any other answers exactly like a missing one. One query."""
    readable = visible_articles(user).filter(Q(category=OuterRef("pk")) | Q(category__parent=OuterRef("pk")))
    category = Category.objects.select_related("parent").filter(Exists(readable), slug=slug).first()
    if category is None:
        raise Http404("No such category.")
    return category


def category_articles(*, category: Category, user: User | AnonymousUser, language: str) -> list[Article]:
    """The articles of a category and of its sub-categories, in order."""
    return list(
        in_language(visible_articles(user), language=language)
        .filter(Q(category=category) | Q(category__parent=category))
        .select_related(*LIST_FIELDS)
        .order_by("category__position", "kind", "position", "title")
    )


def step_tutorials(
    *, user: User | AnonymousUser, playbook_key: str, step_keys: list[str], language: str
) -> dict[str, list[Article]]:
    """Published tutorials ``user`` may read, per step key of one playbook: one query for any number of steps."""
    if not step_keys:
        return {}
    tutorials = in_language(visible_articles(user), language=language).filter(kind=Article.Kind.TUTORIAL)
    links = (
        ArticleStep.objects.filter(playbook_key=playbook_key, step_key__in=set(step_keys), article__in=tutorials)
        .select_related("article")
        .order_by("article__position", "article__title")
    )
    found: dict[str, list[Article]] = {}
    for link in links:
        found.setdefault(link.step_key, []).append(link.article)
    return found


def article_filter(*, kind: str | None = None, category_slug: str | None = None) -> Q:
    """Narrow a list of articles to a kind and to a category (with its sub-categories)."""
    condition = Q()
    if kind:
        condition &= Q(kind=kind)
    if category_slug:
        condition &= Q(category__slug=category_slug) | Q(category__parent__slug=category_slug)
    return condition


def article_list(
    *, user: User | AnonymousUser, language: str, kind: str | None = None, category_slug: str | None = None
) -> QuerySet[Article]:
    """Published articles ``user`` may read, in ``language`` (or untranslated), newest first."""
    return (
        in_language(visible_articles(user), language=language)
        .filter(article_filter(kind=kind, category_slug=category_slug))
        .select_related("category")
        .order_by("-updated_at", "-pk")
    )


def article_for_api(*, user: User | AnonymousUser, pk: int) -> Article:
    """One article by id, or the 404 of a missing one (admins may read drafts)."""
    try:
        return visible_articles(user, include_drafts=True).select_related("category").get(pk=pk)
    except Article.DoesNotExist:
        raise Http404("No such article.") from None


@dataclass(frozen=True)
class SearchGap:
    query: str
    searches: int
    people: int
    last_searched: datetime


def search_gaps(*, days: int = 30, limit: int = 100) -> list[SearchGap]:
    """The searches that found nothing in the last ``days`` days, the most asked first: the
    articles the help centre lacks (or the words it does not use)."""
    since = timezone.now() - timedelta(days=days)
    rows = (
        SearchLog.objects.filter(results=0, created_at__gte=since)
        .values("query")
        .annotate(searches=Count("pk"), people=Count("user", distinct=True), last_searched=Max("created_at"))
        .order_by("-searches", "-last_searched", "query")[:limit]
    )
    return [SearchGap(**row) for row in rows]
