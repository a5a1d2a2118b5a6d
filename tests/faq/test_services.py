"""Revisions and restore, publishing, view counting and votes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import override_settings
from django.utils import translation

from faq.models import Article, ArticleView, ArticleVote
from faq.services import (
    VoteLimitReached,
    article_publish,
    article_unpublish,
    revision_record,
    revision_restore,
    view_record,
    vote_record,
)
from tests.conftest import World
from tests.factories import ArticleFactory, ArticleStepFactory, TagFactory
from tests.queries import capture_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def test_every_save_keeps_a_revision_listing_what_changed(world: World) -> None:
    article = ArticleFactory(title="Old title", body="Old body")
    first = revision_record(article=article, by=world.admin)
    article.title = "New title"
    article.body = "New body"
    article.save()
    article.tags.add(TagFactory(name="billing"))
    second = revision_record(article=article, by=world.admin)

    assert (first.number, first.summary, first.changed_fields) == (1, "Article created.", [])
    assert second.number == 2
    assert second.changed_fields == ["title", "body", "tags"]
    assert second.summary == "Changed: title, body, tags."
    assert second.created_by == world.admin
    assert second.snapshot["title"] == "New title"
    assert first.snapshot["title"] == "Old title"


def test_restoring_a_revision_brings_every_field_back_and_is_itself_a_revision(world: World, journey_a) -> None:
    tag = TagFactory(name="setup")
    article = ArticleFactory(title="Original", body="Original body", tags=[tag], visibility="public")
    ArticleStepFactory(article=article, playbook_key="basics", step_key="connect")
    original = revision_record(article=article, by=world.admin)
    article.title = "Edited"
    article.body = "Edited body"
    article.visibility = Article.Visibility.CUSTOMERS
    article.save()
    article.tags.clear()
    article.steps.all().delete()
    revision_record(article=article, by=world.admin)

    restored = revision_restore(revision=original, by=world.admin)

    article.refresh_from_db()
    assert (article.title, article.body, article.visibility) == ("Original", "Original body", "public")
    assert list(article.tags.all()) == [tag]
    assert list(article.steps.values_list("playbook_key", "step_key")) == [("basics", "connect")]
    assert restored.number == 3
    assert restored.summary.startswith("Restored revision 1. Changed: title, body, visible to, tags")
    assert restored.changed_fields == ["title", "body", "visibility", "tags", "steps"]
    assert restored.snapshot == {**original.snapshot, "published_at": restored.snapshot["published_at"]}


def test_a_restore_that_would_clash_with_another_article_is_refused(world: World) -> None:
    article = ArticleFactory(slug="setup-guide")
    old = revision_record(article=article, by=world.admin)
    article.slug = "setup-guide-v2"
    article.save()
    revision_record(article=article, by=world.admin)
    ArticleFactory(slug="setup-guide", language=article.language)

    with pytest.raises(ValidationError, match="cannot be restored"):
        revision_restore(revision=old, by=world.admin)
    article.refresh_from_db()
    assert article.slug == "setup-guide-v2"
    assert article.revisions.count() == 2


def test_a_restore_leaves_out_deleted_tags_and_refuses_a_deleted_category(world: World) -> None:
    from tests.factories import CategoryFactory

    old_category, new_category = CategoryFactory(), CategoryFactory()
    gone, kept = TagFactory(name="gone"), TagFactory(name="kept")
    article = ArticleFactory(category=old_category, tags=[gone, kept])
    old = revision_record(article=article, by=world.admin)
    article.tags.remove(gone)
    revision_record(article=article, by=world.admin)
    gone.delete()

    revision_restore(revision=old, by=world.admin)
    assert list(article.tags.all()) == [kept]

    article.category = new_category
    article.save()
    old_category.delete()
    with pytest.raises(ValidationError, match="category no longer exists"):
        revision_restore(revision=old, by=world.admin)


def test_publish_and_unpublish_set_the_date_and_keep_revisions(world: World) -> None:
    article = ArticleFactory(draft=True)
    article_publish(article=article, by=world.admin)
    article.refresh_from_db()
    assert article.status == "published"
    assert article.published_at is not None
    article_unpublish(article=article, by=world.admin)
    article.refresh_from_db()
    assert (article.status, article.published_at) == ("draft", None)
    assert [r.changed_fields for r in article.revisions.order_by("number")] == [[], ["status", "published_at"]]


def test_a_view_counts_once_per_visitor_and_day() -> None:
    article = ArticleFactory()
    today = dt.date(2026, 11, 24)
    assert view_record(article=article, visitor="u:1", day=today) is True
    assert view_record(article=article, visitor="u:1", day=today) is False
    assert view_record(article=article, visitor="s:abc", day=today) is True
    assert view_record(article=article, visitor="u:1", day=today + dt.timedelta(days=1)) is True
    article.refresh_from_db()
    assert article.view_count == 3
    assert ArticleView.objects.filter(article=article).count() == 3


def test_a_view_recorded_and_committed_is_not_asked_again(django_capture_on_commit_callbacks) -> None:
    article = ArticleFactory()
    today = dt.date(2026, 11, 24)
    with django_capture_on_commit_callbacks(execute=True):
        assert view_record(article=article, visitor="a:1", day=today) is True
    with capture_queries() as repeated:
        assert view_record(article=article, visitor="a:1", day=today) is False
    assert len(repeated) == 0
    with capture_queries() as other:
        assert view_record(article=article.pk, visitor="a:2", day=today) is True
    # The view and the article's count: one statement on PostgreSQL.
    assert len(other) == (1 if connection.vendor == "postgresql" else 2)
    article.refresh_from_db()
    assert article.view_count == 2


def test_a_view_rolled_back_is_recorded_again() -> None:
    article = ArticleFactory()
    today = dt.date(2026, 11, 24)
    try:
        with transaction.atomic():
            assert view_record(article=article, visitor="a:1", day=today) is True
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    assert not ArticleView.objects.filter(article=article).exists()
    assert view_record(article=article, visitor="a:1", day=today) is True
    assert ArticleView.objects.filter(article=article).count() == 1


def test_one_vote_per_person_which_can_be_changed(world: World) -> None:
    article = ArticleFactory()
    vote_record(article=article, helpful=True, comment="Clear.", user=world.customer_a, session_key=None)
    vote_record(article=article, helpful=False, user=world.customer_a, session_key=None)
    vote = ArticleVote.objects.get(article=article, user=world.customer_a)
    assert (vote.helpful, vote.comment) == (False, "Clear.")  # no comment posted keeps the earlier one
    vote_record(article=article, helpful=False, comment="Step 3 is missing.", user=world.customer_a, session_key=None)
    assert ArticleVote.objects.filter(article=article).count() == 1
    assert ArticleVote.objects.get(article=article).comment == "Step 3 is missing."


@override_settings(FAQ_ANONYMOUS_VOTES_PER_SESSION=2)
def test_anonymous_votes_are_one_per_article_and_limited_per_session() -> None:
    first, second, third = ArticleFactory(), ArticleFactory(), ArticleFactory()
    vote_record(article=first, helpful=True, user=None, session_key="s1")
    vote_record(article=first, helpful=False, user=None, session_key="s1")  # a change, not a new vote
    vote_record(article=second, helpful=True, user=None, session_key="s1")
    with pytest.raises(VoteLimitReached):
        vote_record(article=third, helpful=True, user=None, session_key="s1")
    vote_record(article=third, helpful=True, user=None, session_key="s2")
    assert ArticleVote.objects.filter(session_key="s1").count() == 2
    assert ArticleVote.objects.get(article=first, session_key="s1").helpful is False
    with pytest.raises(VoteLimitReached):
        vote_record(article=third, helpful=True, user=None, session_key=None)


def test_a_synonym_group_indexes_again_only_the_articles_that_use_its_words(db: None) -> None:
    from faq.services import synonym_delete, synonym_save
    from tests.factories import SynonymFactory

    uses = ArticleFactory(title="PWを忘れた場合")
    other = ArticleFactory(title="請求書をダウンロードする")
    Article.objects.filter(pk=other.pk).update(search_title=" 手で 書いた 索引 ")  # left as it is unless indexed

    synonym = SynonymFactory.build(words="パスワード, PW")
    assert synonym_save(synonym=synonym) == 1
    uses.refresh_from_db()
    other.refresh_from_db()
    assert " パスワード " in uses.search_title
    assert other.search_title == " 手で 書いた 索引 "

    assert synonym_delete(synonym=synonym) == 1
    uses.refresh_from_db()
    assert " パスワード " not in uses.search_title


def test_saving_the_text_of_an_article_writes_its_index(db: None) -> None:
    article = ArticleFactory(title="予約配信", summary="", body="")
    assert article.search_title == " 予約 配信 "
    article.title = "配信を取り消す"
    article.save(update_fields=["title"])
    article.refresh_from_db()
    assert article.search_title == " 配信 | 取る 消す "  # Sudachi's shortest units: 取り|消す
    Article.objects.filter(pk=article.pk).update(search_title="")
    article.save(update_fields=["view_count"])  # not the text: the index is left alone
    article.refresh_from_db()
    assert article.search_title == ""
