"""Help-centre analytics joined with onboarding: what the people of accounts stalled on a step
read. The rest of the page's figures are the help centre's own (``faq.analytics``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import CharField, Count, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from faq.models import Article, ArticleStep
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
    stalled on: one query, added up in the database."""
    stalled = StepState.objects.exclude(status__in=StepState.CLOSED).filter(due_at__lt=timezone.now())
    members = Membership.objects.filter(account_id__in=stalled.values("journey__account_id")).annotate(
        visitor=Concat(Value("u:"), Cast("user_id", output_field=CharField()))
    )
    reader_account = Subquery(members.filter(visitor=OuterRef("views__visitor")).values("account_id")[:1])
    stalled_here = stalled.filter(journey__playbook_key=OuterRef("playbook_key"), step_key=OuterRef("step_key"))
    on_a_stalled_step = ArticleStep.objects.filter(Exists(stalled_here), article_id=OuterRef("pk"))
    # Filtered before it is counted: only the views by those people, in the period, are added up.
    articles = (
        Article.objects.filter(views__day__gte=since, views__visitor__in=members.values("visitor"))
        .annotate(
            n_views=Count("views"),
            n_readers=Count("views__visitor", distinct=True),
            n_accounts=Count(reader_account, distinct=True),
            helps=Exists(on_a_stalled_step),
        )
        .select_related("category")
        .order_by("-n_readers", "-n_views", "pk")[:limit]
    )
    return [
        StalledReading(
            article=article,
            readers=article.n_readers,
            accounts=article.n_accounts,
            views=article.n_views,
            helps_with_stalled_step=article.helps,
        )
        for article in articles
    ]
