"""Help-centre content analytics for admins: what is read, what helps, and what people stuck in
their onboarding read. Every figure is aggregated in the database; the same few queries whatever
the number of articles or views."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import CharField, Count, F, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from faq.models import Article, ArticleStep, ArticleView, ArticleVote
from journeys.models import StepState
from portal.models import Membership

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
class StalledReading:
    article: Article
    readers: int  # people of stalled accounts who read it
    accounts: int
    views: int
    helps_with_stalled_step: bool  # linked to a step one of those accounts is stalled on


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
    stalled: list[StalledReading]

    @property
    def helpful_share(self) -> float | None:
        return self.helpful / self.votes if self.votes else None


def content_analytics(*, days: int = DEFAULT_DAYS, limit: int = 10, min_votes: int = 3) -> ContentAnalytics:
    """The last ``days`` days (UTC days, as views are counted): totals, views per day, the most read
    articles, the least helpful ones (``min_votes`` votes at least) and the articles most read by the
    people of accounts stalled on a step now (open past its due date)."""
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
    top_rows = (
        Article.objects.filter(views__day__gte=since)
        .annotate(n_views=Count("views", distinct=True), n_readers=Count("views__visitor", distinct=True))
        .order_by("-n_views", "title")
        .select_related("category")[:limit]
    )
    top_votes = {
        row["pk"]: row
        for row in Article.objects.filter(pk__in=[a.pk for a in top_rows])
        .annotate(n_helpful=helpful_count, n_votes=vote_count)
        .values("pk", "n_helpful", "n_votes")
    }
    top = [
        ArticleFigures(
            article=a,
            views=a.n_views,
            readers=a.n_readers,
            helpful=top_votes.get(a.pk, {}).get("n_helpful", 0),
            votes=top_votes.get(a.pk, {}).get("n_votes", 0),
        )
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
        stalled=stalled_reading(since=since, limit=limit),
    )


def stalled_reading(*, since: dt.date, limit: int = 10) -> list[StalledReading]:
    """Articles read since ``since`` by people of accounts that are stalled on a step now (open past
    its due date), most readers first, and whether each is linked to a step one of those accounts is
    stalled on. Six queries."""
    stalled = StepState.objects.exclude(status__in=StepState.CLOSED).filter(due_at__lt=timezone.now())
    members = Membership.objects.filter(account_id__in=stalled.values("journey__account_id")).annotate(
        visitor=Concat(Value("u:"), Cast("user_id", output_field=CharField()))
    )
    account_of = dict(members.values_list("visitor", "account_id"))
    reads = ArticleView.objects.filter(day__gte=since, visitor__in=members.values("visitor"))
    rows = list(
        reads.values("article_id")
        .annotate(views=Count("id"), readers=Count("visitor", distinct=True))
        .order_by("-readers", "-views", "article_id")[:limit]
    )
    ids = [row["article_id"] for row in rows]
    accounts: dict[int, set[int]] = {}
    for article_id, visitor in reads.filter(article_id__in=ids).values_list("article_id", "visitor").distinct():
        if visitor in account_of:
            accounts.setdefault(article_id, set()).add(account_of[visitor])
    stalled_steps = set(stalled.values_list("journey__playbook_key", "step_key").distinct())
    helps = {
        article_id
        for article_id, playbook_key, step_key in ArticleStep.objects.filter(article_id__in=ids).values_list(
            "article_id", "playbook_key", "step_key"
        )
        if (playbook_key, step_key) in stalled_steps
    }
    articles = Article.objects.select_related("category").in_bulk(ids)
    return [
        StalledReading(
            article=articles[row["article_id"]],
            readers=row["readers"],
            accounts=len(accounts.get(row["article_id"], ())),
            views=row["views"],
            helps_with_stalled_step=row["article_id"] in helps,
        )
        for row in rows
    ]
