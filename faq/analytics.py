"""Help-centre content analytics for admins: what is read and what helps. Every figure is aggregated
in the database; the same few queries whatever the number of articles or views. What the people of
accounts stalled in their onboarding read is joined in by ``journeys.reports.help``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from faq.models import Article, ArticleView, ArticleVote

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class ArticleFigures:
    article: Article
    views: int
    readers: int
    helpful: int
    votes: int

    @property
    def helpful_share(self) -> float | None:
        return self.helpful / self.votes if self.votes else None


@dataclass(frozen=True)
class ContentAnalytics:
    since: dt.date
    days: int
    views: int
    readers: int
    votes: int
    helpful: int
    daily: list[tuple[dt.date, int]]
    top: list[ArticleFigures]
    least_helpful: list[ArticleFigures]

    @property
    def helpful_share(self) -> float | None:
        return self.helpful / self.votes if self.votes else None


def content_analytics(*, days: int = DEFAULT_DAYS, limit: int = 10, min_votes: int = 3) -> ContentAnalytics:
    """The last ``days`` days (UTC days, as views are counted): totals, views per day, the most read
    articles and the least helpful ones (``min_votes`` votes at least)."""
    today = timezone.now().astimezone(dt.UTC).date()
    since = today - dt.timedelta(days=days - 1)
    views = ArticleView.objects.filter(day__gte=since)
    totals = views.aggregate(views=Count("id"), readers=Count("visitor", distinct=True))
    votes = ArticleVote.objects.filter(updated_at__date__gte=since).aggregate(
        votes=Count("id"), helpful=Count("id", filter=Q(helpful=True))
    )
    per_day = dict(views.values_list("day").annotate(n=Count("id")).values_list("day", "n"))
    daily = [(since + dt.timedelta(days=i), per_day.get(since + dt.timedelta(days=i), 0)) for i in range(days)]

    helpful_count = Count("votes", filter=Q(votes__helpful=True), distinct=True)
    vote_count = Count("votes", distinct=True)
    # The votes of each of the most read come in the same query, counted apart from the views.
    votes_of = ArticleVote.objects.filter(article_id=OuterRef("pk")).order_by().values("article_id")
    top_rows = (
        Article.objects.filter(views__day__gte=since)
        .annotate(n_views=Count("views", distinct=True), n_readers=Count("views__visitor", distinct=True))
        .annotate(
            n_helpful=Coalesce(Subquery(votes_of.filter(helpful=True).annotate(n=Count("pk")).values("n")), 0),
            n_votes=Coalesce(Subquery(votes_of.annotate(n=Count("pk")).values("n")), 0),
        )
        .order_by("-n_views", "title")
        .select_related("category")[:limit]
    )
    top = [
        ArticleFigures(article=a, views=a.n_views, readers=a.n_readers, helpful=a.n_helpful, votes=a.n_votes)
        for a in top_rows
    ]
    least = (
        Article.objects.annotate(n_helpful=helpful_count, n_votes=vote_count)
        .filter(n_votes__gte=min_votes)
        .order_by(F("n_helpful") * 1000 / F("n_votes"), "-n_votes", "title")
        .select_related("category")[:limit]
    )
    least_helpful = [
        ArticleFigures(article=a, views=a.view_count, readers=0, helpful=a.n_helpful, votes=a.n_votes) for a in least
    ]
    return ContentAnalytics(
        since=since,
        days=days,
        views=totals["views"],
        readers=totals["readers"],
        votes=votes["votes"],
        helpful=votes["helpful"],
        daily=daily,
        top=top,
        least_helpful=least_helpful,
    )
