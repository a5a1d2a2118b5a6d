from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from faq.models import Article, ArticleStep, ArticleVote, Category, SearchLog, Tag


class CategoryFactory(DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"カテゴリ{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class TagFactory(DjangoModelFactory[Tag]):
    class Meta:
        model = Tag
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"tag{n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class ArticleFactory(DjangoModelFactory[Article]):
    """A published article for signed-in customers, in Japanese."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    class Params:
        draft = factory.Trait(status=Article.Status.DRAFT, published_at=None)

    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    language = "ja"
    category = factory.SubFactory(CategoryFactory)
    summary = "A short summary."
    body = "## First\n\nSome text.\n\n## Second\n\nMore text."
    visibility = Article.Visibility.CUSTOMERS
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def segments(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.segments.set(extracted)

    @factory.post_generation
    def tags(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.tags.set(extracted)


class ArticleStepFactory(DjangoModelFactory[ArticleStep]):
    class Meta:
        model = ArticleStep

    article = factory.SubFactory(ArticleFactory)
    playbook_key = "basics"
    step_key = "connect"


class ArticleVoteFactory(DjangoModelFactory[ArticleVote]):
    class Meta:
        model = ArticleVote

    article = factory.SubFactory(ArticleFactory)
    helpful = True


class SearchLogFactory(DjangoModelFactory[SearchLog]):
    """A search of the help centre that found nothing."""

    class Meta:
        model = SearchLog

    query = "存在しない機能"
    results = 0
    language = "ja"
    source = SearchLog.Source.PAGE
