"""The demo help centre: enough real content in both languages, a tutorial for every demo step that
the accounts on that step can read, translations linked, bodies that render, and seeding twice adds nothing."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from faq.demo_articles import ARTICLES, CATEGORIES, FEATURED, TUTORIAL
from faq.markdown import render_article
from faq.models import Article, ArticleRevision, ArticleStep, Category, Tag
from faq.selectors import step_tutorials
from faq.validators import parse_video_url
from journeys.onboarding.models import Step
from portal.models import Account, Membership
from tests.demo_world import demo_world

TEXTS = [(spec, language, text) for spec in ARTICLES for language, text in (("ja", spec.ja), ("en", spec.en)) if text]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in [Article, ArticleRevision, ArticleStep, Category, Tag]}


@pytest.mark.django_db
def test_seeding_fills_the_help_centre_once() -> None:
    first = seed()
    after_first = counts()
    second = seed()

    assert counts() == after_first
    assert f"Help centre: {after_first['Article']} articles added." in first
    assert "Help centre: 0 articles added." in second
    articles = Article.objects.all()
    assert articles.filter(language="ja").count() >= 30
    assert articles.filter(language="en").count() >= 15
    assert articles.filter(status=Article.Status.DRAFT).exists()
    assert 4 <= articles.exclude(video_url="").count() <= 6
    for kind in Article.Kind.values:
        assert articles.filter(kind=kind, language="ja").count() >= 10, kind
    assert articles.filter(visibility=Article.Visibility.PUBLIC).count() > articles.count() / 2
    assert articles.filter(visibility=Article.Visibility.CUSTOMERS).exists()
    segment_only = articles.filter(visibility=Article.Visibility.SEGMENTS)
    assert segment_only.exists()
    assert not segment_only.filter(segments__isnull=True).exists(), "a segment-only article names its segments"
    assert all(article.revisions.count() == 1 for article in articles.prefetch_related("revisions"))
    assert not Category.objects.filter(parent__parent__isnull=False).exists(), "two levels at most"
    assert not Category.objects.exclude(name_en="").filter(articles__isnull=True, children__isnull=True).exists()


@pytest.mark.django_db
def test_every_demo_step_has_a_tutorial_its_accounts_can_read_in_both_languages() -> None:
    demo_world()
    pairs = set(Step.objects.values_list("playbook__key", "key"))
    tutorials = ArticleStep.objects.filter(
        article__kind=Article.Kind.TUTORIAL, article__status=Article.Status.PUBLISHED
    ).values_list("playbook_key", "step_key")
    assert pairs and pairs <= set(tutorials)

    for playbook_key in {key for key, _step in pairs}:
        segment_slug = playbook_key.removesuffix("-onboarding")
        account = Account.objects.filter(segment__slug=segment_slug).order_by("pk").first()
        customer = Membership.objects.filter(account=account).order_by("pk").first().user
        step_keys = sorted(step for key, step in pairs if key == playbook_key)
        for language in ["ja", "en"]:
            found = step_tutorials(user=customer, playbook_key=playbook_key, step_keys=step_keys, language=language)
            in_language = sorted(
                key for key, articles in found.items() if any(a.language == language for a in articles)
            )
            assert in_language == step_keys, (playbook_key, language)


@pytest.mark.django_db
def test_translations_are_linked_both_ways_and_missing_ones_are_added_later() -> None:
    seed()
    english = Article.objects.filter(language="en").select_related("translation_of")
    for article in english:
        original = Article.objects.filter(language="ja", slug=article.slug).first()
        assert article.translation_of == original, article.slug
        if original is not None:
            assert list(original.translations.all()) == [article]
    assert english.filter(translation_of__isnull=True).exists(), "an English-only article"

    english.get(slug="sender-domain-setup").delete()
    out = seed()

    assert "Help centre: 1 articles added." in out
    restored = Article.objects.get(language="en", slug="sender-domain-setup")
    assert restored.translation_of == Article.objects.get(language="ja", slug="sender-domain-setup")


@pytest.mark.parametrize(("spec", "language", "text"), TEXTS, ids=[f"{lang}-{s.slug}" for s, lang, _t in TEXTS])
def test_every_body_renders_with_its_headings(spec, language: str, text) -> None:
    rendered = render_article(text.body)
    headings = re.findall(r"^## (.+)$", text.body, flags=re.MULTILINE)

    assert [h.text for h in rendered.toc if h.level == 2] == [h.strip() for h in headings]
    assert rendered.html.count("<h2 id=") == len(headings)
    assert "**" not in re.sub(r"<code>.*?</code>", "", rendered.html, flags=re.DOTALL), "emphasis left unclosed"
    if spec.kind == TUTORIAL:
        assert len(headings) >= 3
        assert "<ol>" in rendered.html, "a tutorial has numbered steps"
        assert text.summary
    else:
        assert not headings
        assert text.title.endswith(("?", "?"))
    if text.video_url:
        parse_video_url(text.video_url)


def test_the_demo_content_is_consistent() -> None:
    slugs = [spec.slug for spec in ARTICLES]
    category_slugs = {category.slug for category in CATEGORIES}
    assert len(slugs) == len(set(slugs))
    assert set(FEATURED) <= set(slugs)
    assert {spec.category for spec in ARTICLES} <= category_slugs
    assert all(category.parent in category_slugs for category in CATEGORIES if category.parent)
    assert all(spec.segments for spec in ARTICLES if spec.visibility == Article.Visibility.SEGMENTS)
