"""Help-centre analytics joined with onboarding: what the people of accounts stalled on a step
read. The rest of the page's figures are the help centre's own (``faq.analytics``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import CharField, Count, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from faq.models import Article, ArticleStep, ArticleView
from journeys.onboarding.models import StepState
from portal.models import Membership


@dataclass(frozen=True)
class StalledReading:
    article: Article
    readers: int  # people of stalled accounts who read it
    accounts: int
    views: int
    helps_with_stalled_step: bool  # linked to a step one of those accounts is stalled on


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
