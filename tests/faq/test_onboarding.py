"""Tutorials under the checklist's steps, and the link to search when a step is hard."""

from __future__ import annotations

import pytest
from django.test import Client

from faq.models import Article
from journeys.onboarding.models import Playbook
from journeys.onboarding.services.journeys import journey_start
from tests.conftest import World
from tests.factories import ArticleFactory, ArticleStepFactory, PlaybookFactory, StepFactory
from tests.faq.conftest import Shelf
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def playbook_of(world: World, steps: int, key: str) -> Playbook:
    playbook = PlaybookFactory(key=key, name="Onboarding", status=Playbook.Status.PUBLISHED)
    playbook.segments.add(world.account_a.segment)
    for i in range(steps):
        StepFactory(playbook=playbook, key=f"s{i}", position=i, title=f"Step {i}")
    return playbook


def tutorial_for(key: str, step_key: str, **fields: object) -> Article:
    article = ArticleFactory(kind=Article.Kind.TUTORIAL, **fields)
    ArticleStepFactory(article=article, playbook_key=key, step_key=step_key)
    return article


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_steps_tutorials_show_under_it_with_a_search_link(world: World, shelf: Shelf) -> None:
    journey_start(account=world.account_a, playbook=playbook_of(world, 2, key="setup"))
    tutorial_for("setup", "s0", title="Connecting in five minutes", slug="connect-5")
    tutorial_for("setup", "s0", title="A draft tutorial", slug="draft-tut", draft=True)
    tutorial_for("setup", "s0", title="For enterprise only", slug="ent-tut", visibility="segments",
                 segments=[shelf.segment_y])  # fmt: skip
    ArticleStepFactory(
        article=ArticleFactory(title="A FAQ entry", slug="faq-entry"), playbook_key="setup", step_key="s0"
    )

    page = signed_in(world.customer_a).get("/app/").content.decode()

    assert '<a href="/help/ja/connect-5/">Connecting in five minutes</a>' in page
    assert "A draft tutorial" not in page
    assert "For enterprise only" not in page  # customer A is in segment X
    assert "A FAQ entry" not in page  # only tutorials are listed under steps
    assert 'href="/help/search/?q=Step%200"' in page


def test_a_link_survives_a_new_playbook_version(world: World) -> None:
    old = playbook_of(world, 1, key="setup")
    tutorial_for("setup", "s0", title="Still linked", slug="still-linked")
    old.status = Playbook.Status.RETIRED
    old.save()
    new = PlaybookFactory(key="setup", version=2, name="Onboarding v2", status=Playbook.Status.PUBLISHED)
    StepFactory(playbook=new, key="s0", position=0, title="Step zero, reworded")
    journey_start(account=world.account_a, playbook=new)

    page = signed_in(world.customer_a).get("/app/").content.decode()

    assert "Still linked" in page


def test_checklist_queries_are_the_same_for_1_and_many_steps_with_tutorials(world: World) -> None:
    client = signed_in(world.customer_a)
    small = journey_start(account=world.account_a, playbook=playbook_of(world, 1, key="small"))
    tutorial_for("small", "s0")
    with capture_queries() as few:
        assert "Article" in client.get("/app/").content.decode()
    small.delete()
    journey_start(account=world.account_a, playbook=playbook_of(world, 12, key="large"))
    for i in range(12):
        tutorial_for("large", f"s{i}")
        tutorial_for("large", f"s{i}")
    with capture_queries() as many:
        page = client.get("/app/")
    shown = sum(len(state.help_articles) for state in page.context["checklist"].states)
    assert shown == 24
    assert_same_queries(few, many)


def test_the_demo_help_centre_links_tutorials_to_demo_steps(world: World) -> None:
    from django.core.management import call_command

    from faq.models import ArticleStep

    call_command("seed_demo", verbosity=0)
    count = Article.objects.count()
    call_command("seed_demo", verbosity=0)

    assert Article.objects.count() == count >= 6
    assert Article.objects.filter(language="en", translation_of__slug="sender-domain-setup").exists()
    assert ArticleStep.objects.filter(article__slug="sender-domain-setup", step_key="sender-domain").exists()
    assert all(article.revisions.count() == 1 for article in Article.objects.all())
    page = Client().get("/help/").content.decode()
    assert "送信ドメイン認証 (SPF/DKIM) を設定する" in page
    assert "CRM と顧客データを連携する" not in page  # for chosen segments only
