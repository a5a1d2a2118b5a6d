from __future__ import annotations

from dataclasses import dataclass

import pytest

from faq.models import Article, Category
from portal.models import Segment
from tests.conftest import World
from tests.factories import AccountFactory, ArticleFactory, CategoryFactory, MembershipFactory, SegmentFactory
from tests.faq.search_fixture import EN, JA, TRANSLATION_OF


@dataclass
class Shelf:
    """One article of every visibility, plus a draft, in one category; account B is moved to segment Y."""

    category: Category
    segment_x: Segment
    segment_y: Segment
    public: Article
    customers: Article
    segment_x_only: Article
    segment_y_only: Article
    draft: Article


@pytest.fixture
def shelf(world: World) -> Shelf:
    segment_x = world.account_a.segment  # "SMB"
    segment_y = SegmentFactory(name="Enterprise", slug="enterprise")
    world.account_b.segment = segment_y
    world.account_b.save(update_fields=["segment"])
    category = CategoryFactory(slug="getting-started", name="はじめに", name_en="Getting started")
    return Shelf(
        category=category,
        segment_x=segment_x,
        segment_y=segment_y,
        public=ArticleFactory(category=category, slug="public-one", title="Public one", visibility="public"),
        customers=ArticleFactory(category=category, slug="customers-one", title="Customers one"),
        segment_x_only=ArticleFactory(
            category=category, slug="smb-one", title="SMB one", visibility="segments", segments=[segment_x]
        ),
        segment_y_only=ArticleFactory(
            category=category,
            slug="enterprise-one",
            title="Enterprise one",
            visibility="segments",
            segments=[segment_y],
        ),
        draft=ArticleFactory(category=category, slug="draft-one", title="Draft one", visibility="public", draft=True),
    )


def customer_in(segment: Segment):
    return MembershipFactory(account=AccountFactory(segment=segment)).user


@pytest.fixture
def help_centre(db: None) -> dict[str, Article]:
    """The articles of ``search_fixture``, public, the English ones translations of the Japanese."""
    category = CategoryFactory(slug="mail", name="メール配信", name_en="Email")
    articles: dict[str, Article] = {}
    for language, rows in [("ja", JA), ("en", EN)]:
        for slug, title, summary, body, views in rows:
            articles[slug] = ArticleFactory(
                category=category,
                language=language,
                slug=slug,
                title=title,
                summary=summary,
                body=body,
                view_count=views,
                visibility="public",
                translation_of=articles.get(TRANSLATION_OF.get(slug, "")),
            )
    return articles
